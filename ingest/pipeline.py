"""The pipeline: read → parse → detect → tag → store → index, in batches; errors reported, never fatal.

Parsing, screening by content hash, detection, tagging, and for records new to the catalogue
their rows and index document, are per-record CPU work: on big runs they happen in worker
processes (``ingest.prepare``), while this process, the one writer of the catalogue and the
index, only inserts and indexes. Its main thread is the part of ingest that cannot be spread
over more cores, so it is kept to what only the writer can do.

Each batch is stored in one catalogue transaction (all of it or none of it; records that
must be prepared again, see ``Pipeline._commit``, in a second one) after which the run's
checkpoint advances; its documents go to the index writer at once, but the index is committed
only every ``commit_every`` records and at the end (a commit writes a segment and costs as much
as indexing thousands of documents). ``needs_index`` is cleared only for committed records. A run
killed at any point therefore resumes (``--resume``) from its last checkpoint without duplicates,
and records stored but not yet committed to the index are indexed by the next run.
"""

from __future__ import annotations

import gc
import logging
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass

from analyzers.detect import LanguageDetector
from ingest.prepare import BatchResult, PendingBatch, PreparedNew, PreparePool, Tagger, prepare_batch
from ingest.sources import SourceItem
from record_catalogue.db import CatalogueUnavailable, RowsRefused, raised_by_database
from record_catalogue.logs import PROGRESS_SECONDS, Every, RunReport
from record_catalogue.store import Catalogue, ErrorReport, Outcome, Upsert
from record_catalogue.term_labels import apply_term_labels, thesaurus_has_labels
from search_index.base import BulkResult, Document, Indexable, IndexBusy, IndexRetired, SearchBackend, document_id
from search_index.documents import RecordLike, build_document
from search_index.restore import ensure_index
from search_index.sync import catch_up

log = logging.getLogger(__name__)
BATCH_SIZE = 500
# Records sent to the index between two commits: readers of a long ingest see new records every
# few seconds, and commits (a segment each, merged later) stay a small part of the cost.
COMMIT_EVERY = 10_000


@dataclass
class IngestReport(RunReport):
    """Counts of one run, as the progress bar and the final summary show them."""

    run_id: str
    total: int | None = None
    read: int = 0
    skipped: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: int = 0
    indexed: int = 0

    @property
    def rate(self) -> float:
        return self.per_second(self.read - self.skipped)

    def counts(self) -> dict[str, int]:
        return {
            name: getattr(self, name)
            for name in ("read", "skipped", "created", "updated", "unchanged", "errors", "indexed")
        }

    def summary(self) -> str:
        resumed = f" (resumed after {self.skipped})" if self.skipped else ""
        return (
            f"{self.read} read{resumed}: {self.created} new, {self.updated} updated, {self.unchanged} unchanged, "
            f"{self.errors} errors; {self.indexed} indexed in {self.seconds:.1f}s ({self.rate:.0f} records/s)"
        )


Progress = Callable[[IngestReport], None]


@dataclass
class Stored:
    """What storing one record did: its outcome and index document, or why it was not stored."""

    record_id: str
    source: str
    position: str
    outcome: Outcome
    document: Indexable | None
    error: str | None = None


@dataclass
class _InFlight:
    """A batch handed out for preparation and not stored yet."""

    work: PendingBatch | BatchResult
    items: list[SourceItem]
    consumed: int  # items of the input read up to the end of this batch: its checkpoint
    mark: int  # batches of the run stored when it was handed out: what its preparation saw


class Pipeline:
    """Runs the stages over source items with one catalogue and one index."""

    def __init__(
        self,
        catalogue: Catalogue,
        backend: SearchBackend,
        detector: LanguageDetector,
        languages: Sequence[str],
        actor: str = "ingest",
        tagger: Tagger | None = None,
        batch_size: int = BATCH_SIZE,
        commit_every: int = COMMIT_EVERY,
        index_busy_wait: float = 0.0,
        waiting: Callable[[IndexBusy], None] | None = None,
    ) -> None:
        self.catalogue = catalogue
        self.backend = backend
        self.detector = detector
        self.languages = tuple(languages)
        self.actor = actor
        self.tagger = tagger
        self.batch_size = batch_size
        self.commit_every = commit_every
        # The embedded index admits one writing process at a time, holding it until it commits:
        # a second ingest run waits this long for it (the API does not wait: 503, try again).
        self.index_busy_wait = index_busy_wait
        self.waiting = waiting
        self._uncommitted: list[str] = []  # ids sent to the index writer since its last commit
        self._thesaurus: bool | None = None  # whether the catalogue holds thesaurus terms (asked once a run)
        # Batches are prepared ahead of storing; what a batch's preparation saw of the catalogue
        # may be changed by the batches stored before it. Ids written by each stored batch of
        # the run, kept while a batch prepared before it is still to be stored.
        self._stored_batches = 0
        self._written: dict[int, set[str]] = {}
        # New records' documents are made into what the index takes where they are prepared
        # (worker processes): the writer sends them as they are, and receives a string each.
        self._encode = backend.document_encoder()

    def settle(self) -> None:
        """Before a long run in this process, in a one-shot command: every language's pipeline
        built now, then what the process holds put out of the garbage collector's sight
        (``gc.freeze``), as ingest's worker processes do at start. Otherwise each collection walks
        the spaCy pipelines, the gazetteer and the detector's tables again (measured: 15 % of an
        in-process run's CPU). Never in a long-lived server, which must still collect what it
        makes."""
        preload = getattr(self.tagger, "preload", None)
        if preload is not None:
            preload()
        gc.collect()
        gc.freeze()

    def run(
        self,
        items: Iterable[SourceItem],
        progress: Progress | None = None,
        run_id: str | None = None,
        skip: int = 0,
        total: int | None = None,
        workers: int = 0,
    ) -> IngestReport:
        """Ingest every item (skipping the first ``skip``, already done by the run being resumed).

        With ``workers`` > 1, batches are prepared in that many worker processes while this one
        stores and indexes; batches are still stored, and checkpointed, in input order. Without,
        each batch is prepared here before the one before it is stored, as a worker would.
        """
        report = IngestReport(run_id=run_id or self.catalogue.new_run_id(), total=total)
        self._thesaurus = None  # asked again each run: a harvest may have brought labels since
        run = {"run_id": report.run_id}
        log.info(
            "ingest run %s started%s",
            report.run_id,
            f" (resuming after {skip})" if skip else "",
            extra={**run, "skip": skip},
        )
        due = Every(PROGRESS_SECONDS)

        def told(report: IngestReport) -> None:
            if due():
                log.info("ingest run %s: %s", report.run_id, report.summary(), extra={**run, "counts": report.counts()})
            if progress is not None:
                progress(report)

        try:
            ensure_index(self.backend, self.catalogue)  # a lost index is rebuilt, never replaced by an empty one
            # A long run is a bulk load: the engine may pause what only readers need (a server's
            # periodic refresh) until the run ends, however it ends; _commit_index refreshes.
            with self.backend.loading():
                self._run(items, report, told, skip, workers)
        except BaseException as exc:
            # Info, as its outcome: what stopped it is the caller's to report (the command's one
            # line, the API's error body), and a failure is not told twice.
            log.info(
                "ingest run %s stopped (%s): %s; resume it with --resume",
                report.run_id,
                type(exc).__name__,
                report.summary(),
                extra={**run, **report.outcome_fields()},
            )
            raise
        log.info(
            "ingest run %s finished: %s",
            report.run_id,
            report.summary(),
            extra={**run, **report.outcome_fields()},
        )
        if progress is not None:
            progress(report)
        return report

    def _run(
        self, items: Iterable[SourceItem], report: IngestReport, progress: Progress | None, skip: int, workers: int
    ) -> None:
        self.index_pending(report)
        pool = None
        if workers > 1:
            pool = PreparePool(
                workers, self.languages, self.tagger is not None, self.catalogue.dsn, self.actor, self._encode
            )
        # Batches handed out before the oldest is stored: with as many as workers, a worker that
        # finishes while the writer stores waits for the next batch to be handed out; with twice
        # as many, the next one is already queued for it.
        ahead = 2 * workers if pool is not None else 1
        in_flight: deque[_InFlight] = deque()
        self._stored_batches, self._written = 0, {}
        try:
            for batch, consumed in self._batches(items, skip, report):
                work: PendingBatch | BatchResult
                if pool is not None:
                    work = pool.submit(batch)
                else:
                    work = prepare_batch(
                        batch,
                        self.catalogue.content_hashes,
                        self.detector,
                        self.tagger,
                        self.languages,
                        self.catalogue.rows,
                        self.actor,
                        self._encode,
                    )
                in_flight.append(_InFlight(work, batch, consumed, self._stored_batches))
                while len(in_flight) > ahead:
                    self._commit(in_flight.popleft(), report, progress, in_flight)
            while in_flight:
                self._commit(in_flight.popleft(), report, progress, in_flight)
            self._commit_index(report)
        finally:
            if pool is not None:
                pool.close()

    def _batches(
        self, items: Iterable[SourceItem], skip: int, report: IngestReport
    ) -> Iterator[tuple[list[SourceItem], int]]:
        batch: list[SourceItem] = []
        for item in items:
            report.read += 1
            if report.read <= skip:
                report.skipped += 1
                continue
            batch.append(item)
            if len(batch) >= self.batch_size:
                yield batch, report.read
                batch = []
        if batch:
            yield batch, report.read

    def _commit(
        self, flight: _InFlight, report: IngestReport, progress: Progress | None, waiting: Sequence[_InFlight]
    ) -> None:
        """Store one prepared batch, send it to the index, then checkpoint.

        Its preparation saw the catalogue as it was when the batch was handed out. A record
        prepared as new that an earlier batch has stored since (``taken``), and a record found
        unchanged that an earlier batch has changed since, are prepared again here, against
        the catalogue as it is now (detection and tagging run in this process for them), and
        stored after the rest of the batch: the last occurrence in the input always wins.
        Those are stored in a second transaction; a crash between the two resumes from the
        checkpoint before the batch, where the first part is found unchanged.
        """
        batch = flight.work.result() if isinstance(flight.work, PendingBatch) else flight.work
        since: set[str] = set()
        for number, ids in self._written.items():
            if number > flight.mark:
                since |= ids
        changed = [position for position, record_id in batch.unchanged if record_id in since]
        documents: dict[str, Indexable] = {}
        taken = self._store_prepared(batch, report, documents)
        report.unchanged -= len(changed)
        again = sorted(taken + changed)
        if again:
            retry = prepare_batch(
                [flight.items[p] for p in again],
                self.catalogue.content_hashes,
                self.detector,
                self.tagger,
                self.languages,
                rows=None,  # stored the ordinary way, against the catalogue as it is now
                actor=self.actor,
            )
            self._store_prepared(retry, report, documents)
        self._stored_batches += 1
        self._written[self._stored_batches] = set(documents)
        oldest = min((waiting_flight.mark for waiting_flight in waiting), default=self._stored_batches)
        for number in [n for n in self._written if n <= oldest]:
            del self._written[number]
        if documents:
            self._send(list(documents.values()), report)
        self.catalogue.checkpoint_run(report.run_id, flight.consumed, report.counts())
        if progress is not None:
            progress(report)

    def _store_prepared(self, batch: BatchResult, report: IngestReport, documents: dict[str, Indexable]) -> list[int]:
        """Store the batch, count what happened and report what went wrong; collect the documents
        to index; return the positions of the new records another batch stored first."""
        errors = [ErrorReport(report.run_id, e.source, e.position, e.record_id, e.reason, "") for e in batch.errors]
        report.unchanged += len(batch.unchanged)
        upserts: list[Upsert] = []
        for record, (upsert, problems) in zip(batch.records, batch.prepared, strict=True):
            errors.extend(
                ErrorReport(report.run_id, record.source, record.source_position, record.id, problem, "")
                for problem in problems
            )
            if upsert is not None:
                upserts.append(upsert)
        upserts = self._same_realm(upserts, report, errors)
        stored, taken, regrouped = self._store(batch.new, upserts)
        taken_ids = {batch.new[n].rows.id for n in taken}
        for new in batch.new:
            if new.rows.id not in taken_ids:  # its problems are reported when it is prepared again
                errors.extend(
                    ErrorReport(report.run_id, new.source, new.source_position, new.rows.id, problem, "")
                    for problem in new.problems
                )
        for result in stored:
            if result.error is not None:
                errors.append(
                    ErrorReport(report.run_id, result.source, result.position, result.record_id, result.error, "")
                )
                continue
            setattr(report, result.outcome, getattr(report, result.outcome) + 1)
            if result.document is not None:
                documents[result.record_id] = result.document
        # Duplicate groups formed, changed or dissolved: those documents come from the catalogue,
        # which knows each group's records (``record_catalogue.duplicates``). Usually none: then
        # no read at all (a session and a query a batch otherwise).
        if regrouped:
            for row in self.catalogue.iter_records(ids=sorted(regrouped)):
                documents[row.id] = build_document(row)
        # Thesaurus keywords: their labels (harvested earlier) join the records' rows, so that
        # the documents sent carry them (``record_catalogue.term_labels``).
        if self._thesaurus is None:  # asked once a run: before a first harvest there are no labels
            self._thesaurus = thesaurus_has_labels(self.catalogue)
        if self._thesaurus and documents:
            labelled = apply_term_labels(self.catalogue, record_ids=list(documents))
            for row in self.catalogue.iter_records(ids=labelled):
                documents[row.id] = build_document(row)
        report.errors += len(errors)
        self.catalogue.add_errors(errors)
        return [batch.new[n].position for n in taken]

    def _same_realm(self, upserts: list[Upsert], report: IngestReport, errors: list[ErrorReport]) -> list[Upsert]:
        """The updates whose record the catalogue holds in the same clearing-house; each other one
        is an error naming both realms, and the record held is left as it is.

        A record id (a CBD GUID) is one record: the same id given by two clearing-houses would
        otherwise overwrite one record with the other, the first realm's record silently lost
        (and its translations and reviews taken over by a different document). New records
        cannot collide (the catalogue holds none of their ids, and they occur once in their batch);
        one stored meanwhile by another batch comes back here as an update; an id twice in one
        batch is kept by its first realm. A withdrawn record's id may be taken by any realm.
        """
        held = self.catalogue.live_realms([upsert.record.id for upsert in upserts])
        kept: list[Upsert] = []
        for upsert in upserts:  # in input order: an id twice in the batch is held by its first realm
            record = upsert.record
            realm = held.setdefault(record.id, record.realm)
            if realm == record.realm:
                kept.append(upsert)
                continue
            reason = (
                f"record id {record.id} is already a {realm} record; this {record.realm} record with the same "
                f"id was not stored (an id names one record across the clearing-houses; if the record moved "
                f"to {record.realm}, withdraw the {realm} one first: chm-search records delete {record.id})"
            )
            errors.append(ErrorReport(report.run_id, record.source, record.source_position, record.id, reason, ""))
        return kept

    def _store(self, new: list[PreparedNew], upserts: list[Upsert]) -> tuple[list[Stored], list[int], set[str]]:
        """Store the batch in one transaction; if that fails, record by record to isolate the bad one.

        Record by record, an error the record caused (a constraint, a value refused) is reported
        against it and the rest goes on; any other database error (unreachable, busy) is the
        catalogue's and stops the run (``CatalogueUnavailable``: resume later, or the API's 503),
        rather than reporting every record of the batch as not stored.

        Returns what happened to each record stored, the indexes in ``new`` of those taken, and
        the records whose document a change of duplicate groups changed."""
        if not new and not upserts:
            return [], [], set()
        try:
            done = self.catalogue.store_batch([n.rows for n in new], upserts, self.actor)
        except (RowsRefused, CatalogueUnavailable) as exc:
            if not raised_by_database(exc):  # the catalogue's verdict after waiting (another writer's lock)
                raise
            # record by record: which one was refused, or was it the catalogue's?
        else:
            return self._outcomes(new, done.taken, upserts, done.upserted), done.taken, done.regrouped
        stored: list[Stored] = []
        taken: list[int] = []
        regrouped: set[str] = set()
        for index, one in enumerate(new):
            try:
                done = self.catalogue.store_batch([one.rows], [], self.actor)
            except RowsRefused as exc:  # any other error is the catalogue's: it stops the run
                stored.append(Stored(one.rows.id, one.source, one.source_position, "unchanged", None, str(exc)))
                continue
            if done.taken:  # found stored by now: to be prepared again, as an update
                taken.append(index)
            regrouped |= done.regrouped
            stored.extend(self._outcomes([one], done.taken, [], []))
        for upsert in upserts:
            record = upsert.record
            try:
                done = self.catalogue.store_batch([], [upsert], self.actor)
            except RowsRefused as exc:
                stored.append(Stored(record.id, record.source, record.source_position, "unchanged", None, str(exc)))
                continue
            regrouped |= done.regrouped
            stored.extend(self._outcomes([], [], [upsert], done.upserted))
        return stored, taken, regrouped

    @staticmethod
    def _outcomes(
        new: Sequence[PreparedNew],
        taken: Sequence[int],
        upserts: Sequence[Upsert],
        upserted: Sequence[tuple[str, Outcome, RecordLike]],
    ) -> list[Stored]:
        skip = set(taken)
        out = [
            Stored(n.rows.id, n.source, n.source_position, "created", n.document)
            for index, n in enumerate(new)
            if index not in skip
        ]
        for upsert, (_, outcome, row) in zip(upserts, upserted, strict=True):
            record = upsert.record
            document = None if outcome == "unchanged" else build_document(row)
            out.append(Stored(record.id, record.source, record.source_position, outcome, document))
        return out

    def _send(self, documents: Sequence[Indexable], report: IngestReport) -> None:
        """Hand documents to the index writer; commit once ``commit_every`` are waiting."""
        result = self._bulk(documents)
        failed = {doc_id for doc_id, _ in result.errors}
        self._uncommitted.extend(doc_id for doc_id in map(document_id, documents) if doc_id not in failed)
        if result.errors:
            report.errors += len(result.errors)
            self.catalogue.add_errors(
                [
                    ErrorReport(report.run_id, "index", "", doc_id, f"not indexed: {reason}", "")
                    for doc_id, reason in result.errors
                ]
            )
        if len(self._uncommitted) >= self.commit_every:
            self._commit_index(report)

    def _bulk(self, documents: Sequence[Indexable]) -> BulkResult:
        """``backend.bulk``, waiting up to ``index_busy_wait`` for another process writing the index."""
        deadline = time.monotonic() + self.index_busy_wait
        told = False
        while True:
            try:
                return self.backend.bulk(documents)
            except IndexBusy as exc:
                if time.monotonic() >= deadline:
                    raise
                if not told and self.waiting is not None:
                    self.waiting(exc)
                told = True
                time.sleep(0.5)

    def _commit_index(self, report: IngestReport) -> None:
        """Commit the index, then clear ``needs_index`` of what it now holds (never before)."""
        if not self._uncommitted:
            return
        try:
            self.backend.refresh()
        except IndexRetired as exc:  # a rebuild swapped versions meanwhile: write them to the live one
            log.info("%s: writing %d records again to the live version", exc, len(self._uncommitted))
            self.backend.bulk(build_document(row) for row in self.catalogue.iter_records(ids=self._uncommitted))
            self.backend.refresh()
        self.catalogue.mark_indexed(self._uncommitted)
        report.indexed += len(self._uncommitted)
        self._uncommitted = []

    def index_pending(self, report: IngestReport | None = None) -> int:
        """Index records stored but not yet committed to the index (a crash between the two)."""
        report = report or IngestReport(run_id="pending")
        before = report.indexed
        gone = self.catalogue.deleted_needing_index()
        if gone:  # deleted while the index was down: take them out now
            self.backend.delete(gone)
            self.backend.refresh()
            self.catalogue.mark_indexed(gone)
        ids = self.catalogue.ids_needing_index()
        for start in range(0, len(ids), self.batch_size):
            rows = self.catalogue.iter_records(ids=ids[start : start + self.batch_size])
            self._send([build_document(row) for row in rows], report)
        self._commit_index(report)
        return report.indexed - before

    def index_records(self, ids: Sequence[str]) -> BulkResult:
        """Send the named records' current state from the catalogue to the index and commit."""
        result = self.backend.bulk(build_document(row) for row in self.catalogue.iter_records(ids=ids))
        self.backend.refresh()
        return result

    def rebuild_index(self, progress: Callable[[int], None] | None = None) -> tuple[str, BulkResult]:
        """Fill a new index version from the whole catalogue, swap it in once complete, then write
        again what changed while it was being filled (``search_index.sync.catch_up``)."""
        mark = self.catalogue.change_mark()

        def documents() -> Iterable[Document]:
            for count, row in enumerate(self.catalogue.iter_records(), start=1):
                yield build_document(row)
                if progress is not None:
                    progress(count)

        version, result = self.backend.rebuild(documents())
        caught_up = catch_up(self.catalogue, self.backend, mark)
        if caught_up:
            log.info("rebuild: %d records changed while it ran written again to %s", caught_up, version)
        return version, result
