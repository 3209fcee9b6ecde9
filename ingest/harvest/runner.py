"""One harvest run over one source: records stored through the ingest pipeline, withdrawals, errors.

Every harvester (``cbd_api``, ``oai``, ``feeds``) reads its source its own way and hands what it
read here a page at a time: the page is stored and indexed by the same pipeline ``chm-search
ingest`` uses (detection, tagging, upsert by id and content hash, so a page read twice costs
nothing and never duplicates), and only then may the harvester move the source's high-water mark.
Failures go to the catalogue's error list (``chm-search errors``) with the URL and the reason.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from ingest.pipeline import IngestReport, Pipeline
from ingest.sources import SourceError
from record_catalogue.harvest_state import HarvestState, SourceConfig
from record_catalogue.record import Record


@dataclass
class HarvestCounts:
    """What a run did, as its summary line and ``sources list`` show it."""

    listed: int = 0  # items the source listed as changed
    fetched: int = 0  # records fetched and read
    not_modified: int = 0  # conditional requests answered 304
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    withdrawn: int = 0
    errors: int = 0
    requests: int = 0

    def add(self, report: IngestReport) -> None:
        self.created += report.created
        self.updated += report.updated
        self.unchanged += report.unchanged
        self.errors += report.errors

    def as_dict(self) -> dict[str, int]:
        return dict(self.__dict__)

    def summary(self) -> str:
        return (
            f"{self.listed} listed, {self.fetched} fetched ({self.not_modified} not modified): "
            f"{self.created} new, {self.updated} updated, {self.unchanged} unchanged, "
            f"{self.withdrawn} withdrawn, {self.errors} errors; {self.requests} requests"
        )


@dataclass
class HarvestRun:
    """The run's pipeline, the source's state, and its error list."""

    pipeline: Pipeline
    state: HarvestState
    source: SourceConfig
    run_id: str
    counts: HarvestCounts = field(default_factory=HarvestCounts)
    terms: set[str] = field(default_factory=set)  # thesaurus terms the records read refer to
    stopped: str | None = None  # why the source could not be read to the end, if it could not
    notes: list[str] = field(default_factory=list)  # what the run decided that its user should know

    def note(self, message: str) -> None:
        """Something the run's summary says (a list continued, or started again, and why)."""
        self.notes.append(message)

    def stop(self, url: str, reason: str) -> None:
        """The source cannot be read further this run (down, not the protocol, endless): report it."""
        self.stopped = reason
        self.error(url, reason)

    @property
    def actor(self) -> str:
        return f"harvest:{self.source.name}"

    def error(self, url: str, reason: str, record_id: str | None = None, position: str = "") -> None:
        """Report a failure of this run (``chm-search errors``)."""
        self.counts.errors += 1
        self.pipeline.catalogue.add_error(self.run_id, url, position, reason, record_id)

    def store(self, items: Sequence[Record | SourceError]) -> IngestReport:
        """Store and index records (errors reported against their URL); done when it returns."""
        report = self.pipeline.run(items, run_id=self.run_id)
        self.counts.add(report)
        return report

    def withdraw(self, record_ids: Iterable[str]) -> int:
        """Remove records the source no longer has: from the index first, then the catalogue
        (so that a run killed in between leaves a record the next run withdraws again, never an
        index entry without its record); the audit trail says who and when."""
        ids = [record_id for record_id in dict.fromkeys(record_ids) if record_id]
        if not ids:
            return 0
        self.pipeline.backend.delete(ids)
        self.pipeline.backend.refresh()
        removed = 0
        for record_id in ids:
            if self.pipeline.catalogue.delete_record(record_id, self.actor):
                removed += 1
        self.counts.withdrawn += removed
        return removed
