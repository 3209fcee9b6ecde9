"""The pipeline: read → parse → detect → tag → store → index, in batches; errors reported, never fatal.

Parsing, screening by content hash, detection and tagging are per-record CPU work: on big runs
they happen in worker processes (``ingest.prepare``), while this process, the one writer of the
catalogue and the index, only stores and indexes.

Each batch is one catalogue transaction (all of it or none of it) after which the run's
checkpoint advances; its documents go to the index writer at once, but the index is committed
only every ``commit_every`` records and at the end (a commit writes a segment and costs as much
as indexing thousands of documents). ``needs_index`` is cleared only for committed records. A run
killed at any point therefore resumes (``--resume``) from its last checkpoint without duplicates,
and records stored but not yet committed to the index are indexed by the next run.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field

from sqlalchemy.exc import SQLAlchemyError

from analyzers.detect import LanguageDetector
from ingest.prepare import BatchResult, PendingBatch, PreparePool, Tagger, prepare_batch
from ingest.sources import SourceItem
from record_catalogue.store import Catalogue, ErrorReport, Outcome, Upsert
from search_index.base import BulkResult, SearchBackend
from search_index.documents import RecordLike, build_document

BATCH_SIZE = 500
# Records sent to the index between two commits: readers of a long ingest see new records every
# few seconds, and commits (a segment each, merged later) stay a small part of the cost.
COMMIT_EVERY = 10_000


@dataclass
class IngestReport:
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
    started: float = field(default_factory=time.monotonic)

    @property
    def seconds(self) -> float:
        return time.monotonic() - self.started

    @property
    def rate(self) -> float:
        return (self.read - self.skipped) / self.seconds if self.seconds > 0 else 0.0

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
    """What storing one record did: its outcome and row, or why it was not stored."""

    upsert: Upsert
    outcome: Outcome
    row: RecordLike | None
    error: str | None = None


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
    ) -> None:
        self.catalogue = catalogue
        self.backend = backend
        self.detector = detector
        self.languages = tuple(languages)
        self.actor = actor
        self.tagger = tagger
        self.batch_size = batch_size
        self.commit_every = commit_every
        self._uncommitted: list[str] = []  # ids sent to the index writer since its last commit

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
        stores and indexes; batches are still committed, and checkpointed, in input order.
        """
        report = IngestReport(run_id=run_id or self.catalogue.new_run_id(), total=total)
        self.backend.ensure_index()
        self.index_pending(report)
        pool = None
        if workers > 1:
            dsn = None if ":memory:" in self.catalogue.dsn else self.catalogue.dsn  # workers cannot share memory
            pool = PreparePool(workers, self.languages, self.tagger is not None, dsn)
        in_flight: deque[tuple[PendingBatch | BatchResult, int]] = deque()
        try:
            for batch, consumed in self._batches(items, skip, report):
                work: PendingBatch | BatchResult
                if pool is not None:
                    work = pool.submit(batch)
                else:
                    work = prepare_batch(
                        batch, self.catalogue.content_hashes, self.detector, self.tagger, self.languages
                    )
                in_flight.append((work, consumed))
                # Keep one batch in preparation while the previous one is stored and indexed.
                while len(in_flight) > (1 if pool is not None else 0):
                    self._commit(*in_flight.popleft(), report, progress)
            while in_flight:
                self._commit(*in_flight.popleft(), report, progress)
            self._commit_index(report)
        finally:
            if pool is not None:
                pool.close()
        if progress is not None:
            progress(report)
        return report

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
        self,
        work: PendingBatch | BatchResult,
        consumed: int,
        report: IngestReport,
        progress: Progress | None,
    ) -> None:
        """Store one prepared batch in one transaction, send it to the index, then checkpoint."""
        batch = work.result() if isinstance(work, PendingBatch) else work
        errors = [ErrorReport(report.run_id, e.source, e.position, e.record_id, e.reason, "") for e in batch.errors]
        report.unchanged += batch.unchanged
        upserts: list[Upsert] = []
        for record, (upsert, problems) in zip(batch.records, batch.prepared, strict=True):
            errors.extend(
                ErrorReport(report.run_id, record.source, record.source_position, record.id, problem, "")
                for problem in problems
            )
            if upsert is not None:
                upserts.append(upsert)
        changed: dict[str, RecordLike] = {}
        for stored in self._store(upserts):
            record = stored.upsert.record
            if stored.row is None:
                errors.append(
                    ErrorReport(
                        report.run_id,
                        record.source,
                        record.source_position,
                        record.id,
                        stored.error or "not stored",
                        "",
                    )
                )
                continue
            setattr(report, stored.outcome, getattr(report, stored.outcome) + 1)
            if stored.outcome != "unchanged":
                changed[stored.row.id] = stored.row
        report.errors += len(errors)
        self.catalogue.add_errors(errors)
        if changed:
            self._send(list(changed.values()), report)
        self.catalogue.checkpoint_run(report.run_id, consumed, report.counts())
        if progress is not None:
            progress(report)

    def _store(self, upserts: list[Upsert]) -> list[Stored]:
        """Store the batch in one transaction; if that fails, record by record to isolate the bad one."""
        if not upserts:
            return []
        try:
            results = self.catalogue.upsert_many(upserts, self.actor)
            return [Stored(u, outcome, row) for u, (_, outcome, row) in zip(upserts, results, strict=True)]
        except SQLAlchemyError:
            pass
        stored: list[Stored] = []
        for upsert in upserts:
            try:
                [(_, outcome, row)] = self.catalogue.upsert_many([upsert], self.actor)
            except SQLAlchemyError as exc:
                stored.append(Stored(upsert, "unchanged", None, f"not stored: {str(exc).splitlines()[0]}"))
                continue
            stored.append(Stored(upsert, outcome, row))
        return stored

    def _send(self, rows: Sequence[RecordLike], report: IngestReport) -> None:
        """Hand documents to the index writer; commit once ``commit_every`` are waiting."""
        result = self.backend.bulk(build_document(row) for row in rows)
        failed = {doc_id for doc_id, _ in result.errors}
        self._uncommitted.extend(row.id for row in rows if row.id not in failed)
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

    def _commit_index(self, report: IngestReport) -> None:
        """Commit the index, then clear ``needs_index`` of what it now holds (never before)."""
        if not self._uncommitted:
            return
        self.backend.refresh()
        self.catalogue.mark_indexed(self._uncommitted)
        report.indexed += len(self._uncommitted)
        self._uncommitted = []

    def index_pending(self, report: IngestReport | None = None) -> int:
        """Index records stored but not yet committed to the index (a crash between the two)."""
        report = report or IngestReport(run_id="pending")
        before = report.indexed
        ids = self.catalogue.ids_needing_index()
        for start in range(0, len(ids), self.batch_size):
            self._send(list(self.catalogue.iter_records(ids=ids[start : start + self.batch_size])), report)
        self._commit_index(report)
        return report.indexed - before

    def index_records(self, ids: Sequence[str]) -> BulkResult:
        """Send the named records' current state from the catalogue to the index and commit."""
        result = self.backend.bulk(build_document(row) for row in self.catalogue.iter_records(ids=ids))
        self.backend.refresh()
        return result

    def rebuild_index(self, progress: Callable[[int], None] | None = None) -> tuple[str, BulkResult]:
        """Fill a new index version from the whole catalogue and swap it in once complete."""

        def documents() -> Iterable[dict[str, object]]:
            for count, row in enumerate(self.catalogue.iter_records(), start=1):
                yield build_document(row)
                if progress is not None:
                    progress(count)

        return self.backend.rebuild(documents())
