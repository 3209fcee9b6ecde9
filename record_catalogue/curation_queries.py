"""The curators' reads: the review queue's pages, one segment with its records, a segment's history.

Why in the catalogue: these are the heaviest queries the API runs (every sentence of a status
ranked by how many records use it, or by readers' attention), tuned per database
(``record_catalogue.dialect``: window counts, joined counts, LIKE against ILIKE) and backed by
migration 0010's indexes. ``translate.curation`` turns what they return into the queue's items
(its status words, glossary terms) and owns the rules of editing.

Statuses, as the queue filters them (``translate.curation`` explains each): ``machine``,
``failed``, ``reviewed``, ``rejected``, ``stale`` (a reviewed sentence whose records' source
texts no longer contain it — computed here until the worker marks the row itself).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Label, Subquery, and_, exists, func, or_, select, tuple_
from sqlalchemy.orm import Session, sessionmaker

from record_catalogue.codes import Provenance, TextStatus
from record_catalogue.dialect import contains_text, counts_in_window, holds, joins_use_counts
from record_catalogue.event_models import ReaderEvent
from record_catalogue.memory_models import TranslationMemoryEntry, TranslationMemoryVersion, TranslationUse
from record_catalogue.memory_store import SEGMENT_ENGINE
from record_catalogue.models import FieldText, RecordRow
from record_catalogue.segment_uses import original_of_use

QUEUE_STATUSES = ("machine", "reviewed", "rejected", "stale", "failed")
ORDERS = ("used", "recent", "impact")
READER_EVENTS = ("view", "click")  # what counts as readers' attention to a record, for order=impact
MAX_SIZE = 100
RECORDS_SHOWN = 5

_TM = TranslationMemoryEntry
_USE = TranslationUse


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
class SegmentListing:
    """A segment row with what the queue shows beside it."""

    row: TranslationMemoryEntry
    record_count: int  # distinct records whose fields use it
    gone: bool  # used by records, none of whose source texts still contains it
    records: tuple[RecordRef, ...]  # the first RECORDS_SHOWN of them, by id


class CurationQueries:
    """The curators' reads on one catalogue (``dialect``: its database's name)."""

    def __init__(self, sessions: sessionmaker[Session], dialect: str) -> None:
        self.sessions = sessions
        self.dialect = dialect

    def page(self, wanted: QueueFilter) -> tuple[int, list[SegmentListing]]:
        """The total and one page of the queue, filtered and ordered as asked (``wanted.order``
        one of ORDERS, ``wanted.page`` ≥ 1, ``wanted.size`` within MAX_SIZE: the caller's checks).

        In two steps, so that a page costs its ranking plus what its 20 items cost: the page's
        ids and the total first, from index-only reads (migration 0010), counting sentences'
        records only when the order needs them; then those 20 rows with their record counts,
        whether their records still contain them, their records.
        """
        size, page, order_name = wanted.size, wanted.page, wanted.order
        conditions = [_TM.engine == SEGMENT_ENGINE, *self._status_conditions(wanted.status, self._gone())]
        if wanted.lang:
            conditions.append(_TM.target_language == wanted.lang)
        if wanted.source_lang:
            conditions.append(_TM.source_language == wanted.source_lang)
        if wanted.realm or wanted.schema or wanted.government:
            conditions.append(self._in_records(wanted))
        if wanted.q and wanted.q.strip():
            conditions.append(contains_text(self.dialect, [_TM.source_text, _TM.target_text], wanted.q.strip()))
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
        windowed = counts_in_window(self.dialect)
        if windowed:
            columns.append(func.count().over().label("total"))
        order += [_TM.updated_at.desc(), _TM.id.desc()]
        stmt = select(*columns).select_from(source).where(*conditions).order_by(*order)
        stmt = stmt.offset((page - 1) * size).limit(size)
        with self.sessions() as session:
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
            listings = [self._listing(session, *rows[entry_id]) for entry_id in ids if entry_id in rows]
        return total, listings

    def segment(self, entry_id: int) -> SegmentListing | None:
        """One segment with its record count and records; None if there is no segment with that id."""
        with self.sessions() as session:
            record_count = select(func.count(func.distinct(_USE.record_id))).where(self._use_of()).scalar_subquery()
            found = session.execute(
                select(_TM, record_count, self._gone()).where(_TM.id == entry_id, _TM.engine == SEGMENT_ENGINE)
            ).first()
            if found is None:
                return None
            row, uses, gone = found
            return self._listing(session, row, int(uses or 0), bool(gone))

    def history(self, entry_id: int) -> list[TranslationMemoryVersion] | None:
        """Every version the segment ever had, oldest first; None if there is no segment with that id."""
        with self.sessions() as session:
            row = session.get(_TM, entry_id)
            if row is None or row.engine != SEGMENT_ENGINE:
                return None
            stmt = (
                select(TranslationMemoryVersion)
                .where(TranslationMemoryVersion.entry_id == entry_id)
                .order_by(TranslationMemoryVersion.version)
            )
            return list(session.scalars(stmt))

    # -- internals -----------------------------------------------------------------------------
    def _listing(self, session: Session, row: TranslationMemoryEntry, uses: int, gone: bool) -> SegmentListing:
        return SegmentListing(row, uses, gone, self._records(session, row))

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
            FieldText.record_id.in_(ids), FieldText.field == "title", FieldText.provenance == Provenance.ORIGINAL
        )
        for record_id, language, title in session.execute(stmt):
            record = records.get(record_id)
            if record_id not in titles or (record is not None and language == record.original_language):
                titles[record_id] = title
        return tuple(
            RecordRef(r.id, titles.get(r.id), r.realm, r.schema_name, r.government)
            for r in (records[i] for i in ids if i in records)
        )

    def _use_ranking(self, wanted: QueueFilter, source: Any) -> tuple[Any, Label[Any], ColumnElement[bool] | None]:
        """``source`` with what each row's record count needs, that count (labelled ``uses``), and
        "used by a record" when the counts are joined (None: ask the use index).

        Both read indexes only. SQLite counts a row's records with one seek in the use index (a
        correlated subquery, ~1 µs a row: its fastest plan). PostgreSQL counts every sentence's
        records in one pass over that index, made distinct first (a ``count(DISTINCT)`` per group
        sorts each group), and hash-joins the counts (it would run a correlated subquery as a
        plan of its own per row).
        """
        if joins_use_counts(self.dialect):
            counts = self._use_counts(wanted)
            joined = source.outerjoin(counts, self._key_of(counts))
            return joined, func.coalesce(counts.c.uses, 0).label("uses"), counts.c.uses.is_not(None)
        count = select(func.count(func.distinct(_USE.record_id))).where(self._use_of()).scalar_subquery()
        return source, count.label("uses"), None

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

    def _gone(self) -> ColumnElement[bool]:
        """Used by records, none of whose source texts still contains the sentence (re-ingested, not yet translated)."""
        live = (
            select(_USE.id)
            .join(FieldText, original_of_use())
            .where(self._use_of(), holds(self.dialect, FieldText.text, _TM.source_text))
        )
        return and_(exists().where(self._use_of()), ~exists(live))

    @staticmethod
    def _status_conditions(status: str, gone: ColumnElement[bool]) -> list[ColumnElement[bool]]:
        """The rows of a queue status; ``machine`` and ``failed`` rows must also be used by a
        record, which the caller adds (its test depends on how the database ranks)."""
        if status == "failed":
            return [_TM.status == TextStatus.FAILED]
        if status == "rejected":
            return [_TM.status == TextStatus.REJECTED]
        if status == "reviewed":
            return [_TM.provenance == Provenance.REVIEWED, _TM.status == TextStatus.CURRENT, ~gone]
        if status == "stale":
            return [
                _TM.provenance == Provenance.REVIEWED,
                or_(_TM.status == TextStatus.STALE, and_(_TM.status == TextStatus.CURRENT, gone)),
            ]
        return [_TM.provenance == Provenance.MACHINE, _TM.status == TextStatus.CURRENT]

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
