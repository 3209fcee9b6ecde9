"""Translation curation: the review queue, edits against a version, corrections that spread, history.

What curators review is a **segment** (``record_catalogue.memory_store``): one source sentence and its
translation into one language, wherever it occurs. Approving or correcting it once fixes every
record containing the sentence; that is why the queue lists sentences, not record fields.

Statuses, as the queue shows them (``Item.status``):

- ``machine``: the machine's translation, not yet reviewed, used by at least one record;
- ``failed``: the sanity gate refused the machine's output (readers keep the original);
- ``reviewed``: approved or corrected by a curator; it beats the machine everywhere;
- ``rejected``: a curator said the translation is wrong. Kept and marked; every field holding
  the sentence shows readers the original again. It is not sent to the machine again (the same
  model would answer the same): it waits for a curator's correction (``reviewed`` with a text);
- ``stale``: a reviewed sentence that the records it was reviewed for no longer contain because
  their source text changed. Kept and listed for curators; readers never see it (no record
  shows it; the fields themselves are marked stale by the catalogue and queued for the worker,
  which translates the new text reusing the reviewed sentences that did not change). Between a
  re-ingest and the next ``chm-search translate`` this is computed from the records' current
  source texts; after it, the segment row itself is marked ``stale``. It becomes ``reviewed``
  again the moment a text contains the sentence again.

Edits carry the version the curator started from; a different current version is a
:class:`VersionConflict` (the API's 409), checked under the catalogue's write lock. Every
change writes a new version to the segment's history (never updated, never deleted), then
re-assembles from the memory alone (no machine translation) every record field containing the
sentence, stores it as a new version of the field (``reviewed`` when every sentence of it is
reviewed), audits it and re-indexes those records at once.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Label, Subquery, and_, exists, func, or_, select, tuple_
from sqlalchemy.orm import InstrumentedAttribute, Session, selectinload

from analyzers.detect import LanguageDetector
from record_catalogue.errors import BadInput, Conflict, NotFound
from record_catalogue.event_models import ReaderEvent
from record_catalogue.memory_models import TranslationMemoryEntry, TranslationMemoryVersion, TranslationUse
from record_catalogue.memory_store import SEGMENT_ENGINE, load_states, lock_for_write, record_version, text_hash
from record_catalogue.models import AuditEntry, FieldText, RecordRow, utcnow
from record_catalogue.record import NUL
from record_catalogue.segment_uses import replace_uses
from record_catalogue.store import Catalogue, locked_rows
from search_index.base import SearchBackend
from search_index.sync import reindex
from translate.assembly import segments_of
from translate.fields import assemble, write_outcome
from translate.gate import check_language
from translate.glossary import Glossary

QUEUE_STATUSES = ("machine", "reviewed", "rejected", "stale", "failed")
ORDERS = ("used", "recent", "impact")
READER_EVENTS = ("view", "click")  # what counts as readers' attention to a record, for order=impact
EDIT_STATUSES = ("reviewed", "rejected")
MAX_SIZE = 100
BULK_MAX = 500  # sentences approved in one bulk approval (more: narrow the filters)
RECORDS_SHOWN = 5
STALE_REASON = (
    "the source text of the records using it changed; the next `chm-search translate` translates the new text"
)

_TM = TranslationMemoryEntry
_USE = TranslationUse


class InvalidEdit(BadInput, ValueError):
    """An edit that cannot be applied as asked (unknown status, empty text)."""

    error_code = "invalid_edit"


class VersionConflict(Conflict):
    """The segment changed since the curator read it; ``current`` is what it is now."""

    error_code = "version_conflict"

    def __init__(self, current: Item, expected: int) -> None:
        super().__init__(
            f"translation {current.id} is at version {current.version}, not {expected}: "
            "someone changed it meanwhile; review the current version and try again"
        )
        self.current = current


class BulkMismatch(Conflict):
    """The filtered set is not the one the curator confirmed (it changed meanwhile)."""

    error_code = "queue_changed"

    def __init__(self, found: int, expected: int) -> None:
        super().__init__(
            f"{found} machine translations match these filters now, not the {expected} you confirmed: "
            "someone changed the queue meanwhile; look at it again and confirm the new number"
        )
        self.found = found


@dataclass(frozen=True)
class BulkResult:
    """What a bulk approval did: sentences approved, left as they were, records updated."""

    approved: int
    skipped: int
    records: int


@dataclass(frozen=True)
class QueueFilter:
    """What to list: validated by the caller (the API) against the constants above."""

    status: str = "machine"
    lang: str | None = None
    source_lang: str | None = None
    realm: str | None = None
    schema: str | None = None
    government: str | None = None
    q: str | None = None
    order: str = "used"
    page: int = 1
    size: int = 20


@dataclass(frozen=True)
class RecordRef:
    """A record using a segment, as the queue shows it."""

    id: str
    title: str | None
    realm: str
    schema: str
    government: str | None


@dataclass(frozen=True)
class Item:
    """One segment as curators see it."""

    id: int
    source_language: str
    target_language: str
    source_text: str
    text: str
    status: str
    provenance: str
    version: int
    engine: str | None
    model: str | None
    pivot: str | None
    actor: str | None
    updated_at: datetime
    status_reason: str | None
    glossary: tuple[tuple[str, str], ...]
    records: tuple[RecordRef, ...]
    record_count: int


@dataclass(frozen=True)
class QueuePage:
    total: int
    page: int
    size: int
    order: str
    items: list[Item]


@dataclass(frozen=True)
class Version:
    """One version of a segment: what it said, who made it, when, and which version it replaced."""

    version: int
    text: str
    status: str
    provenance: str
    status_reason: str | None
    engine: str | None
    model: str | None
    actor: str
    at: datetime
    from_version: int | None


def queue_status(provenance: str, status: str, gone: bool) -> str:
    """A segment row's status in the queue's words (see the module's docstring)."""
    if status in ("rejected", "failed"):
        return status
    if provenance == "reviewed":
        return "stale" if status == "stale" or gone else "reviewed"
    return "machine"


class Curation:
    """Curation over one catalogue; re-indexes through ``backend`` (None: only marks records to index)."""

    def __init__(
        self,
        catalogue: Catalogue,
        backend: SearchBackend | None,
        glossary: Glossary | None = None,
        detector: LanguageDetector | None = None,
    ) -> None:
        self.catalogue = catalogue
        self.backend = backend
        self.glossary = glossary if glossary is not None else Glossary.load()
        self.detector = detector or LanguageDetector()
        self._dialect = catalogue.engine.dialect.name

    # -- reading -------------------------------------------------------------------------------
    def queue(self, wanted: QueueFilter) -> QueuePage:
        """One page of the queue, filtered and ordered as asked.

        In two steps, so that a page costs its ranking plus what its 20 items cost: the page's
        ids and the total first, from index-only reads (migration 0010), counting sentences'
        records only when the order needs them; then those 20 rows with their record counts,
        whether their records still contain them, their records and glossary terms.
        """
        size = max(1, min(wanted.size, MAX_SIZE))
        page = max(1, wanted.page)
        order_name = wanted.order if wanted.order in ORDERS else "used"
        conditions = [_TM.engine == SEGMENT_ENGINE, *self._status_conditions(wanted.status, self._gone())]
        if wanted.lang:
            conditions.append(_TM.target_language == wanted.lang)
        if wanted.source_lang:
            conditions.append(_TM.source_language == wanted.source_lang)
        if wanted.realm or wanted.schema or wanted.government:
            conditions.append(self._in_records(wanted))
        if wanted.q and wanted.q.strip():
            conditions.append(self._text_contains(wanted.q.strip()))
        source: Any = _TM.__table__
        columns: list[Any] = [_TM.id]
        order: list[Any] = []
        if order_name == "impact":
            impact = self._impact(wanted)
            source = source.outerjoin(impact, self._key_of(impact))
            order.append(func.coalesce(impact.c.impact, 0).desc())
        used: ColumnElement[bool] = exists().where(self._use_of())
        if order_name in ("used", "impact"):
            source, uses, joined = self._use_ranking(wanted, source)
            columns.append(uses)
            order.append(uses.desc())
            used = joined if joined is not None else used  # the joined counts say it without a second pass
        if wanted.status in ("machine", "failed"):
            conditions.append(used)
        # PostgreSQL counts the rows in the same pass (a window count); SQLite apart (a window
        # count there costs as much as the ranking again).
        windowed = self._dialect == "postgresql"
        if windowed:
            columns.append(func.count().over().label("total"))
        order += [_TM.updated_at.desc(), _TM.id.desc()]
        stmt = select(*columns).select_from(source).where(*conditions).order_by(*order)
        stmt = stmt.offset((page - 1) * size).limit(size)
        with self.catalogue.sessions() as session:
            found = list(session.execute(stmt))
            ids = [int(row[0]) for row in found]
            if windowed and found:
                total = int(found[0][-1])
            else:  # SQLite, or past the last page (no row carries the window count)
                counted = select(func.count()).select_from(source if windowed else _TM.__table__)
                total = int(session.scalar(counted.where(*conditions)) or 0)
            rows: dict[int, tuple[TranslationMemoryEntry, int, bool]] = {}
            if ids:
                record_count = select(func.count(func.distinct(_USE.record_id))).where(self._use_of())
                page_rows = select(_TM, record_count.scalar_subquery(), self._gone()).where(_TM.id.in_(ids))
                for row, uses_count, is_gone in session.execute(page_rows):
                    rows[row.id] = (row, int(uses_count or 0), bool(is_gone))
            items = [self._item(session, *rows[entry_id]) for entry_id in ids if entry_id in rows]
        return QueuePage(total, page, size, order_name, items)

    def _use_ranking(self, wanted: QueueFilter, source: Any) -> tuple[Any, Label[Any], ColumnElement[bool] | None]:
        """``source`` with what each row's record count needs, that count (labelled ``uses``), and
        "used by a record" when the counts are joined (None: ask the use index).

        Both read indexes only. SQLite counts a row's records with one seek in the use index (a
        correlated subquery, ~1 µs a row: its fastest plan). PostgreSQL counts every sentence's
        records in one pass over that index, made distinct first (a ``count(DISTINCT)`` per group
        sorts each group), and hash-joins the counts (it would run a correlated subquery as a
        plan of its own per row).
        """
        if self._dialect == "postgresql":
            counts = self._use_counts(wanted)
            joined = source.outerjoin(counts, self._key_of(counts))
            return joined, func.coalesce(counts.c.uses, 0).label("uses"), counts.c.uses.is_not(None)
        count = select(func.count(func.distinct(_USE.record_id))).where(self._use_of()).scalar_subquery()
        return source, count.label("uses"), None

    def _text_contains(self, needle: str) -> ColumnElement[bool]:
        """Plain text in the source or the translation, any case (no wildcards, no syntax).

        SQLite's LIKE already ignores case (for the letters its ``lower`` folds too), so it is
        used as it is there: wrapping both sides in ``lower`` cost a third of the queue's time.
        """
        if self._dialect == "sqlite":
            return or_(
                _TM.source_text.contains(needle, autoescape=True), _TM.target_text.contains(needle, autoescape=True)
            )
        return or_(
            _TM.source_text.icontains(needle, autoescape=True), _TM.target_text.icontains(needle, autoescape=True)
        )

    def item(self, entry_id: int) -> Item:
        """One segment; :class:`NotFound` if there is none with that id."""
        with self.catalogue.sessions() as session:
            return self._load_item(session, entry_id)

    def history(self, entry_id: int) -> list[Version]:
        """Every version the segment ever had, oldest first."""
        with self.catalogue.sessions() as session:
            row = session.get(_TM, entry_id)
            if row is None or row.engine != SEGMENT_ENGINE:
                raise NotFound(f"no translation with id {entry_id}")
            stmt = (
                select(TranslationMemoryVersion)
                .where(TranslationMemoryVersion.entry_id == entry_id)
                .order_by(TranslationMemoryVersion.version)
            )
            return [
                Version(
                    v.version,
                    v.text,
                    v.status,
                    v.provenance,
                    v.status_reason,
                    v.engine,
                    v.model,
                    v.actor,
                    v.at,
                    v.from_version,
                )
                for v in session.scalars(stmt)
            ]

    # -- changing ------------------------------------------------------------------------------
    def review(self, entry_id: int, *, status: str, text: str | None, version: int, actor: str) -> Item:
        """Approve (``reviewed``, ``text`` None keeps the text), correct (``reviewed`` + text) or reject.

        Raises :class:`NotFound`, :class:`InvalidEdit` or :class:`VersionConflict`. The change and
        every record field it reaches are committed together; the records are re-indexed after.
        """
        if status not in EDIT_STATUSES:
            raise InvalidEdit(f"status must be one of {', '.join(EDIT_STATUSES)}, not {status!r}")
        corrected = text.strip() if text is not None else None
        if status == "reviewed" and corrected is not None and not corrected:
            raise InvalidEdit("text is empty; send the corrected translation, or null to approve it as it is")
        if corrected is not None and NUL in corrected:  # PostgreSQL's text cannot hold it; no catalogue does
            raise InvalidEdit("text holds a NUL character (U+0000), which the catalogue does not store; remove it")
        changed: list[str] = []
        with self.catalogue.sessions.begin() as session:
            lock_for_write(session)
            row = session.get(_TM, entry_id, with_for_update=True, populate_existing=True)
            if row is None or row.engine != SEGMENT_ENGINE:
                raise NotFound(f"no translation with id {entry_id}")
            current = row.version
            if current == version:
                now = utcnow()
                self._change(session, row, status, corrected, actor, now)
                segment = (row.source_language, row.target_language, row.source_text)
                changed = self._spread(session, [segment], actor, row.id, now)
        if current != version:
            raise VersionConflict(self.item(entry_id), version)
        self.reindex(changed)
        return self.item(entry_id)

    def approve_matching(self, wanted: QueueFilter, *, expected: int, actor: str, limit: int = BULK_MAX) -> BulkResult:
        """Approve, as they are, every machine translation the filters select: one confirmation
        (``expected``, the number the curator was shown) for the whole set.

        Raises :class:`InvalidEdit` for a status other than ``machine`` or more than ``limit``
        sentences, :class:`BulkMismatch` when the set's size is not ``expected``. A sentence a
        curator reviewed or rejected meanwhile is left as it is (``skipped``): no human
        translation is overwritten. Each approved sentence gets its version and audit entry as a
        single approval does, the bulk approval one more; the records are re-indexed after.
        """
        if wanted.status != "machine":
            raise InvalidEdit(f"only machine translations are approved in bulk, not {wanted.status!r} ones")
        first = self.queue(replace(wanted, order="recent", page=1, size=MAX_SIZE))
        if first.total > limit:
            raise InvalidEdit(
                f"{first.total} machine translations match these filters; "
                f"at most {limit} are approved at once: narrow the filters"
            )
        if first.total != expected:
            raise BulkMismatch(first.total, expected)
        ids = [item.id for item in first.items]
        for page in range(2, -(-first.total // MAX_SIZE) + 1):
            ids += [item.id for item in self.queue(replace(wanted, order="recent", page=page, size=MAX_SIZE)).items]
        ids = list(dict.fromkeys(ids))
        approved: list[tuple[str, str, str]] = []
        with self.catalogue.sessions.begin() as session:
            lock_for_write(session)
            now = utcnow()
            for entry_id in ids:
                row = session.get(_TM, entry_id, with_for_update=True, populate_existing=True)
                if row is None or row.engine != SEGMENT_ENGINE or row.provenance != "machine":
                    continue
                if row.status != "current":
                    continue  # rejected or failed meanwhile: a curator's decision stands
                self._change(session, row, "reviewed", None, actor, now)
                approved.append((row.source_language, row.target_language, row.source_text))
            filters = {
                name: value
                for name in ("lang", "source_lang", "realm", "schema", "government", "q")
                if (value := getattr(wanted, name))
            }
            detail = {"filters": filters, "approved": len(approved), "skipped": len(ids) - len(approved)}
            session.add(AuditEntry(actor=actor, action="translation.bulk_reviewed", detail=detail))
            changed = self._spread(session, approved, actor, None, now)
        self.reindex(changed)
        return BulkResult(len(approved), len(ids) - len(approved), len(changed))

    @staticmethod
    def _change(
        session: Session, row: TranslationMemoryEntry, status: str, text: str | None, actor: str, now: datetime
    ) -> None:
        """One new version of the segment: approved, corrected or rejected by ``actor``; history and audit."""
        previous = row.version
        if status == "reviewed":
            row.target_text = text if text is not None else row.target_text
            row.provenance = "reviewed"
            row.status = "current"
            row.status_reason = None
        else:
            row.status = "rejected"
            row.status_reason = f"rejected by {actor}"
        row.actor = actor
        row.version = previous + 1
        row.updated_at = now
        record_version(session, row, actor, previous)
        detail = {"translation": row.id, "version": row.version, "from_version": previous}
        session.add(AuditEntry(actor=actor, action=f"translation.{status}", detail=detail))

    def spread(self, segments: Iterable[tuple[str, str, str]], actor: str) -> list[str]:
        """Bring every field containing those (source, target, sentence) segments up to date; re-index them.

        For changes made to the memory outside :meth:`review` (an import of reviewed segments).
        """
        wanted = list(dict.fromkeys(segments))
        if not wanted:
            return []
        with self.catalogue.sessions.begin() as session:
            lock_for_write(session)
            changed = self._spread(session, wanted, actor, None, utcnow())
        self.reindex(changed)
        return changed

    def reindex(self, ids: Sequence[str]) -> None:
        """Send the records' new state to the index now (see ``search_index.sync``)."""
        if ids and self.backend is not None:
            reindex(self.catalogue, self.backend, ids, tolerate_down=True)

    # -- internals -----------------------------------------------------------------------------
    def _spread(
        self,
        session: Session,
        segments: Sequence[tuple[str, str, str]],
        actor: str,
        entry_id: int | None,
        now: datetime,
    ) -> list[str]:
        """Re-assemble every field using any of ``segments`` from the memory; return the records changed."""
        fields: dict[tuple[str, str, str], str] = {}
        wanted: dict[tuple[str, str, str], str] = {}
        for source, target, sentence in segments:
            wanted[(text_hash(sentence), source, target)] = sentence
        for (digest, source, target), _sentence in wanted.items():
            stmt = select(_USE.record_id, _USE.field, _USE.target_language).where(
                _USE.source_hash == digest, _USE.source_language == source, _USE.target_language == target
            )
            for record_id, field, language in session.execute(stmt):
                fields[(record_id, field, language)] = source
        if not fields:
            return []
        ids = sorted({record_id for record_id, _f, _l in fields})
        rows = locked_rows(session, ids, selectinload(RecordRow.texts))
        touched: dict[str, list[str]] = {}
        for (record_id, field, target), source in sorted(fields.items()):
            row = rows.get(record_id)
            original = None if row is None else self._original(row, field, source)
            if row is None or original is None:
                continue
            sentences = segments_of(original.text, source)
            if not any((text_hash(s), source, target) in wanted for s in sentences):
                continue  # the source changed since: the translate worker will do the new text
            states = load_states(session, source, target, sentences)
            outcome = assemble(original.text, source, target, states, actor, self._check_language)
            if outcome is None:
                continue  # a sentence of the new text has no translation yet: the worker's job
            replace_uses(session, record_id, field, source, target, outcome.segments, actor, now)
            stored, visible = write_outcome(row, field, target, outcome, now)
            if stored:
                kind = "reviewed" if outcome.provenance == "reviewed" else f"machine:{outcome.status}"
                touched.setdefault(record_id, []).append(f"{field}.{target}:{kind}")
            if visible:
                row.needs_index = True
        for record_id, changes in touched.items():
            detail: dict[str, object] = {"fields": changes}
            if entry_id is not None:
                detail["translation"] = entry_id
            session.add(AuditEntry(actor=actor, action="translation.curated", record_id=record_id, detail=detail))
        return sorted(record_id for record_id, row in rows.items() if row.needs_index and record_id in touched)

    @staticmethod
    def _original(row: RecordRow, field: str, language: str) -> FieldText | None:
        return next(
            (t for t in row.texts if t.field == field and t.language == language and t.provenance == "original"),
            None,
        )

    def _check_language(self, text: str, language: str) -> str | None:
        return check_language(text, language, self.detector.detect)

    def _load_item(self, session: Session, entry_id: int) -> Item:
        record_count = select(func.count(func.distinct(_USE.record_id))).where(self._use_of()).scalar_subquery()
        found = session.execute(
            select(_TM, record_count, self._gone()).where(_TM.id == entry_id, _TM.engine == SEGMENT_ENGINE)
        ).first()
        if found is None:
            raise NotFound(f"no translation with id {entry_id}")
        row, uses, gone = found
        return self._item(session, row, int(uses or 0), bool(gone))

    def _item(self, session: Session, row: TranslationMemoryEntry, uses: int, gone: bool) -> Item:
        status = queue_status(row.provenance, row.status, gone)
        reason = STALE_REASON if status == "stale" and row.status != "stale" else row.status_reason
        terms = self.glossary.terms_in(row.source_text, row.source_language, row.target_language)
        return Item(
            id=row.id,
            source_language=row.source_language,
            target_language=row.target_language,
            source_text=row.source_text,
            text=row.target_text,
            status=status,
            provenance=row.provenance,
            version=row.version,
            engine=row.machine_engine,
            model=row.machine_model,
            pivot=row.pivot,
            actor=row.actor,
            updated_at=row.updated_at,
            status_reason=reason,
            glossary=tuple(dict.fromkeys(terms)),
            records=self._records(session, row),
            record_count=uses,
        )

    @staticmethod
    def _records(session: Session, row: TranslationMemoryEntry) -> tuple[RecordRef, ...]:
        ids = list(
            session.scalars(
                select(_USE.record_id)
                .where(
                    _USE.source_hash == row.source_hash,
                    _USE.source_language == row.source_language,
                    _USE.target_language == row.target_language,
                )
                .group_by(_USE.record_id)
                .order_by(_USE.record_id)
                .limit(RECORDS_SHOWN)
            )
        )
        if not ids:
            return ()
        records = {r.id: r for r in session.scalars(select(RecordRow).where(RecordRow.id.in_(ids)))}
        titles: dict[str, str] = {}
        stmt = select(FieldText.record_id, FieldText.language, FieldText.text).where(
            FieldText.record_id.in_(ids), FieldText.field == "title", FieldText.provenance == "original"
        )
        for record_id, language, title in session.execute(stmt):
            record = records.get(record_id)
            if record_id not in titles or (record is not None and language == record.original_language):
                titles[record_id] = title
        return tuple(
            RecordRef(r.id, titles.get(r.id), r.realm, r.schema_name, r.government)
            for r in (records[i] for i in ids if i in records)
        )

    # -- SQL pieces ----------------------------------------------------------------------------
    @staticmethod
    def _use_counts(wanted: QueueFilter) -> Subquery:
        """How many distinct records use each sentence (of the wanted languages), all at once."""
        pairs = select(_USE.source_hash, _USE.source_language, _USE.target_language, _USE.record_id).distinct()
        if wanted.lang:
            pairs = pairs.where(_USE.target_language == wanted.lang)
        if wanted.source_lang:
            pairs = pairs.where(_USE.source_language == wanted.source_lang)
        used = pairs.subquery("sentence_records")
        return (
            select(used.c.source_hash, used.c.source_language, used.c.target_language, func.count().label("uses"))
            .group_by(used.c.source_hash, used.c.source_language, used.c.target_language)
            .subquery("use_counts")
        )

    @staticmethod
    def _impact(wanted: QueueFilter) -> Subquery:
        """How often readers of each sentence's target language opened or followed the records
        containing it (a record counts once however many of its fields hold the sentence)."""
        attention = select(ReaderEvent.record_id, ReaderEvent.lang, func.count().label("n")).where(
            ReaderEvent.kind.in_(READER_EVENTS), ReaderEvent.record_id.is_not(None)
        )
        if wanted.lang:
            attention = attention.where(ReaderEvent.lang == wanted.lang)
        read = attention.group_by(ReaderEvent.record_id, ReaderEvent.lang).subquery("read")
        per_record = (
            select(
                _USE.source_hash,
                _USE.source_language,
                _USE.target_language,
                _USE.record_id,
                func.max(read.c.n).label("n"),
            )
            .join(read, and_(read.c.record_id == _USE.record_id, read.c.lang == _USE.target_language))
            .group_by(_USE.source_hash, _USE.source_language, _USE.target_language, _USE.record_id)
            .subquery("read_records")
        )
        return (
            select(
                per_record.c.source_hash,
                per_record.c.source_language,
                per_record.c.target_language,
                func.sum(per_record.c.n).label("impact"),
            )
            .group_by(per_record.c.source_hash, per_record.c.source_language, per_record.c.target_language)
            .subquery("impact")
        )

    @staticmethod
    def _key_of(counts: Subquery) -> ColumnElement[bool]:
        """A per-sentence subquery's row for the segment row in the enclosing query."""
        return and_(
            counts.c.source_hash == _TM.source_hash,
            counts.c.source_language == _TM.source_language,
            counts.c.target_language == _TM.target_language,
        )

    @staticmethod
    def _use_of() -> ColumnElement[bool]:
        """A use of the segment row in the enclosing query."""
        return and_(
            _USE.source_hash == _TM.source_hash,
            _USE.source_language == _TM.source_language,
            _USE.target_language == _TM.target_language,
        )

    def _contains(
        self, haystack: InstrumentedAttribute[str], needle: InstrumentedAttribute[str]
    ) -> ColumnElement[bool]:
        if self._dialect == "postgresql":
            return func.strpos(haystack, needle) > 0
        return func.instr(haystack, needle) > 0

    def _gone(self) -> ColumnElement[bool]:
        """Used by records, none of whose source texts still contains the sentence (re-ingested, not yet translated)."""
        live = (
            select(_USE.id)
            .join(
                FieldText,
                and_(
                    FieldText.record_id == _USE.record_id,
                    FieldText.field == _USE.field,
                    FieldText.language == _USE.source_language,
                    FieldText.provenance == "original",
                ),
            )
            .where(self._use_of(), self._contains(FieldText.text, _TM.source_text))
        )
        return and_(exists().where(self._use_of()), ~exists(live))

    @staticmethod
    def _status_conditions(status: str, gone: ColumnElement[bool]) -> list[ColumnElement[bool]]:
        """The rows of a queue status; ``machine`` and ``failed`` rows must also be used by a
        record, which the caller adds (its test depends on how the database ranks)."""
        if status == "failed":
            return [_TM.status == "failed"]
        if status == "rejected":
            return [_TM.status == "rejected"]
        if status == "reviewed":
            return [_TM.provenance == "reviewed", _TM.status == "current", ~gone]
        if status == "stale":
            return [_TM.provenance == "reviewed", or_(_TM.status == "stale", and_(_TM.status == "current", gone))]
        return [_TM.provenance == "machine", _TM.status == "current"]

    def _in_records(self, wanted: QueueFilter) -> ColumnElement[bool]:
        """Sentences used by records of the wanted clearing-house, type or country: the set of
        them is found once (``IN`` a subquery), not probed row by row."""
        stmt = select(_USE.source_hash, _USE.source_language, _USE.target_language).join(
            RecordRow, RecordRow.id == _USE.record_id
        )
        if wanted.realm:
            stmt = stmt.where(RecordRow.realm == wanted.realm)
        if wanted.schema:
            stmt = stmt.where(RecordRow.schema_name == wanted.schema)
        if wanted.government:
            stmt = stmt.where(RecordRow.government == wanted.government)
        if wanted.lang:
            stmt = stmt.where(_USE.target_language == wanted.lang)
        return tuple_(_TM.source_hash, _TM.source_language, _TM.target_language).in_(stmt)
