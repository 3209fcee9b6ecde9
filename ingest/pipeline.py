"""The pipeline: read → detect → store → index, one record at a time, errors reported, never fatal.

The catalogue is written first and is the truth; the index is fed from it in batches, so a record
that fails to index is still safe and a ``chm-search reindex`` restores it.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

from analyzers.detect import LanguageDetector
from catalogue.store import Catalogue
from ingest.languages import resolve_languages
from ingest.sources import SourceError, SourceItem
from search_index.base import BulkResult, SearchBackend
from search_index.documents import build_document

INDEX_BATCH = 500


@dataclass
class IngestReport:
    """Counts of one run, as the progress bar and the final summary show them."""

    run_id: str
    read: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: int = 0
    indexed: int = 0
    started: float = field(default_factory=time.monotonic)

    @property
    def seconds(self) -> float:
        return time.monotonic() - self.started

    def summary(self) -> str:
        rate = self.read / self.seconds if self.seconds > 0 else 0.0
        return (
            f"{self.read} read: {self.created} new, {self.updated} updated, {self.unchanged} unchanged, "
            f"{self.errors} errors; {self.indexed} indexed in {self.seconds:.1f}s ({rate:.0f} records/s)"
        )


Progress = Callable[[IngestReport], None]


class Pipeline:
    """Runs the stages over source items with one catalogue and one index."""

    def __init__(
        self,
        catalogue: Catalogue,
        backend: SearchBackend,
        detector: LanguageDetector,
        languages: Sequence[str],
        actor: str = "ingest",
    ) -> None:
        self.catalogue = catalogue
        self.backend = backend
        self.detector = detector
        self.languages = tuple(languages)
        self.actor = actor

    def run(
        self, items: Iterable[SourceItem], progress: Progress | None = None, run_id: str | None = None
    ) -> IngestReport:
        """Ingest every item; each bad one becomes an error in the catalogue and the run goes on."""
        report = IngestReport(run_id=run_id or self.catalogue.new_run_id())
        self.backend.ensure_index()
        pending: list[str] = []
        for item in items:
            report.read += 1
            if isinstance(item, SourceError):
                self._error(report, item.source, item.position, item.reason, item.record_id)
            else:
                resolved = resolve_languages(item, self.detector, self.languages)
                for problem in resolved.problems:
                    self._error(report, item.source, item.source_position, problem, item.id)
                if not resolved.texts:
                    self._error(
                        report,
                        item.source,
                        item.source_position,
                        "record has no text in a known language; not stored",
                        item.id,
                    )
                else:
                    outcome = self.catalogue.upsert(item, resolved.texts, resolved.original_language, self.actor)
                    setattr(report, outcome, getattr(report, outcome) + 1)
                    if outcome != "unchanged":
                        pending.append(item.id)
            if len(pending) >= INDEX_BATCH:
                self._index(report, pending)
                pending = []
            if progress is not None:
                progress(report)
        if pending:
            self._index(report, pending)
        self.backend.refresh()
        if progress is not None:
            progress(report)
        return report

    def _error(self, report: IngestReport, source: str, position: str, reason: str, record_id: str | None) -> None:
        report.errors += 1
        self.catalogue.add_error(report.run_id, source, position, reason, record_id)

    def _index(self, report: IngestReport, ids: Sequence[str]) -> None:
        result = self.index_records(ids)
        report.indexed += result.indexed
        for doc_id, reason in result.errors:
            self._error(report, "index", "", f"not indexed: {reason}", doc_id)

    def index_records(self, ids: Sequence[str]) -> BulkResult:
        """Send the named records' current state from the catalogue to the index (not refreshed)."""
        return self.backend.bulk(build_document(row) for row in self.catalogue.iter_records(ids=ids))

    def rebuild_index(self, progress: Callable[[int], None] | None = None) -> tuple[str, BulkResult]:
        """Fill a new index version from the whole catalogue and swap it in once complete."""

        def documents() -> Iterable[dict[str, object]]:
            for count, row in enumerate(self.catalogue.iter_records(), start=1):
                yield build_document(row)
                if progress is not None:
                    progress(count)

        return self.backend.rebuild(documents())
