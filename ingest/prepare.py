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
from ingest.languages import resolve_languages
from record_catalogue.record import Record
from record_catalogue.store import EntityMention, Upsert

Prepared = tuple[Upsert | None, list[str]]


class Tagger(Protocol):
    """What the pipeline needs of an entity tagger (``ingest.tagging.RecordTagger``)."""

    def mentions(self, record: Record, texts: Sequence[tuple[str, str, str]]) -> list[EntityMention]:
        """Entities in ``(field, language, text)`` versions of ``record``."""
        ...


def prepare_record(
    record: Record, detector: LanguageDetector, tagger: Tagger | None, languages: Sequence[str]
) -> Prepared:
    """Languages decided, entities found: what to store for ``record``, and what went wrong.

    A failure in the analysers costs this record (reported), never the batch.
    """
    try:
        return _prepare(record, detector, tagger, languages)
    except Exception as exc:  # any analyser bug must not lose the rest of the batch
        return None, [f"could not be analysed ({exc.__class__.__name__}: {exc}); not stored"]


def _prepare(record: Record, detector: LanguageDetector, tagger: Tagger | None, languages: Sequence[str]) -> Prepared:
    resolved = resolve_languages(record, detector, languages)
    problems = list(resolved.problems)
    if not resolved.texts:
        problems.append("record has no text in a known language; not stored")
        return None, problems
    entities = None
    if tagger is not None:
        entities = tagger.mentions(record, [(t.field, t.language, t.text) for t in resolved.texts])
    return Upsert(record, resolved.texts, resolved.original_language, entities), problems


_worker: tuple[LanguageDetector, Tagger | None, tuple[str, ...]] | None = None


def _init_worker(languages: tuple[str, ...], tagging: bool) -> None:
    from ingest.tagging import RecordTagger

    global _worker
    _worker = (LanguageDetector(languages), RecordTagger(languages) if tagging else None, languages)


def _prepare_batch(records: list[Record]) -> list[Prepared]:
    assert _worker is not None, "worker not initialised"
    detector, tagger, languages = _worker
    return [prepare_record(record, detector, tagger, languages) for record in records]


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

    def submit(self, records: list[Record]) -> Future[list[Prepared]]:
        return self.executor.submit(_prepare_batch, records)

    def close(self) -> None:
        self.executor.shutdown(wait=True, cancel_futures=True)
