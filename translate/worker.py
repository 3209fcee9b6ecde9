"""The translate worker: fill every missing UN-language version of every text field, then re-index.

It runs apart from ingest (``chm-search translate``), so ingest never waits for a model: a record
is searchable in its original language at once and shows ``pending`` for the other languages
until the worker has been through it.

What it does, a batch of records at a time (sentences of the whole batch share model calls):

- for each text field with an original, and each configured language without one, unless a
  curator's reviewed version is current or a machine version is already current (or holds a
  sentence a curator rejected, and its source has not changed since), it asks the translate
  stage for a translation from the best original (one with a direct model if any, else the
  record's original language);
- stores the result as the field's ``machine`` version: ``current`` with engine, models, pivot
  path and time; ``failed`` with the gate's reason (readers keep seeing the original, curators
  see it); ``rejected`` when a curator rejected one of its sentences; or ``pending`` with the
  reason when no model can do the pair. A text made only of curator-reviewed sentences is
  stored as the field's ``reviewed`` version instead (``translate.fields``), and the sentences
  each field is made of are recorded (its uses), so later corrections reach it;
- stores under the catalogue's write lock, re-reading the sentences it used: a curator's
  decision committed while the model was running wins (the field is assembled again from the
  memory), so nothing a curator did is lost to a concurrent run;
- re-indexes the records whose readers' view changed, and clears their ``needs_index`` flag
  only once the index has committed them (as ingest does), so a crash in between is repaired
  by the next ingest or translate run.

Re-running is cheap and safe: fields already translated are skipped, and anything else is
answered by the translation memory without calling the model. A source text changed meanwhile
(ingest running concurrently) is never overwritten by a translation of its old version.

Two ways to find the work: :meth:`TranslateWorker.run` reads every record (``chm-search
translate``: the whole catalogue, e.g. after installing a model); :meth:`TranslateWorker.work`
takes leased batches from the shared backlog (``chm-search translate --worker``, any number of
processes on PostgreSQL: ``record_catalogue.work_queue``), and with ``follow`` keeps waiting for new work.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field

from record_catalogue.audit import AuditAction
from record_catalogue.codes import Provenance, SegmentKind, TextStatus
from record_catalogue.db import catalogue_unreachable, connection_trouble, one_line
from record_catalogue.languages import UN_LANGUAGES
from record_catalogue.logs import PROGRESS_SECONDS, Every, RunReport
from record_catalogue.memory_store import SegmentState
from record_catalogue.models import FieldText, RecordRow, utcnow
from record_catalogue.record_reads import count_live_records, record_pages, records_pending_a_model, records_with_texts
from record_catalogue.store import Catalogue
from record_catalogue.translation_writes import TranslationWrite, translation_writes
from record_catalogue.work_queue import Backlog, Heartbeat, Lease, Waker, clear_rows
from search_index.base import IndexUnavailable, SearchBackend
from search_index.restore import ensure_index
from search_index.sync import reindex
from translate.engines import PIVOT_LANGUAGE
from translate.fields import FieldOutcome, assemble, write_outcome
from translate.gate import check_language
from translate.translator import Stats, TextRequest, TextResult, Translator

log = logging.getLogger(__name__)
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
class TranslateReport(RunReport):
    """Counts of one run, as the progress bar and the summary show them."""

    records_total: int = 0
    records_seen: int = 0
    records_translated: int = 0
    fields_current: int = 0
    fields_failed: int = 0
    fields_rejected: int = 0
    fields_pending: int = 0
    indexed: int = 0
    record_errors: list[tuple[str, str]] = field(default_factory=list)
    catalogue_errors: int = 0
    index_errors: list[tuple[str, str]] = field(default_factory=list)
    model_errors: dict[str, str] = field(default_factory=dict)
    pending_reasons: dict[str, int] = field(default_factory=dict)
    stats: Stats = field(default_factory=Stats)

    @property
    def segments_per_second(self) -> float:
        return self.per_second(self.stats.segments)

    def counts(self) -> dict[str, int]:
        """The run's counts as a log record's fields."""
        return {
            "records_seen": self.records_seen,
            "records_translated": self.records_translated,
            "fields_current": self.fields_current,
            "fields_failed": self.fields_failed,
            "fields_rejected": self.fields_rejected,
            "fields_pending": self.fields_pending,
            "indexed": self.indexed,
            "record_errors": len(self.record_errors),
            "catalogue_errors": self.catalogue_errors,
            "segments": self.stats.segments,
        }

    def summary(self) -> str:
        rejected = f", {self.fields_rejected} hold a rejected sentence" if self.fields_rejected else ""
        errors = f", {len(self.record_errors)} records failed (listed below)" if self.record_errors else ""
        return (
            f"{self.records_seen} records read, {self.records_translated} with work{errors}: "
            f"{self.fields_current} fields translated, {self.fields_failed} failed the sanity gate{rejected}, "
            f"{self.fields_pending} pending; {self.stats.summary()}; "
            f"{self.indexed} records re-indexed in {self.seconds:.1f}s ({self.segments_per_second:.0f} segments/s)"
        )


Progress = Callable[[TranslateReport], None]


def _logged(progress: Progress | None, what: str) -> Progress:
    """``progress``, also logging the counts every ``PROGRESS_SECONDS`` (for unattended runs)."""
    due = Every(PROGRESS_SECONDS)

    def told(report: TranslateReport) -> None:
        if due():
            log.info("%s: %s", what, report.summary(), extra={"counts": report.counts()})
        if progress is not None:
            progress(report)

    return told


def _finished(what: str, report: TranslateReport) -> None:
    for pair, reason in report.model_errors.items():
        log.warning("%s: model %s failed: %s", what, pair, reason, extra={"pair": pair})
    log.info(
        "%s finished: %s",
        what,
        report.summary(),
        extra=report.outcome_fields(),
    )


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
        """Translate what is missing (into ``languages``, default all configured; of ``realms``).

        Into every configured language, the records read are also done as far as the shared
        backlog is concerned: their queue rows are removed, unless a worker holds them or the
        record changed after it was read.
        """
        targets = tuple(lang for lang in (languages or self.languages) if lang in self.languages)
        self.translator.stats = Stats()
        report = TranslateReport(stats=self.translator.stats)
        report.records_total = self._count(realms)  # what is read; --limit counts records with work
        log.info(
            "translate run started: %d records, into %s",
            report.records_total,
            ",".join(targets),
            extra={"records_total": report.records_total, "languages": list(targets)},
        )
        progress = _logged(progress, "translate run")
        ensure_index(self.backend, self.catalogue)  # a lost index is rebuilt, never replaced by an empty one
        models: dict[tuple[str, str], object] = dict(self.translator.engine.models())
        clears = set(targets) == set(self.languages)
        queued: dict[str, int] = {}
        batch: list[RecordRow] = []
        jobs: list[Job] = []
        for row in self._records(realms, queued if clears else None):
            if limit is not None and report.records_translated + len(batch) >= limit:
                break
            report.records_seen += 1
            row_jobs = self.jobs_for(row, targets, models)
            if row_jobs:
                batch.append(row)
                jobs.extend(row_jobs)
            elif row.id in queued:
                queued[row.id] = -queued[row.id] - 1  # nothing to do for it: done (marked, cleared in bulk)
                if report.records_seen % 500 == 0:
                    self._clear(queued, [])
            if len(batch) >= self.batch_records:
                self._process(jobs, report)
                report.records_translated += len(batch)
                self._clear(queued, [r.id for r in batch])
                batch, jobs = [], []
                if progress is not None:
                    progress(report)
            elif progress is not None and report.records_seen % 100 == 0:
                progress(report)
        if jobs:
            self._process(jobs, report)
            report.records_translated += len(batch)
        self._clear(queued, [r.id for r in batch])
        progress(report)
        _finished("translate run", report)
        return report

    def _clear(self, queued: dict[str, int], translated: Sequence[str]) -> None:
        """Remove the queue rows of records this run has finished (translated now, or nothing to do)."""
        done = {rid: queued.pop(rid) for rid in translated if rid in queued}
        idle = [rid for rid, generation in queued.items() if generation < 0]
        done.update({rid: -queued.pop(rid) - 1 for rid in idle})
        if done:
            clear_rows(self.catalogue.sessions, done)

    def work(
        self,
        backlog: Backlog,
        languages: Sequence[str] = (),
        *,
        follow: bool = False,
        waker: Waker | None = None,
        stop: threading.Event | None = None,
        progress: Progress | None = None,
        notice: Callable[[str], None] | None = None,
    ) -> TranslateReport:
        """Translate leased batches from the shared backlog until it is empty (or, with ``follow``, ``stop``).

        A draining worker (no ``follow``) also waits while other workers hold live leases: one of
        them may die, and its records then come back. A catalogue that stops answering (a
        restart) is waited for; a record whose batch raised is tried alone, and one that fails
        alone is given back with the error (tried again later) while the rest go on.
        """
        targets = tuple(lang for lang in (languages or self.languages) if lang in self.languages)
        stop = stop or threading.Event()
        tell = notice or (lambda _message: None)

        def say(message: str) -> None:
            log.warning("translate worker: %s", message)
            tell(message)

        log.info("translate worker started, into %s", ",".join(targets), extra={"languages": list(targets)})
        progress = _logged(progress, "translate worker")
        self.translator.stats = Stats()
        report = TranslateReport(stats=self.translator.stats)
        ensure_index(self.backend, self.catalogue)
        known_models: frozenset[tuple[str, str]] | None = None
        with Heartbeat(backlog, on_error=lambda exc: say(f"lease renewal failed, will retry: {one_line(exc)}")):
            while not stop.is_set():
                try:
                    models: dict[tuple[str, str], object] = dict(self.translator.engine.models())
                    if frozenset(models) != known_models:
                        known_models = frozenset(models)
                        self._requeue_pending(backlog)
                    leases = backlog.take(self.batch_records)
                    if not leases:
                        if follow:
                            (waker or Waker.polling(1.0)).wait(stop)
                            continue
                        if backlog.held_by_others():
                            stop.wait(min(1.0, backlog.lease_seconds / 4))
                            continue
                        break
                    self._work_leases(backlog, leases, targets, models, report)
                except Exception as exc:
                    trouble = connection_trouble(exc)
                    if trouble is None:
                        raise
                    report.catalogue_errors += 1
                    say(f"catalogue {trouble}, retrying in 2s: {one_line(exc)}")
                    stop.wait(2.0)
                    if trouble != "unreachable":
                        continue
                if progress is not None:
                    progress(report)
        try:
            backlog.release()  # else the leases run out by themselves
        except Exception as exc:
            if not catalogue_unreachable(exc):
                raise
        _finished("translate worker", report)
        return report

    def _requeue_pending(self, backlog: Backlog) -> None:
        """Queue the records with fields pending for want of a model (a model may have been installed)."""
        ids = records_pending_a_model(self.catalogue.sessions)
        if ids:
            backlog.enqueue(ids)

    def _work_leases(
        self,
        backlog: Backlog,
        leases: list[Lease],
        targets: Sequence[str],
        models: dict[tuple[str, str], object],
        report: TranslateReport,
    ) -> None:
        """Translate the leased records, then mark them done; a batch that raises is split up."""
        rows = self._rows([lease.record_id for lease in leases])
        jobs: list[Job] = []
        for row in rows:
            report.records_seen += 1
            row_jobs = self.jobs_for(row, targets, models)
            if row_jobs:
                report.records_translated += 1
                jobs.extend(row_jobs)
        try:
            if jobs:
                self._process(jobs, report)
        except Exception as exc:  # a model or a record that breaks the batch: find which, keep the rest
            if connection_trouble(exc) is not None:
                raise  # the catalogue's fault, not the batch's: ``work`` waits for it
            self._split_or_fail(backlog, leases, rows, jobs, targets, models, report, exc)
            return
        backlog.done(leases)

    def _split_or_fail(
        self,
        backlog: Backlog,
        leases: list[Lease],
        rows: list[RecordRow],
        jobs: list[Job],
        targets: Sequence[str],
        models: dict[tuple[str, str], object],
        report: TranslateReport,
        exc: Exception,
    ) -> None:
        """Try each record of a batch that raised on its own; give back the one that fails alone."""
        if len(leases) > 1:
            report.records_seen -= len(rows)
            report.records_translated -= len({job.record_id for job in jobs})
            for lease in leases:
                self._work_leases(backlog, [lease], targets, models, report)
            return
        reason = one_line(exc)
        # The reason may quote the text that broke the model: the record's id only, above debug.
        log.warning(
            "record %s failed alone (%s); given back to the backlog",
            leases[0].record_id,
            type(exc).__name__,
            extra={"record_id": leases[0].record_id},
        )
        log.debug("record %s failed: %s", leases[0].record_id, reason)
        report.record_errors.append((leases[0].record_id, reason))
        backlog.failed(leases[0].record_id, reason)

    def _rows(self, ids: Sequence[str]) -> list[RecordRow]:
        return records_with_texts(self.catalogue.sessions, ids)

    # -- what to do ----------------------------------------------------------------------------
    def _count(self, realms: Sequence[str]) -> int:
        return count_live_records(self.catalogue.sessions, realms)

    def _records(self, realms: Sequence[str], queued: dict[str, int] | None = None) -> Iterator[RecordRow]:
        """Records (with texts) in id order; ``queued`` receives the queue generations of those in
        the backlog and held by no worker (``record_catalogue.record_reads.record_pages``)."""
        return record_pages(self.catalogue.sessions, realms, queued)

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
            originals = {t.language: t for t in texts if t.provenance == Provenance.ORIGINAL and t.text.strip()}
            if not originals:
                continue
            for target in targets:
                if target in originals:
                    continue
                others = [t for t in texts if t.language == target and t.provenance != Provenance.ORIGINAL]
                if any(t.provenance == Provenance.REVIEWED and t.status == TextStatus.CURRENT for t in others):
                    continue
                machine = next((t for t in others if t.provenance == Provenance.MACHINE), None)
                if machine is not None and machine.status == TextStatus.CURRENT:
                    continue
                if (
                    machine is not None
                    and machine.status == TextStatus.REJECTED
                    and not self._changed_since(originals, machine)
                ):
                    continue  # waits for a curator's correction, which reaches it without the worker
                source = self._best_source(originals, target, row.original_language, models)
                jobs.append(Job(row.id, name, source.language, target, source.text))
        return jobs

    @staticmethod
    def _changed_since(originals: dict[str, FieldText], version: FieldText) -> bool:
        """Whether an original of the field changed after ``version`` was written (a rejection is then moot)."""
        return any(original.updated_at > version.updated_at for original in originals.values())

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
        # catalogue texts are plain text (ingest extracts it from HTML): never parsed as markup again
        results = self.translator.translate([TextRequest(j.source, j.target, j.text, html=False) for j in jobs])
        routes = self.translator.routes
        if routes is not None:
            for (source, target), reason in routes.broken.items():
                report.model_errors[f"{source}→{target}"] = reason
        changed = self._store(jobs, results, report)
        if changed:
            self._reindex(changed, report)

    def _store(self, jobs: list[Job], results: list[TextResult], report: TranslateReport) -> list[str]:
        """Write the translations in one transaction; return the records readers see differently."""
        ids = sorted({job.record_id for job in jobs})
        changed: set[str] = set()
        now = utcnow()
        with translation_writes(self.catalogue.sessions) as tx:
            rows = tx.records(ids)
            states = self._states(tx, jobs, results)
            touched: dict[str, list[str]] = {}
            for job, result in zip(jobs, results, strict=True):
                row = rows.get(job.record_id)
                if row is None:
                    continue  # deleted meanwhile
                source = next(
                    (
                        t
                        for t in row.texts
                        if t.field == job.field and t.language == job.source and t.provenance == Provenance.ORIGINAL
                    ),
                    None,
                )
                if source is None or source.text != job.text:
                    continue  # the source changed meanwhile: the next run translates the new text
                outcome = self._outcome(job, result, states.get((job.source, job.target), {}))
                self._tally(outcome, job, report)
                tx.replace_uses((row.id, job.field, job.target), job.source, outcome.segments, self.actor, now)
                stored, visible = write_outcome(row, job.field, job.target, outcome, now)
                if not stored:
                    continue
                kind = "reviewed" if outcome.provenance == Provenance.REVIEWED else outcome.status
                touched.setdefault(row.id, []).append(f"{job.field}.{job.target}:{kind}")
                if visible:
                    row.needs_index = True
                    changed.add(row.id)
            for record_id, fields in touched.items():
                tx.audit(AuditAction.TRANSLATION_MACHINE, self.actor, record_id, {"fields": fields})
        return sorted(changed)

    @staticmethod
    def _states(
        tx: TranslationWrite, jobs: list[Job], results: list[TextResult]
    ) -> dict[tuple[str, str], dict[str, SegmentState]]:
        """The segment rows the results are made of, as committed now (locked where the database can)."""
        wanted: dict[tuple[str, str], set[str]] = {}
        for job, result in zip(jobs, results, strict=True):
            wanted.setdefault((job.source, job.target), set()).update(result.segments)
        return {
            pair: tx.states(pair[0], pair[1], sorted(texts), for_update=True) for pair, texts in wanted.items() if texts
        }

    def _outcome(self, job: Job, result: TextResult, states: dict[str, SegmentState]) -> FieldOutcome:
        """The result as a field outcome, assembled again from the memory if a curator changed a sentence since."""
        if result.status != TextStatus.PENDING and not self._as_translated(result, states):
            again = assemble(job.text, job.source, job.target, states, self.actor, self._check_language)
            if again is not None:
                return again
        if result.reviewed:
            return FieldOutcome(
                text=result.text,
                provenance=Provenance.REVIEWED,
                status=TextStatus.CURRENT,
                reason=None,
                engine=None,
                model=None,
                pivot=None,
                actor=", ".join(result.reviewed_by)[:200],
                segments=result.segments,
            )
        rejected_reviews = tuple(
            states[part.source_text].target_text
            for part in result.parts
            if part.kind == SegmentKind.REJECTED and states[part.source_text].provenance == Provenance.REVIEWED
        )
        return FieldOutcome(
            text=result.text,
            provenance=Provenance.MACHINE,
            status=result.status,
            reason=result.reason,
            engine=result.engine,
            model=result.model,
            pivot=result.pivot,
            actor=self.actor,
            segments=result.segments,
            rejected_reviews=rejected_reviews,
        )

    @staticmethod
    def _as_translated(result: TextResult, states: dict[str, SegmentState]) -> bool:
        """Whether every sentence is still what the translator used (no curator decision since)."""
        for part in result.parts:
            state = states.get(part.source_text)
            if state is None or (state.kind, state.target_text) != (part.kind, part.text):
                return False
        return True

    def _check_language(self, text: str, language: str) -> str | None:
        return check_language(text, language, self.translator.detector.detect)

    @staticmethod
    def _tally(outcome: FieldOutcome, job: Job, report: TranslateReport) -> None:
        if outcome.status == TextStatus.CURRENT:
            report.fields_current += 1
        elif outcome.status == TextStatus.FAILED:
            report.fields_failed += 1
        elif outcome.status == TextStatus.REJECTED:
            report.fields_rejected += 1
        else:
            report.fields_pending += 1
            key = f"{job.source}→{job.target}: {outcome.reason}"
            report.pending_reasons[key] = report.pending_reasons.get(key, 0) + 1

    def _reindex(self, ids: list[str], report: TranslateReport) -> None:
        """Send the records' new state to the index, commit, then clear their flag."""
        try:
            result = reindex(self.catalogue, self.backend, ids)
        except IndexUnavailable as exc:
            # The translations are committed and the records keep their needs_index flag: the next
            # ingest or translate run indexes them. Translation goes on meanwhile.
            report.index_errors.extend((record_id, f"index unavailable: {exc}") for record_id in ids)
            return
        if result is not None:
            report.indexed += result.indexed
            report.index_errors.extend(result.errors)
