"""Deciding what to store for a record (languages, entities), in this process or in worker processes.

Detection and tagging are pure CPU work on one record at a time, the bulk of ingest's cost; the
catalogue and the index need one writer. So big runs prepare batches in a pool of worker
processes while the main process stores and indexes the previous batch.
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from typing import Protocol

from analyzers.detect import LanguageDetector
from ingest.languages import ResolvedLanguages, resolve_languages
from record_catalogue.record import Record
from record_catalogue.store import EntityMention, TextVersion, Upsert

Prepared = tuple[Upsert | None, list[str]]


class Tagger(Protocol):
    """What the pipeline needs of an entity tagger (``ingest.tagging.RecordTagger``)."""

    def mentions_many(
        self, items: Sequence[tuple[Record, Sequence[tuple[str, str, str]]]]
    ) -> list[list[EntityMention]]:
        """Entities in the ``(field, language, text)`` versions of each record, in one pass."""
        ...


def prepare_records(
    records: Sequence[Record], detector: LanguageDetector, tagger: Tagger | None, languages: Sequence[str]
) -> list[Prepared]:
    """Languages decided, entities found: what to store for each record, and what went wrong.

    The texts of the whole batch are tagged in one call (spaCy is faster on batches). A failure
    in the analysers costs the record it happened on (reported), never the batch.
    """
    resolved: list[ResolvedLanguages | str] = []
    for record in records:
        try:
            resolved.append(resolve_languages(record, detector, languages))
        except Exception as exc:  # any analyser bug must not lose the rest of the batch
            resolved.append(_failure(exc))
    texts = {
        n: [(t.field, t.language, t.text) for t in found.texts]
        for n, found in enumerate(resolved)
        if isinstance(found, ResolvedLanguages) and found.texts
    }
    entities: dict[int, list[EntityMention] | str] = {}
    if tagger is not None and texts:
        try:
            batch = tagger.mentions_many([(records[n], texts[n]) for n in texts])
            entities.update(zip(texts, batch, strict=True))
        except Exception:  # find the record at fault: tag one by one
            for n in texts:
                try:
                    entities[n] = tagger.mentions_many([(records[n], texts[n])])[0]
                except Exception as exc:
                    entities[n] = _failure(exc)
    prepared: list[Prepared] = []
    for n, (record, found) in enumerate(zip(records, resolved, strict=True)):
        if isinstance(found, str):
            prepared.append((None, [found]))
            continue
        problems = list(found.problems)
        if not found.texts:
            problems.append("record has no text in a known language; not stored")
            prepared.append((None, problems))
            continue
        mentions = entities.get(n)
        if isinstance(mentions, str):
            prepared.append((None, [*problems, mentions]))
            continue
        prepared.append((Upsert(record, found.texts, found.original_language, mentions), problems))
    return prepared


def _failure(exc: Exception) -> str:
    return f"could not be analysed ({exc.__class__.__name__}: {exc}); not stored"


_worker: tuple[LanguageDetector, Tagger | None, tuple[str, ...]] | None = None


def _init_worker(languages: tuple[str, ...], tagging: bool) -> None:
    from ingest.tagging import RecordTagger

    global _worker
    _worker = (LanguageDetector(languages), RecordTagger(languages) if tagging else None, languages)


# What a worker sends back for one record: its Upsert without the record (the main process has
# it already; sending it back would double the pickling), or None, and the problems found.
_Shipped = tuple[tuple[list[TextVersion], str, list[EntityMention] | None] | None, list[str]]


def _prepare_batch(records: list[Record]) -> list[_Shipped]:
    assert _worker is not None, "worker not initialised"
    detector, tagger, languages = _worker
    return [
        (None if upsert is None else (upsert.texts, upsert.original_language, upsert.entities), problems)
        for upsert, problems in prepare_records(records, detector, tagger, languages)
    ]


class PreparedBatch:
    """A batch being prepared in a worker: ``result()`` waits for it and rejoins the records."""

    def __init__(self, records: list[Record], future: Future[list[_Shipped]]) -> None:
        self.records = records
        self.future = future

    def result(self) -> list[Prepared]:
        return [
            (None if shipped is None else Upsert(record, *shipped), problems)
            for record, (shipped, problems) in zip(self.records, self.future.result(), strict=True)
        ]


class PreparePool:
    """Worker processes preparing batches; started from a fork server, so that no open database
    connection or index writer of the main process is copied into them."""

    def __init__(self, workers: int, languages: Sequence[str], tagging: bool) -> None:
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload(["analyzers.detect", "analyzers.entities", "ingest.prepare"])
        self.executor = ProcessPoolExecutor(
            max_workers=workers,
            mp_context=context,
            initializer=_init_worker,
            initargs=(tuple(languages), tagging),
        )

    def submit(self, records: list[Record]) -> PreparedBatch:
        return PreparedBatch(records, self.executor.submit(_prepare_batch, records))

    def close(self) -> None:
        self.executor.shutdown(wait=True, cancel_futures=True)
