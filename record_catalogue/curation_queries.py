"""The curators' reads: the review queue's pages, one segment with its records, a segment's history.

Why in the catalogue: these are the heaviest queries the API runs (every sentence of a status
ranked by how many records use it, or by readers' attention), backed by the catalogue's indexes:
the default orders read migration 0015's in order (``use_count`` is kept by the writers of uses,
``record_catalogue.segment_uses``), "most read" migration 0017's (``read_count``, kept by them and
by the writers of readers' events), the filters by the records' realm, type and country test the
lists each row keeps (migration 0016, kept by the same writers), the text filter migration 0014's trigrams on PostgreSQL
(``record_catalogue.dialect``: LIKE against ILIKE). ``translate.curation`` turns what they return into the queue's items
(its status words, glossary terms) and owns the rules of editing.

Statuses, as the queue filters them (``translate.curation`` explains each): ``machine``,
``failed``, ``reviewed``, ``rejected``, ``stale`` (a reviewed sentence whose records' source
texts no longer contain it — computed here until the worker marks the row itself).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, and_, exists, func, literal, or_, select, tuple_
from sqlalchemy.orm import Session, sessionmaker

from record_catalogue.codes import Provenance, QueueStatus, TextStatus
from record_catalogue.dialect import contains_text, equals_row_by_row, has_text_index, holds, short_queries
from record_catalogue.memory_models import TranslationMemoryEntry, TranslationMemoryVersion, TranslationUse
from record_catalogue.memory_store import FACETS, SEGMENT_ENGINE, facet_value, records_using, uses_of
from record_catalogue.models import FieldText, RecordRow
from record_catalogue.segment_uses import original_of_use

QUEUE_STATUSES = tuple(QueueStatus)
ORDERS = ("used", "recent", "impact")
MAX_SIZE = 100
DENSE_TEXT = 1000  # rows matching a text filter beyond which a page reads them in order, not from the text index
RECORDS_SHOWN = 5

_TM = TranslationMemoryEntry
_USE = TranslationUse


@dataclass(frozen=True)
class QueueFilter:
    """What to list: validated by the caller (the API) against the constants above."""

    status: str = QueueStatus.MACHINE
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
        self._text_index: bool | None = None  # SQLite's trigram index (migration 0018), looked up once

    def page(self, wanted: QueueFilter) -> tuple[int, list[SegmentListing]]:
        """The total and one page of the queue, filtered and ordered as asked (``wanted.order``
        one of ORDERS, ``wanted.page`` ≥ 1, ``wanted.size`` within MAX_SIZE: the caller's checks).

        In two steps, so that a page costs its ranking plus what its 20 items cost: the page's
        ids (most used, newest and most read in an index's order, migrations 0015 and 0017: no
        sentence is ranked that the page does not show) and the total (an index count; for the
        stale queue, whose every candidate's records' texts are read, the length of the one list
        of its ids); then those 20 rows with their record counts, whether their records still
        contain them, and their records.
        """
        size, page, order_name = wanted.size, wanted.page, wanted.order
        conditions = [_TM.engine == SEGMENT_ENGINE, *self._status_conditions(wanted.status, self._gone())]
        if wanted.lang:
            conditions.append(equals_row_by_row(self.dialect, _TM.target_language, wanted.lang))
        if wanted.source_lang:
            conditions.append(equals_row_by_row(self.dialect, _TM.source_language, wanted.source_lang))
        conditions += self._described(wanted)
        if wanted.status in (QueueStatus.MACHINE, QueueStatus.FAILED):
            # "!= 0", not "> 0": no index range on it, so "newest" keeps its own index's order on SQLite
            conditions.append(_TM.use_count != 0)
        scanned = conditions  # what the page's ids are read with: the same rows, perhaps another way
        if wanted.q and wanted.q.strip():
            texts, needle = [_TM.source_text, _TM.target_text], wanted.q.strip()
            like = contains_text(self.dialect, texts, needle)
            indexed = contains_text(self.dialect, texts, needle, _TM.id) if self._has_text_index() else like
            conditions, scanned = [*conditions, indexed], [*conditions, like]
        order: list[Any] = []
        if order_name == "impact":  # most read: the kept count of readers' views and clicks (migration 0017)
            order.append(_TM.read_count.desc())
        if order_name in ("used", "impact"):
            order.append(_TM.use_count.desc())
        order += [_TM.updated_at.desc(), _TM.id.desc()]
        with self.sessions() as session:
            short_queries(session)
            if wanted.status == QueueStatus.STALE:
                # each reviewed sentence's records' texts are read to decide it, and few are stale:
                # decided once for the page and the total, not once for each
                every = [
                    int(entry_id) for entry_id in session.scalars(select(_TM.id).where(*conditions).order_by(*order))
                ]
                total, ids = len(every), every[(page - 1) * size : page * size]
            else:
                total = int(session.scalar(select(func.count()).select_from(_TM).where(*conditions)) or 0)
                # SQLite's trigram index finds a rare piece of text at once, but the rows it finds are
                # then sorted; a common one is found sooner reading the order's index with LIKE, which
                # meets a page's worth among the first rows (the same rows either way: LIKE decides)
                chosen = scanned if total > DENSE_TEXT else conditions
                stmt = select(_TM.id).where(*chosen).order_by(*order).offset((page - 1) * size).limit(size)
                ids = [int(entry_id) for entry_id in session.scalars(stmt)]
            rows: dict[int, tuple[TranslationMemoryEntry, int, bool]] = {}
            if ids:
                page_rows = select(_TM, records_using(), self._gone()).where(_TM.id.in_(ids))
                for row, uses_count, is_gone in session.execute(page_rows):
                    rows[row.id] = (row, int(uses_count or 0), bool(is_gone))
            shown = self._records(session, [rows[entry_id][0] for entry_id in ids if entry_id in rows])
            listings = [
                SegmentListing(row, uses_count, is_gone, shown.get(row.id, ()))
                for row, uses_count, is_gone in (rows[entry_id] for entry_id in ids if entry_id in rows)
            ]
        return total, listings

    def segment(self, entry_id: int) -> SegmentListing | None:
        """One segment with its record count and records; None if there is no segment with that id."""
        with self.sessions() as session:
            found = session.execute(
                select(_TM, records_using(), self._gone()).where(_TM.id == entry_id, _TM.engine == SEGMENT_ENGINE)
            ).first()
            if found is None:
                return None
            row, uses, gone = found
            return SegmentListing(row, int(uses or 0), bool(gone), self._records(session, [row]).get(row.id, ()))

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
    def _has_text_index(self) -> bool:
        if self._text_index is None:
            with self.sessions() as session:
                self._text_index = has_text_index(session)
        return self._text_index

    @staticmethod
    def _records(session: Session, rows: list[TranslationMemoryEntry]) -> dict[int, tuple[RecordRef, ...]]:
        """The first RECORDS_SHOWN records (by id) using each of ``rows``, with their original
        titles: three statements for a whole page, not three per item."""
        if not rows:
            return {}
        keys = {(row.source_hash, row.source_language, row.target_language): row.id for row in rows}
        # one equality per sentence, not a row-value IN: SQLite scanned every use for that (25 ms at
        # 50,000 sentences) where these are a seek each in the uses' sentence index
        sentences = [uses_of(source, target, digest) for digest, source, target in keys]
        pairs = (
            select(_USE.source_hash, _USE.source_language, _USE.target_language, _USE.record_id)
            .where(or_(*sentences))
            .distinct()
            .subquery("pairs")
        )
        rank = func.row_number().over(
            partition_by=(pairs.c.source_hash, pairs.c.source_language, pairs.c.target_language),
            order_by=pairs.c.record_id,
        )
        ranked = select(pairs, rank.label("rank")).subquery("ranked")
        first = select(ranked.c.source_hash, ranked.c.source_language, ranked.c.target_language, ranked.c.record_id)
        using: dict[int, list[str]] = {}
        for digest, source, target, record_id in session.execute(
            first.where(ranked.c.rank <= RECORDS_SHOWN).order_by(ranked.c.record_id)
        ):
            using.setdefault(keys[(digest, source, target)], []).append(record_id)
        ids = sorted({record_id for found in using.values() for record_id in found})
        if not ids:
            return {}
        records = {r.id: r for r in session.scalars(select(RecordRow).where(RecordRow.id.in_(ids)))}
        titles: dict[str, str] = {}
        stmt = select(FieldText.record_id, FieldText.language, FieldText.text).where(
            FieldText.record_id.in_(ids), FieldText.field == "title", FieldText.provenance == Provenance.ORIGINAL
        )
        for record_id, language, title in session.execute(stmt):
            record = records.get(record_id)
            if record_id not in titles or (record is not None and language == record.original_language):
                titles[record_id] = title
        return {
            entry_id: tuple(
                RecordRef(r.id, titles.get(r.id), r.realm, r.schema_name, r.government)
                for r in (records[i] for i in found if i in records)
            )
            for entry_id, found in using.items()
        }

    def _gone(self) -> ColumnElement[bool]:
        """Used by records, none of whose source texts still contains the sentence (re-ingested, not yet translated)."""
        live = (
            select(_USE.id)
            .join(FieldText, original_of_use())
            .where(uses_of(), holds(self.dialect, FieldText.text, _TM.source_text))
        )
        # used by a record: the kept count (migration 0015) says so without reading the uses
        return and_(_TM.use_count != 0, ~exists(live))

    @staticmethod
    def _status_conditions(status: str, gone: ColumnElement[bool]) -> list[ColumnElement[bool]]:
        """The rows of a queue status; ``machine`` and ``failed`` rows must also be used by a
        record, which the caller adds (its test depends on how the database ranks)."""
        if status == QueueStatus.FAILED:
            return [_TM.status == TextStatus.FAILED]
        if status == QueueStatus.REJECTED:
            return [_TM.status == TextStatus.REJECTED]
        if status == QueueStatus.REVIEWED:
            return [_TM.provenance == Provenance.REVIEWED, _TM.status == TextStatus.CURRENT, ~gone]
        if status == QueueStatus.STALE:
            return [
                _TM.provenance == Provenance.REVIEWED,
                or_(_TM.status == TextStatus.STALE, and_(_TM.status == TextStatus.CURRENT, gone)),
            ]
        return [_TM.provenance == Provenance.MACHINE, _TM.status == TextStatus.CURRENT]

    def _described(self, wanted: QueueFilter) -> list[ColumnElement[bool]]:
        """Sentences used by records of the wanted clearing-house, type or country.

        One of them: the row's kept list holds it (migration 0016; no use is read). Several: the
        lists narrow the rows and the uses decide, since they must hold of one record (a sentence
        used by an ABS record from Peru and a CHM record from Brazil is not an ABS sentence from
        Brazil); so does a value a list cannot hold (a comma)."""
        wanted_values = {
            column: value
            for column, value in zip(FACETS, (wanted.realm, wanted.schema, wanted.government), strict=True)
            if value
        }
        conditions: list[ColumnElement[bool]] = [
            holds(self.dialect, getattr(_TM, column), literal(facet_value(value)))
            for column, value in wanted_values.items()
            if "," not in value
        ]
        if len(conditions) != len(wanted_values) or len(wanted_values) > 1:
            conditions.append(self._in_records(wanted))
        return conditions

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
