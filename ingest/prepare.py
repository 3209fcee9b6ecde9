"""Deciding what to store for a record (languages, entities), in this process or in worker processes.

Detection and tagging are pure CPU work on one record at a time, the bulk of ingest's cost; the
catalogue and the index need one writer. So big runs prepare batches in a pool of worker
processes while the main process stores and indexes earlier batches. A record new to the
catalogue is prepared all the way to the rows that insert it (values as the database driver
takes them) and the document that indexes it: the writer is left with the writes.
"""

from __future__ import annotations

import gc
import multiprocessing
import os
import pickle
import shutil
import tempfile
import time
import traceback
from collections import Counter
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO, NamedTuple, Protocol

from analyzers.detect import LanguageDetector
from ingest.languages import ResolvedLanguages, resolve_languages
from ingest.lifeline import alive, exit_when_gone, kill_me_with_parent
from ingest.sources import SourceError, SourceItem, Unparsed
from ingest.sources.cbd_json import parse_item
from record_catalogue.dialect import in_memory
from record_catalogue.errors import ChmSearchError
from record_catalogue.models import utcnow
from record_catalogue.record import Record
from record_catalogue.store import (
    Catalogue,
    EntityMention,
    LeftOut,
    NewRecord,
    RowMaker,
    TextVersion,
    Upsert,
    stored_record,
)
from search_index.base import DocumentEncoder, Indexable
from search_index.documents import build_document

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
        problems = [*record.notes, *found.problems]  # notes: what was changed on input (NUL removed)
        if not found.texts:
            problems.append("record has no text in a known language; not stored")
            prepared.append((None, problems))
            continue
        mentions = entities.get(n)
        if isinstance(mentions, str):
            prepared.append((None, [*problems, mentions]))
            continue
        upsert = Upsert(record, found.texts, found.original_language, mentions, tuple(found.left_out))
        prepared.append((upsert, problems))
    return prepared


def _unhashable(record: Record) -> str | None:
    """Why the record cannot be hashed (then it cannot be stored either), or None; the hash is
    kept on the record, so asking here costs nothing later."""
    try:
        record.content_hash()
    except Exception as exc:  # never the reason a batch, or a resumed run, stops
        return _failure(exc)
    return None


def _failure(exc: Exception) -> str:
    return f"could not be analysed ({exc.__class__.__name__}: {exc}); not stored"


class PreparedNew(NamedTuple):
    """A record the catalogue did not hold when it was prepared: its rows, its index document."""

    position: int  # in the batch's items: prepared again, as an update, if another batch stored it first
    source: str
    source_position: str
    rows: NewRecord
    document: Indexable  # in the index's wire form when the pipeline was given an encoder
    problems: list[str]


@dataclass
class BatchResult:
    """A batch after preparation: its source errors, the records found unchanged (position in
    the batch and id: same content hash as stored, nothing more was done for them), the records
    new to the catalogue as rows ready to insert and documents ready to index (``new``), and the
    other records to store (``records``, each with what ``prepared`` says of it)."""

    errors: list[SourceError] = field(default_factory=list)
    unchanged: list[tuple[int, str]] = field(default_factory=list)
    records: list[Record] = field(default_factory=list)
    prepared: list[Prepared] = field(default_factory=list)
    new: list[PreparedNew] = field(default_factory=list)


KnownHashes = Callable[[list[str]], dict[str, str]]


def prepare_batch(
    items: Sequence[SourceItem],
    known_hashes: KnownHashes,
    detector: LanguageDetector,
    tagger: Tagger | None,
    languages: Sequence[str],
    rows: RowMaker | None = None,
    actor: str = "ingest",
    encode: DocumentEncoder | None = None,
) -> BatchResult:
    """Parse, screen out unchanged records by content hash, then prepare the rest.

    With ``rows``, records the catalogue does not hold go as far as they can without it: to the
    rows that insert them and the document that indexes them, so that the catalogue's one
    writer only writes. An id that occurs twice in the batch is stored the ordinary way, in
    input order, as is everything without ``rows``; so is it when unchanged, since an earlier
    occurrence may change it. With ``encode`` (the index's ``document_encoder``), such a
    record's document is made into what the index takes, too.
    """
    result = BatchResult()
    parsed: list[Record | SourceError] = []
    for item in items:
        try:
            parsed.append(parse_item(item))
        except Exception as exc:  # a reader bug must not lose the rest of the batch
            source, position = (item.source, item.position) if isinstance(item, Unparsed) else ("", "")
            parsed.append(SourceError(source, position, f"could not be read ({exc.__class__.__name__}: {exc})"))
    known = known_hashes([item.id for item in parsed if isinstance(item, Record)])
    occurrences = Counter(item.id for item in parsed if isinstance(item, Record))
    todo: list[tuple[int, Record]] = []
    for n, item in enumerate(parsed):
        if isinstance(item, Record) and (failure := _unhashable(item)) is not None:
            item = SourceError(item.source, item.source_position, failure, item.id)
        if isinstance(item, SourceError):
            result.errors.append(item)
        elif occurrences[item.id] == 1 and known.get(item.id) == item.content_hash():
            result.unchanged.append((n, item.id))  # one lookup: no detection, no write
        else:
            todo.append((n, item))
    prepared = prepare_records([record for _, record in todo], detector, tagger, languages)
    now = utcnow()
    for (n, record), (upsert, problems) in zip(todo, prepared, strict=True):
        if rows is not None and upsert is not None and record.id not in known and occurrences[record.id] == 1:
            try:
                built = build_document(stored_record(upsert, now))
                # Left as it is when the encoder leaves it: the writer reports why.
                document: Indexable = (encode(built) if encode is not None else None) or built
                new = rows.new_record(upsert, actor, now)
            except Exception as exc:  # a bug here must cost this record only, reported
                result.records.append(record)
                result.prepared.append((None, [*problems, _failure(exc)]))
                continue
            result.new.append(PreparedNew(n, record.source, record.source_position, new, document, problems))
        else:
            result.records.append(record)
            result.prepared.append((upsert, problems))
    return result


_worker: (
    tuple[LanguageDetector, Tagger | None, tuple[str, ...], KnownHashes, RowMaker, str, DocumentEncoder | None] | None
) = None


def _init_worker(
    languages: tuple[str, ...],
    tagging: bool,
    dsn: str,
    actor: str,
    owner: int | None = None,
    encode: DocumentEncoder | None = None,
) -> None:
    from ingest.tagging import RecordTagger

    global _worker
    # A worker's parent is the fork server; ``owner`` is the ingest process. Either gone, the
    # worker goes too (the pool's queues keep it waiting for work that will never come).
    kill_me_with_parent()
    if owner is not None:
        exit_when_gone(owner)
    shared = not in_memory(dsn)  # in-memory: the writer's alone
    known: KnownHashes = Catalogue(dsn, auto_migrate=False).content_hashes if shared else _nothing_known
    tagger = RecordTagger(languages) if tagging else None
    if tagger is not None:
        tagger.preload()  # every language's spaCy pipeline now, for gc.freeze below to cover
    _worker = (LanguageDetector(languages), tagger, languages, known, RowMaker.for_url(dsn), actor, encode)
    # What a worker builds at start (detector tables, spaCy pipelines, the gazetteer) lives as
    # long as it does: out of the collector's sight, collections stop walking it again and again
    # (measured on 10,000 records: preparation 17 % cheaper). Not for the writer, whose process
    # may be a long-lived API server that must still collect what it makes.
    gc.freeze()


def _nothing_known(ids: list[str]) -> dict[str, str]:
    """Without a catalogue to ask, every record is prepared as new; the writer finds the others."""
    del ids
    return {}


# What a worker sends back for one record: its Upsert without the record (sent once, beside), or
# None, and the problems found; named tuples rather than dataclasses, which pickle slower.
_Shipped = tuple[tuple[list[TextVersion], str, list[EntityMention] | None, tuple[LeftOut, ...]] | None, list[str]]
_ShippedBatch = tuple[list[SourceError], list[tuple[int, str]], list[Record], list[_Shipped], list[PreparedNew]]


def _prepare_in_worker(items: list[SourceItem]) -> _ShippedBatch:
    assert _worker is not None, "worker not initialised"
    detector, tagger, languages, known, rows, actor, encode = _worker
    result = prepare_batch(items, known, detector, tagger, languages, rows, actor, encode)
    shipped: list[_Shipped] = [
        (
            None if upsert is None else (upsert.texts, upsert.original_language, upsert.entities, upsert.left_out),
            problems,
        )
        for upsert, problems in result.prepared
    ]
    return result.errors, result.unchanged, result.records, shipped, result.new


Task = Callable[[list[SourceItem]], _ShippedBatch]


def _deliver(task: Task, items: list[SourceItem], outboxes: Sequence[str]) -> str:
    """Prepare a batch with ``task``, leave the result in a file in the first of ``outboxes``
    that takes it (the next when one is full) and return the file's name.

    Why a file: the pool sends results back over one pipe shared by its workers, and a worker
    killed halfway through sending a large result (a batch of 500 records' rows and documents
    is ~2 MB) leaves half a message there, which the pool's manager thread then waits on for
    ever (CPython 3.11: the run hung instead of preparing the batch again). A file name makes a
    message far shorter than ``select.PIPE_BUF``, which the pipe takes in one atomic write: a
    killed worker has sent it or not. Half a file is left for ``PreparePool.close`` to remove.
    A failure goes the same way, since its traceback can be long too.
    """
    outcome: tuple[bool, object, str]
    try:
        outcome = (True, task(items), "")
    except Exception as exc:  # sent back to fail the run there, with its traceback
        outcome = (False, exc, traceback.format_exc())
    for outbox in outboxes[:-1]:
        try:
            return _write(outcome, outbox)
        except OSError:  # full (a small /dev/shm): the next one
            pass
    return _write(outcome, outboxes[-1])


def _write(outcome: tuple[bool, object, str], outbox: str) -> str:
    handle, path = tempfile.mkstemp(suffix=".pickle", dir=outbox)
    try:
        with os.fdopen(handle, "wb") as file:
            _dump(outcome, file)
    except BaseException:
        os.unlink(path)
        raise
    return path


def _dump(outcome: tuple[bool, object, str], file: BinaryIO) -> None:
    try:
        pickle.dump(outcome, file, protocol=pickle.HIGHEST_PROTOCOL)
    except (pickle.PicklingError, TypeError, AttributeError):  # an exception that does not pickle: its text does
        file.seek(0)
        file.truncate()
        pickle.dump((False, RuntimeError(outcome[2] or traceback.format_exc()), ""), file)


OUTBOX_PREFIX = "chm-prepare-"
# How long an outbox whose owner is not running here must have been untouched before it goes. A
# running pool touches its outboxes with every batch; the wait spares one whose owner runs in
# another pid namespace (containers sharing /dev/shm, ``--ipc=host``), where its pid means nothing.
STALE_OUTBOX_SECONDS = 3600.0


def _outboxes() -> tuple[str, ...]:
    """Directories for a pool's results: one in memory where Linux has one (``/dev/shm``, tmpfs),
    since each file is read back within moments (from a disk-backed temp directory the pool
    cost ~4 % more CPU a record; from tmpfs, as much as through the pipe), then one in the temp
    directory for when that is full (containers often give /dev/shm 64 MB only).

    An ingest killed with ``kill -9`` cannot remove its own, and what is left in tmpfs holds
    memory until the machine restarts: stale outboxes of processes that no longer run go first."""
    memory = "/dev/shm"
    places = [*([memory] if os.access(memory, os.W_OK | os.X_OK) else []), tempfile.gettempdir()]
    for place in places:
        for left in Path(place).glob(f"{OUTBOX_PREFIX}*-*"):
            if _stale(left):
                shutil.rmtree(left, ignore_errors=True)
    return tuple(tempfile.mkdtemp(prefix=f"{OUTBOX_PREFIX}{os.getpid()}-", dir=place) for place in places)


def _stale(outbox: Path) -> bool:
    owner = outbox.name[len(OUTBOX_PREFIX) :].split("-", 1)[0]
    if not owner.isdigit() or alive(int(owner)):
        return False
    try:
        return time.time() - outbox.stat().st_mtime > STALE_OUTBOX_SECONDS
    except OSError:  # removed meanwhile
        return False


def _collect(path: str) -> _ShippedBatch:
    """What ``_deliver`` left in ``path`` (the file is removed), or the worker's failure raised."""
    try:
        with open(path, "rb") as file:
            ok, value, trace = pickle.load(file)
    finally:
        os.unlink(path)
    if not ok:
        raise value from (WorkerFailure(trace) if trace else None)
    result: _ShippedBatch = value
    return result


class WorkerFailure(ChmSearchError):
    """The traceback of an exception raised in a worker, as its cause where it is raised again
    (an internal error: a bug, since preparation reports each record's own failures)."""


class PendingBatch:
    """A batch being prepared in a worker: ``result()`` waits for it."""

    def __init__(self, future: Future[str], pool: PreparePool, items: list[SourceItem]) -> None:
        self.future = future
        self.pool = pool
        self.items = items
        self.executor = pool.executor

    def result(self) -> BatchResult:
        try:
            shipped_batch = _collect(self.future.result())
        except BrokenProcessPool:  # a worker died (killed, out of memory, crashed): prepare it again
            shipped_batch = self.pool.prepare_again(self.items, self.executor)
        errors, unchanged, records, shipped, new = shipped_batch
        prepared: list[Prepared] = [
            (None if upsert is None else Upsert(record, *upsert), problems)
            for record, (upsert, problems) in zip(records, shipped, strict=True)
        ]
        return BatchResult(errors, unchanged, records, prepared, new)


WORKER_DIED = "preparing it ended the worker process that did (killed or crashed: out of memory?); not stored"


class PreparePool:
    """Worker processes preparing batches; started from a fork server, so that no open database
    connection or index writer of the main process is copied into them. Each worker opens its own
    read-only use of the catalogue (``dsn``) to recognise unchanged records.

    A worker that dies (the OOM killer, a crash in a library) breaks the pool and fails every
    batch it held: the pool is started again and those batches prepared again; a batch that
    breaks it again is prepared one record at a time, and a record that still kills its worker
    is reported as that record's error. So no record can stop a run, nor a resumed one.
    Results come back through files in directories of the pool's own (``_deliver`` says why)."""

    task: Task = staticmethod(_prepare_in_worker)  # what a worker does with a batch
    initializer = staticmethod(_init_worker)  # what a worker does once, when it starts (with ``initargs``)

    def __init__(
        self,
        workers: int,
        languages: Sequence[str],
        tagging: bool,
        dsn: str,
        actor: str = "ingest",
        encode: DocumentEncoder | None = None,
    ) -> None:
        self.workers = workers
        self.initargs = (tuple(languages), tagging, dsn, actor, os.getpid(), encode)
        self.outboxes = _outboxes()
        self.executor = self._start()

    def _start(self) -> ProcessPoolExecutor:
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload(["analyzers.detect", "analyzers.entities", "ingest.prepare"])
        return ProcessPoolExecutor(
            max_workers=self.workers, mp_context=context, initializer=self.initializer, initargs=self.initargs
        )

    def submit(self, items: list[SourceItem]) -> PendingBatch:
        executor = self.executor
        try:
            return PendingBatch(self._hand_out(executor, items), self, items)
        except BrokenProcessPool:  # broken since the last batch was handed out
            self._renew(executor)
            return PendingBatch(self._hand_out(self.executor, items), self, items)

    def _hand_out(self, executor: ProcessPoolExecutor, items: list[SourceItem]) -> Future[str]:
        return executor.submit(_deliver, self.task, items, self.outboxes)

    def _renew(self, broken: ProcessPoolExecutor) -> None:
        """Replace ``broken`` with a new pool (once: later batches of the same break find it done)."""
        if self.executor is broken:
            broken.shutdown(wait=False, cancel_futures=True)
            self.executor = self._start()

    def prepare_again(self, items: list[SourceItem], broken: ProcessPoolExecutor) -> _ShippedBatch:
        self._renew(broken)
        executor = self.executor
        try:
            return _collect(self._hand_out(executor, items).result())
        except BrokenProcessPool:
            self._renew(executor)
        parts: list[_ShippedBatch] = []
        for item in items:
            executor = self.executor
            try:
                parts.append(_collect(self._hand_out(executor, [item]).result()))
            except BrokenProcessPool:
                self._renew(executor)
                parts.append(([_died(item)], [], [], [], []))
        return _merge(parts)

    def close(self) -> None:
        try:
            self.executor.shutdown(wait=True, cancel_futures=True)
        finally:
            for outbox in self.outboxes:  # results never collected, halves of killed workers'
                shutil.rmtree(outbox, ignore_errors=True)


def _died(item: SourceItem) -> SourceError:
    if isinstance(item, Record):
        return SourceError(item.source, item.source_position, WORKER_DIED, item.id)
    record_id = item.record_id if isinstance(item, SourceError) else None
    return SourceError(item.source, item.position, WORKER_DIED, record_id)


def _merge(parts: list[_ShippedBatch]) -> _ShippedBatch:
    """One batch's result from the results of its items prepared one by one (item ``n`` of the
    batch is part ``n``, where its positions are 0)."""
    merged: _ShippedBatch = ([], [], [], [], [])
    for n, (errors, unchanged, records, shipped, new) in enumerate(parts):
        merged[0].extend(errors)
        merged[1].extend((n, record_id) for _, record_id in unchanged)
        merged[2].extend(records)
        merged[3].extend(shipped)
        merged[4].extend(prepared._replace(position=n) for prepared in new)
    return merged
