"""The translate worker: fill every missing UN-language version of every text field, then re-index.

It runs apart from ingest (``chm-search translate``), so ingest never waits for a model: a record
is searchable in its original language at once and shows ``pending`` for the other languages
until the worker has been through it.

What it does, a batch of records at a time (sentences of the whole batch share model calls):

- for each text field with an original, and each configured language without one, unless a
  curator's reviewed version is current or a machine version is already current (or rejected
  by a curator), it asks the translate stage for a translation from the best original (one
  with a direct model if any, else the record's original language);
- stores the result as the field's ``machine`` version: ``current`` with engine, models, pivot
  path and time; ``failed`` with the gate's reason (readers keep seeing the original, curators
  see it); or ``pending`` with the reason when no model can do the pair;
- re-indexes the records whose readers' view changed, and clears their ``needs_index`` flag
  only once the index has committed them (as ingest does), so a crash in between is repaired
  by the next ingest or translate run.

Re-running is cheap and safe: fields already translated are skipped, and anything else is
answered by the translation memory without calling the model. A source text changed meanwhile
(ingest running concurrently) is never overwritten by a translation of its old version.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from record_catalogue.languages import UN_LANGUAGES
from record_catalogue.models import AuditEntry, FieldText, RecordRow, utcnow
from record_catalogue.store import Catalogue
from search_index.base import SearchBackend
from search_index.documents import build_document
from translate.engines import PIVOT_LANGUAGE
from translate.translator import Stats, TextRequest, TextResult, Translator

BATCH_RECORDS = 64
ACTOR = "translate"


@dataclass(frozen=True)
class Job:
    """One field of one record to translate into one language."""

    record_id: str
    field: str
    source: str
    target: str
    text: str


@dataclass
class TranslateReport:
    """Counts of one run, as the progress bar and the summary show them."""

    records_total: int = 0
    records_seen: int = 0
    records_translated: int = 0
    fields_current: int = 0
    fields_failed: int = 0
    fields_pending: int = 0
    indexed: int = 0
    index_errors: list[tuple[str, str]] = field(default_factory=list)
    model_errors: dict[str, str] = field(default_factory=dict)
    pending_reasons: dict[str, int] = field(default_factory=dict)
    stats: Stats = field(default_factory=Stats)
    started: float = field(default_factory=time.monotonic)

    @property
    def seconds(self) -> float:
        return time.monotonic() - self.started

    @property
    def segments_per_second(self) -> float:
        return self.stats.segments / self.seconds if self.seconds > 0 else 0.0

    def summary(self) -> str:
        s = self.stats
        return (
            f"{self.records_seen} records read, {self.records_translated} with work: "
            f"{self.fields_current} fields translated, {self.fields_failed} failed the sanity gate, "
            f"{self.fields_pending} pending; {s.segments} distinct segments ({s.translated} by the model, "
            f"{s.from_memory} from memory, {s.reviewed} reviewed, {s.copied} copied); "
            f"{self.indexed} records re-indexed in {self.seconds:.1f}s ({self.segments_per_second:.0f} segments/s)"
        )


Progress = Callable[[TranslateReport], None]


class TranslateWorker:
    """Translates the catalogue's records with one translate stage and re-indexes them."""

    def __init__(
        self,
        catalogue: Catalogue,
        backend: SearchBackend,
        translator: Translator,
        languages: Sequence[str] = UN_LANGUAGES,
        batch_records: int = BATCH_RECORDS,
        actor: str = ACTOR,
    ) -> None:
        self.catalogue = catalogue
        self.backend = backend
        self.translator = translator
        self.languages = tuple(languages)
        self.batch_records = batch_records
        self.actor = actor

    def run(
        self,
        realms: Sequence[str] = (),
        languages: Sequence[str] = (),
        limit: int | None = None,
        progress: Progress | None = None,
    ) -> TranslateReport:
        """Translate what is missing (into ``languages``, default all configured; of ``realms``)."""
        targets = tuple(lang for lang in (languages or self.languages) if lang in self.languages)
        self.translator.stats = Stats()
        report = TranslateReport(stats=self.translator.stats)
        report.records_total = self._count(realms)  # what is read; --limit counts records with work
        self.backend.ensure_index()
        models: dict[tuple[str, str], object] = dict(self.translator.engine.models())
        batch: list[RecordRow] = []
        jobs: list[Job] = []
        for row in self._records(realms):
            if limit is not None and report.records_translated + len(batch) >= limit:
                break
            report.records_seen += 1
            row_jobs = self.jobs_for(row, targets, models)
            if row_jobs:
                batch.append(row)
                jobs.extend(row_jobs)
            if len(batch) >= self.batch_records:
                self._process(jobs, report)
                report.records_translated += len(batch)
                batch, jobs = [], []
                if progress is not None:
                    progress(report)
            elif progress is not None and report.records_seen % 100 == 0:
                progress(report)
        if jobs:
            self._process(jobs, report)
            report.records_translated += len(batch)
        if progress is not None:
            progress(report)
        return report

    # -- what to do ----------------------------------------------------------------------------
    def _count(self, realms: Sequence[str]) -> int:
        with self.catalogue.sessions() as session:
            stmt = select(func.count()).select_from(RecordRow)
            if realms:
                stmt = stmt.where(RecordRow.realm.in_(list(realms)))
            return int(session.scalar(stmt) or 0)

    def _records(self, realms: Sequence[str], page: int = 500) -> Iterator[RecordRow]:
        """Records (with texts) in id order, a page per session, optionally of some realms."""
        last = ""
        while True:
            with self.catalogue.sessions() as session:
                stmt = (
                    select(RecordRow)
                    .options(selectinload(RecordRow.texts))
                    .where(RecordRow.id > last)
                    .order_by(RecordRow.id)
                    .limit(page)
                )
                if realms:
                    stmt = stmt.where(RecordRow.realm.in_(list(realms)))
                rows = list(session.scalars(stmt))
            if not rows:
                return
            yield from rows
            last = rows[-1].id

    def jobs_for(
        self, row: RecordRow, targets: Sequence[str], models: dict[tuple[str, str], object] | None = None
    ) -> list[Job]:
        """The fields of ``row`` that lack a usable version in some of ``targets``."""
        if models is None:
            models = dict(self.translator.engine.models())
        jobs: list[Job] = []
        fields = sorted({t.field for t in row.texts})
        for name in fields:
            texts = [t for t in row.texts if t.field == name]
            originals = {t.language: t for t in texts if t.provenance == "original" and t.text.strip()}
            if not originals:
                continue
            for target in targets:
                if target in originals:
                    continue
                others = [t for t in texts if t.language == target and t.provenance != "original"]
                if any(t.provenance == "reviewed" and t.status == "current" for t in others):
                    continue
                machine = next((t for t in others if t.provenance == "machine"), None)
                if machine is not None and machine.status in ("current", "rejected"):
                    continue
                source = self._best_source(originals, target, row.original_language, models)
                jobs.append(Job(row.id, name, source.language, target, source.text))
        return jobs

    @staticmethod
    def _best_source(
        originals: dict[str, FieldText], target: str, original_language: str, models: dict[tuple[str, str], object]
    ) -> FieldText:
        """The original to translate from: a direct model beats a pivot beats none; then the record's language."""

        def rank(language: str) -> tuple[int, int, int]:
            if (language, target) in models:
                reach = 0
            elif (language, PIVOT_LANGUAGE) in models and (PIVOT_LANGUAGE, target) in models:
                reach = 1
            else:
                reach = 2
            return (reach, 0 if language == original_language else 1, 0 if language == PIVOT_LANGUAGE else 1)

        return originals[min(originals, key=rank)]

    # -- doing it ------------------------------------------------------------------------------
    def _process(self, jobs: list[Job], report: TranslateReport) -> None:
        results = self.translator.translate([TextRequest(j.source, j.target, j.text) for j in jobs])
        routes = self.translator.routes
        if routes is not None:
            for (source, target), reason in routes.broken.items():
                report.model_errors[f"{source}→{target}"] = reason
        changed = self._store(jobs, results, report)
        if changed:
            self._reindex(changed, report)

    def _store(self, jobs: list[Job], results: list[TextResult], report: TranslateReport) -> list[str]:
        """Write the machine versions in one transaction; return the records readers see differently."""
        ids = sorted({job.record_id for job in jobs})
        changed: set[str] = set()
        now = utcnow()
        with self.catalogue.sessions.begin() as session:
            stmt = select(RecordRow).where(RecordRow.id.in_(ids)).options(selectinload(RecordRow.texts))
            rows = {row.id: row for row in session.scalars(stmt)}
            touched: dict[str, list[str]] = {}
            for job, result in zip(jobs, results, strict=True):
                row = rows.get(job.record_id)
                if row is None:
                    continue  # deleted meanwhile
                source = next(
                    (
                        t
                        for t in row.texts
                        if t.field == job.field and t.language == job.source and t.provenance == "original"
                    ),
                    None,
                )
                if source is None or source.text != job.text:
                    continue  # the source changed meanwhile: the next run translates the new text
                self._tally(result, job, report)
                existing = next(
                    (
                        t
                        for t in row.texts
                        if t.field == job.field and t.language == job.target and t.provenance == "machine"
                    ),
                    None,
                )
                values = {
                    "text": result.text if result.status != "pending" else "",
                    "status": result.status,
                    "status_reason": result.reason,
                    "engine": result.engine,
                    "model": result.model,
                    "pivot": result.pivot,
                }
                if existing is None:
                    row.texts.append(
                        FieldText(
                            field=job.field,
                            language=job.target,
                            provenance="machine",
                            actor=self.actor,
                            created_at=now,
                            updated_at=now,
                            **values,
                        )
                    )
                    visible = result.status == "current"
                else:
                    if all(getattr(existing, key) == value for key, value in values.items()):
                        continue
                    visible = "current" in (existing.status, result.status)
                    for key, value in values.items():
                        setattr(existing, key, value)
                    existing.actor = self.actor
                    existing.version += 1
                    existing.updated_at = now
                touched.setdefault(row.id, []).append(f"{job.field}.{job.target}:{result.status}")
                if visible:
                    row.needs_index = True
                    changed.add(row.id)
            for record_id, fields in touched.items():
                session.add(
                    AuditEntry(
                        actor=self.actor,
                        action="translation.machine",
                        record_id=record_id,
                        detail={"fields": fields},
                    )
                )
        return sorted(changed)

    @staticmethod
    def _tally(result: TextResult, job: Job, report: TranslateReport) -> None:
        if result.status == "current":
            report.fields_current += 1
        elif result.status == "failed":
            report.fields_failed += 1
        else:
            report.fields_pending += 1
            key = f"{job.source}→{job.target}: {result.reason}"
            report.pending_reasons[key] = report.pending_reasons.get(key, 0) + 1

    def _reindex(self, ids: list[str], report: TranslateReport) -> None:
        """Send the records' new state to the index, commit, then clear their flag."""
        rows = list(self.catalogue.iter_records(ids=ids))
        result = self.backend.bulk(build_document(row) for row in rows)
        self.backend.refresh()
        failed = {doc_id for doc_id, _ in result.errors}
        self.catalogue.mark_indexed([row.id for row in rows if row.id not in failed])
        report.indexed += result.indexed
        report.index_errors.extend(result.errors)
