"""The catalogue's operations: upsert records with their texts, report errors, audit, read back.

Upserts are keyed by record id and content hash: unchanged input costs one lookup and writes
nothing; a changed record is updated in one transaction with an audit entry, and translations of
a changed text are marked ``stale`` (kept, never overwritten).
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal, NamedTuple

from sqlalchemy import Dialect, Engine, Table, bindparam, delete, func, make_url, select, update
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, selectinload, sessionmaker

from record_catalogue.audit import AuditAction, audit
from record_catalogue.bulk_insert import RowEncoder, insert_new_rows, insert_rows
from record_catalogue.changes import note_changed, track_changes
from record_catalogue.codes import Provenance, Realm, RunStatus, TextStatus
from record_catalogue.db import (
    CatalogueUnavailable,
    RowsRefused,
    busy_fault,
    catalogue_url,
    check,
    in_chunks,
    input_fault,
    locked_out,
    make_engine,
    migrate,
    one_line,
    retrying,
    session_factory,
)
from record_catalogue.dialect import lock_record_writers
from record_catalogue.duplicates import document_keys, regroup, regroup_inserted, replace_keys
from record_catalogue.models import (
    AuditEntry,
    Base,
    ChangeCounter,
    DocumentKey,
    FieldText,
    IngestError,
    IngestRun,
    RecordEntity,
    RecordRow,
    utcnow,
)
from record_catalogue.record import MAX_ID_CHARS, NUL, Record
from record_catalogue.segment_uses import record_described

Outcome = Literal["created", "updated", "unchanged"]
DeleteOutcome = Literal["deleted", "already_deleted", "not_found", "not_yours"]


class TextVersion(NamedTuple):
    """One original text as stored: the language it is in and how sure detection was.

    Named tuples, this and ``EntityMention``: ingest's worker processes send tens of them per
    record back to the writer, and a tuple pickles several times faster than a dataclass.
    """

    field: str
    language: str
    text: str
    declared_language: str | None = None
    confidence: float | None = None


class EntityMention(NamedTuple):
    """An entity found in one text version (see ``analyzers.entities``), as the catalogue keeps it."""

    field: str
    language: str
    type: str
    entity_id: str
    text: str
    start: int
    end: int


@dataclass
class Upsert:
    """One record to store: its texts with their languages, optionally its entities, and the
    versions it brought that are not stored (kept in its audit entry: nothing leaves silently)."""

    record: Record
    texts: list[TextVersion]
    original_language: str
    entities: list[EntityMention] | None = None
    left_out: tuple[LeftOut, ...] = ()


class LeftOut(NamedTuple):
    """A version of a field the record brought that is not stored, and why (a language not served)."""

    field: str
    language: str
    reason: str


def audit_detail(item: Upsert, changed_fields: Iterable[str]) -> dict[str, Any]:
    """What a record.created/updated audit entry says: where the record came from, what changed,
    and each version left out (field, language, why), so that a dropped title can be traced."""
    record = item.record
    detail: dict[str, Any] = {
        "source": record.source,
        "position": record.source_position,
        "changed_fields": sorted(changed_fields),
    }
    if item.left_out:
        detail["not_stored"] = [
            {"field": left.field, "language": left.language, "reason": left.reason} for left in item.left_out
        ]
    return detail


class StoredText(NamedTuple):
    """A text just stored, as plain data (see ``StoredRecord``)."""

    field: str
    language: str
    text: str
    provenance: Provenance
    status: TextStatus


class StoredRecord(NamedTuple):
    """A record just inserted, as plain data: enough to index it without reading it back, and
    far cheaper to make than ORM objects (or frozen dataclasses) when a first ingest inserts
    tens of thousands."""

    id: str
    realm: Realm
    schema_name: str
    government: str | None
    original_language: str
    date: dt.date | None
    url: str | None
    updated_at: datetime
    texts: tuple[StoredText, ...]
    entities: tuple[EntityMention, ...]  # as tagged: an index document reads their type, id, language and text
    group_id: str | None = None  # a new record joins a group only once stored (``BatchStored.regrouped``)
    unique_identifier: str | None = None


@dataclass(frozen=True)
class ErrorReport:
    """An ingest error as the CLI and API show it."""

    run_id: str
    source: str
    position: str
    record_id: str | None
    reason: str
    created_at: str


_RECORD_COLUMNS = (
    "id",
    "realm",
    "schema_name",
    "government",
    "original_language",
    "declared_languages",
    "date",
    "url",
    "links",
    "source",
    "source_position",
    "content_hash",
    "created_at",
    "updated_at",
    "needs_index",
    "unique_identifier",
)
_TEXT_COLUMNS = (
    "record_id",
    "field",
    "language",
    "text",
    "provenance",
    "status",
    "declared_language",
    "detection_confidence",
    "version",
    "created_at",
    "updated_at",
)
_ENTITY_COLUMNS = ("record_id", "field", "language", "type", "entity_id", "text", "start", "end")
_AUDIT_COLUMNS = ("at", "actor", "action", "record_id", "detail")


# Not a tombstone (see ``Catalogue.delete_records``).
_LIVE = RecordRow.deleted_at.is_(None)


# Which of some ids the catalogue holds: built once (every batch of new records asks, for
# hundreds of ids; a statement built per call had SQLAlchemy coerce each id of its IN list again).
_HELD_IDS = select(RecordRow.id).where(RecordRow.id.in_(bindparam("ids", expanding=True)))
# The content hashes of some live records: ingest asks for every batch's ids (built once, as above).
_CONTENT_HASHES = select(RecordRow.id, RecordRow.content_hash).where(
    RecordRow.id.in_(bindparam("ids", expanding=True)), _LIVE
)


def _table(model: type[Base]) -> Table:
    """The Core table of a mapped class (typed: ``__table__`` is declared as a FromClause)."""
    return Base.metadata.tables[model.__tablename__]


class NewRecord(NamedTuple):
    """A record the catalogue does not hold yet, as the rows that insert it (made by ``RowMaker``:
    values in the order of the table's columns, as the database driver takes them)."""

    id: str
    record_row: tuple[Any, ...]
    text_rows: list[tuple[Any, ...]]
    entity_rows: list[tuple[Any, ...]]
    audit_row: tuple[Any, ...]
    key_rows: tuple[tuple[str, str], ...] = ()


@dataclass
class BatchStored:
    """What ``Catalogue.store_batch`` did: the upserts' outcomes, and which new records were taken."""

    upserted: list[tuple[str, Outcome, RecordRow | StoredRecord]] = field(default_factory=list)
    taken: list[int] = field(default_factory=list)
    # Records whose index document changed because a duplicate group formed, changed or dissolved
    # (``record_catalogue.duplicates``), in this batch or elsewhere: to index from the catalogue.
    regrouped: set[str] = field(default_factory=set)


class RowMaker:
    """Makes the rows of new records, their values as the catalogue's database driver takes them.

    Needs the database's dialect, not a connection: ingest's worker processes make the rows of
    the records they prepare (``for_url``), so that the catalogue's one writer only inserts them.
    """

    def __init__(self, dialect: Dialect) -> None:
        self.record = RowEncoder(dialect, _table(RecordRow), _RECORD_COLUMNS)
        self.text = RowEncoder(dialect, _table(FieldText), _TEXT_COLUMNS)
        self.entity = RowEncoder(dialect, _table(RecordEntity), _ENTITY_COLUMNS)
        self.audit = RowEncoder(dialect, _table(AuditEntry), _AUDIT_COLUMNS)

    @classmethod
    def for_url(cls, dsn: str) -> RowMaker:
        """For a process without a connection. The dialect is the URL's default one, as
        ``make_engine`` leaves it: should engine options ever change how values are bound
        (a JSON serializer, say), give them here too; tests/test_catalogue.py compares both."""
        url = catalogue_url(dsn) if dsn.startswith("postgresql") else make_url(dsn)
        return cls(url.get_dialect()())

    def new_record(self, item: Upsert, actor: str, now: datetime) -> NewRecord:
        """The rows that store ``item`` as a new record at time ``now``, with its audit entry."""
        record = item.record
        record_row = (
            record.id,
            record.realm,
            record.schema_name,
            record.government,
            item.original_language,
            list(record.declared_languages),
            record.date,
            record.url,
            [link.model_dump() for link in record.links],
            record.source,
            record.source_position,
            record.content_hash(),
            now,
            now,
            True,
            record.unique_identifier,
        )
        text_rows = [
            self.text(
                (
                    record.id,
                    t.field,
                    t.language,
                    t.text,
                    Provenance.ORIGINAL,
                    TextStatus.CURRENT,
                    t.declared_language,
                    t.confidence,
                    1,
                    now,
                    now,
                )
            )
            for t in item.texts
        ]
        entity_rows = [
            self.entity((record.id, e.field, e.language, e.type, e.entity_id, e.text[:500], e.start, e.end))
            for e in item.entities or []
        ]
        detail = audit_detail(item, {t.field for t in item.texts})
        return NewRecord(
            record.id,
            self.record(record_row),
            text_rows,
            entity_rows,
            self.audit((now, actor, AuditAction.RECORD_CREATED.value, record.id, detail)),
            tuple((record.id, key) for key in sorted(document_keys(record))),
        )


def _without_nul(value: str) -> str:
    """An error report quotes its input, which may hold NUL characters: no catalogue keeps them
    (PostgreSQL's text cannot), as no record does (``Record``). Lone surrogates (a ``"\\ud800"``
    in JSON, a file name that is not UTF-8) cannot be encoded for any catalogue either: they are
    written as ``\\udXXX`` escapes, so that the report of a bad input is never itself refused."""
    if NUL in value:
        value = value.replace(NUL, "")
    return value if value.isascii() else value.encode("utf-8", "backslashreplace").decode("utf-8")


_new_tuple = tuple.__new__
_ORIGINAL_CURRENT = (Provenance.ORIGINAL, TextStatus.CURRENT)


def stored_record(item: Upsert, now: datetime) -> StoredRecord:
    """``item`` as stored by ``RowMaker.new_record`` at time ``now``, as plain data (to index it).

    Its texts are sliced from the ``TextVersion``s, not built field by field, and its entities are
    the ``EntityMention``s themselves: tens a record, and the named tuples' constructors cost more
    than the slicing."""
    record = item.record
    return StoredRecord(
        id=record.id,
        realm=record.realm,
        schema_name=record.schema_name,
        government=record.government,
        original_language=item.original_language,
        date=record.date,
        url=record.url,
        unique_identifier=record.unique_identifier,
        updated_at=now,
        texts=tuple(_new_tuple(StoredText, t[:3] + _ORIGINAL_CURRENT) for t in item.texts),
        entities=tuple(item.entities or ()),
    )


def lock_records(session: Session, ids: Sequence[str], *conditions: Any) -> Iterator[str]:
    """Lock the records ``ids`` (those meeting ``conditions``) for update, in id order; their ids.

    Every transaction that changes records locks them this way before changing them, so that two
    writers wait for each other instead of deadlocking. ``FOR NO KEY UPDATE`` (PostgreSQL) leaves
    inserts of texts pointing at the record free to go on; SQLite, which has one writer at a time,
    ignores the clause.
    """
    stmt = select(RecordRow.id).where(RecordRow.id.in_(ids), *conditions).order_by(RecordRow.id)
    yield from session.scalars(stmt.with_for_update(key_share=True))


def locked_rows(session: Session, ids: Sequence[str], *load: Any) -> dict[str, RecordRow]:
    """The records ``ids`` as rows (with what ``load`` loads with them), locked for update in id
    order as ``lock_records`` locks them; by id."""
    stmt = (
        select(RecordRow)
        .where(RecordRow.id.in_(ids))
        .order_by(RecordRow.id)
        .with_for_update(key_share=True)  # PostgreSQL: locked in id order; SQLite: ignored
        .options(*load)
    )
    return {row.id: row for row in session.scalars(stmt)}


def _insert_records(session: Session, new: Sequence[NewRecord]) -> list[NewRecord]:
    """Insert new records with one statement per table; return those inserted: on PostgreSQL a
    record another transaction inserted meanwhile is left out (with its texts), not an error.

    Plain executemany or COPY on the tables (``record_catalogue.bulk_insert``), not the ORM: a
    first ingest inserts hundreds of thousands of rows, and per-row bookkeeping is pure cost there.
    """
    if not new:
        return []
    connection = session.connection()
    inserted = insert_new_rows(connection, _table(RecordRow), _RECORD_COLUMNS, [n.record_row for n in new], "id")
    if len(inserted) < len(new):
        new = [n for n in new if n.id in inserted]
    insert_rows(connection, _table(FieldText), _TEXT_COLUMNS, [row for n in new for row in n.text_rows])
    insert_rows(connection, _table(RecordEntity), _ENTITY_COLUMNS, [row for n in new for row in n.entity_rows])
    insert_rows(connection, _table(AuditEntry), _AUDIT_COLUMNS, [n.audit_row for n in new])
    insert_rows(connection, _table(DocumentKey), ("record_id", "key"), [row for n in new for row in n.key_rows])
    note_changed(session, [n.id for n in new])
    return list(new)


class Catalogue:
    """The source of truth: one object per process, sessions per operation."""

    def __init__(self, dsn: str, *, auto_migrate: bool = True, busy_timeout: float | None = None) -> None:
        self.dsn = dsn
        self.engine: Engine = make_engine(dsn, busy_timeout)
        self.sessions: sessionmaker[Session] = session_factory(self.engine)
        track_changes(self.sessions)
        self.rows = RowMaker(self.engine.dialect)
        if auto_migrate:
            migrate(self.engine)

    def close(self) -> None:
        self.engine.dispose()

    def health(self) -> tuple[bool, str]:
        """``(True, "ok ...")`` or ``(False, what is wrong)``."""
        try:
            check(self.engine)
            with self.sessions() as session:
                count = session.scalar(select(func.count()).select_from(RecordRow).where(_LIVE)) or 0
        except (CatalogueUnavailable, SQLAlchemyError) as exc:
            return False, str(exc).splitlines()[0]
        return True, f"ok ({count} records)"

    # -- records -----------------------------------------------------------------------------
    def upsert(
        self, record: Record, texts: Sequence[TextVersion], original_language: str, actor: str = "ingest"
    ) -> Outcome:
        """Store one record and its original texts; say whether it was new, changed or unchanged."""
        [(_, outcome, _)] = self.upsert_many([Upsert(record, list(texts), original_language)], actor)
        return outcome

    def upsert_many(
        self, items: Sequence[Upsert], actor: str = "ingest"
    ) -> list[tuple[str, Outcome, RecordRow | StoredRecord]]:
        """Store a batch in one transaction (all or nothing): unchanged records cost one lookup.

        Returns, per item, its id, the outcome and the stored row (texts and entities loaded),
        which the caller can index without reading it back.
        """
        return self.store_batch((), items, actor).upserted

    def store_batch(self, new: Sequence[NewRecord], items: Sequence[Upsert], actor: str = "ingest") -> BatchStored:
        """Insert ``new`` records (prepared as rows elsewhere), then upsert ``items``: one transaction.

        A ``new`` record whose id the catalogue holds by now (stored by an earlier batch of the
        same input, or by another writer) is not inserted: its position is in ``taken``, for the
        caller to prepare it again as an update.

        Concurrent writers: on SQLite the transaction takes the write lock first (``dialect.lock_record_writers``).
        On PostgreSQL the records to update are locked in id order, as every writer of records does
        (``lock_records``), and new records are inserted with ``ON CONFLICT DO NOTHING``: one another
        writer inserted meanwhile is ``taken`` (from ``new``) or updated (from ``items``), never a
        unique violation. A transaction refused for a deadlock all the same is run again (``retrying``).

        The database's errors come out as the project's: ``RowsRefused`` when the data written
        caused it (the caller stores record by record to find which), ``CatalogueLocked`` for
        another writer's lock, ``CatalogueUnavailable`` for anything else (the catalogue's fault:
        stop, resume later).
        """
        try:
            return retrying(lambda: self._store_batch(new, items, actor))
        except SQLAlchemyError as exc:
            raise _storing_error(exc) from exc

    def _store_batch(self, new: Sequence[NewRecord], items: Sequence[Upsert], actor: str) -> BatchStored:
        ids = sorted(dict.fromkeys(item.record.id for item in items))
        result = BatchStored()
        with self.sessions.begin() as session:
            lock_record_writers(session)
            if new:
                held = self._existing_ids(session, [n.id for n in new])
                fresh: dict[str, int] = {}
                for position, one in enumerate(new):
                    if one.id in held or one.id in fresh:  # the same id twice in ``new``: the second is taken
                        result.taken.append(position)
                    else:
                        fresh[one.id] = position
                inserted = {
                    n.id: [key for _, key in n.key_rows]
                    for n in _insert_records(session, [new[p] for p in sorted(fresh.values())])
                }
                result.taken = sorted(result.taken + [p for i, p in fresh.items() if i not in inserted])
                result.regrouped = regroup_inserted(session, inserted)
            if not items:
                return result
            rows = locked_rows(session, ids, selectinload(RecordRow.texts), selectinload(RecordRow.entities))
            # Records seen for the first time are written with executemany inserts; the unit of
            # work is kept for updates, where it earns its cost.
            first: dict[str, int] = {}
            for n, item in enumerate(items):
                if item.record.id not in rows:
                    first.setdefault(item.record.id, n)
            created = self._insert_new(session, {n: items[n] for n in first.values()}, actor)
            for n, item in enumerate(items):
                if n in created:
                    result.upserted.append((item.record.id, "created", created[n]))
                    continue
                row = rows.get(item.record.id)
                if row is None:  # the same id again in this batch, or inserted meanwhile by another writer
                    row = session.get(
                        RecordRow,
                        item.record.id,
                        options=[selectinload(RecordRow.texts), selectinload(RecordRow.entities)],
                        with_for_update={"key_share": True},
                    )
                outcome, row = self._upsert_in(session, row, item, actor)
                rows[row.id] = row
                result.upserted.append((row.id, outcome, row))
            stored = {record_id for record_id, outcome, _ in result.upserted if outcome != "unchanged"}
            if stored:
                session.flush()
                result.regrouped |= regroup(session, stored)
        return result

    @staticmethod
    def _existing_ids(session: Session, ids: Sequence[str]) -> set[str]:
        held: set[str] = set()
        for chunk in in_chunks(ids):
            held.update(session.scalars(_HELD_IDS, {"ids": list(chunk)}))
        return held

    def _insert_new(self, session: Session, items: dict[int, Upsert], actor: str) -> dict[int, StoredRecord]:
        """Insert new records (by their position in the batch); returns, by position, those inserted
        as plain data, for the caller to index (one another writer inserted meanwhile is not)."""
        if not items:
            return {}
        now = utcnow()
        order = sorted(items, key=lambda n: items[n].record.id)
        inserted = {n.id for n in _insert_records(session, [self.rows.new_record(items[n], actor, now) for n in order])}
        return {n: stored_record(item, now) for n, item in items.items() if item.record.id in inserted}

    def _upsert_in(
        self, session: Session, row: RecordRow | None, item: Upsert, actor: str
    ) -> tuple[Outcome, RecordRow]:
        record = item.record
        digest = record.content_hash()
        restored = row is not None and row.deleted_at is not None
        if row is not None and row.content_hash == digest and not restored:
            return "unchanged", row
        outcome: Outcome = "created" if row is None else "updated"
        if restored:
            assert row is not None
            row.deleted_at = None
            row.deleted_by = None
        if row is None:
            row = RecordRow(id=record.id, created_at=utcnow(), texts=[], entities=[])
            session.add(row)
        described = (row.realm, row.schema_name, row.government)
        row.realm = record.realm
        row.schema_name = record.schema_name
        row.government = record.government
        row.original_language = item.original_language
        row.declared_languages = list(record.declared_languages)
        row.date = record.date
        row.url = record.url
        row.unique_identifier = record.unique_identifier
        row.links = [link.model_dump() for link in record.links]
        row.source = record.source
        row.source_position = record.source_position
        row.content_hash = digest
        row.updated_at = utcnow()
        row.needs_index = True
        changed_fields = self._replace_originals(session, row, item.texts)
        if outcome == "created":
            session.flush()  # the keys refer to the record
        replace_keys(session, record.id, document_keys(record))
        if outcome == "updated" and described != (row.realm, row.schema_name, row.government):
            session.flush()
            record_described(session, record.id)  # the lists its sentences keep for the review queue
        if item.entities is not None:
            row.entities = [
                RecordEntity(
                    field=e.field,
                    language=e.language,
                    type=e.type,
                    entity_id=e.entity_id,
                    text=e.text[:500],
                    start=e.start,
                    end=e.end,
                )
                for e in item.entities
            ]
        audit(
            session,
            AuditAction.RECORD_RESTORED if restored else AuditAction(f"record.{outcome}"),
            actor,
            record.id,
            audit_detail(item, changed_fields),
        )
        return outcome, row

    def live_realms(self, ids: Sequence[str]) -> dict[str, str]:
        """The clearing-house of each of these records the catalogue holds (live ones), by id.

        Ingest asks before updating: a record id is one record whatever its realm, so a record of
        another realm under an id already held would replace that record (the same GUID given by
        two clearing-houses) rather than update it."""
        found: dict[str, str] = {}
        if not ids:
            return found
        with self.sessions() as session:
            for chunk in in_chunks(sorted(set(ids))):
                rows = session.execute(select(RecordRow.id, RecordRow.realm).where(RecordRow.id.in_(chunk), _LIVE))
                found.update({row_id: realm for row_id, realm in rows})
        return found

    def content_hashes(self, ids: Sequence[str]) -> dict[str, str]:
        """Stored content hashes by id, so unchanged input is recognised before any work is done on it
        (not of deleted records: the same input again restores them)."""
        if not ids:
            return {}
        with self.sessions() as session:
            return {row_id: digest for row_id, digest in session.execute(_CONTENT_HASHES, {"ids": list(ids)})}

    def mark_indexed(self, ids: Sequence[str]) -> None:
        """The index has committed these records: clear their flag (in one transaction, in chunks
        that keep each statement's parameters within what every database accepts).

        The rows are locked in id order before they are updated, as every writer of records does
        (an ``UPDATE ... IN (...)`` locks them in whatever order its plan reads them, which
        deadlocked against concurrent upserts); a deadlock still is run again.
        """
        ids = sorted(set(ids))
        if not ids:
            return

        def clear() -> None:
            with self.sessions.begin() as session:
                for chunk in in_chunks(ids):
                    flagged = list(lock_records(session, chunk, RecordRow.needs_index.is_(True)))
                    if flagged:
                        session.execute(update(RecordRow).where(RecordRow.id.in_(flagged)).values(needs_index=False))

        retrying(clear)

    def ids_needing_index(self) -> list[str]:
        """Records changed since the index last committed them (e.g. after a crash)."""
        with self.sessions() as session:
            stmt = select(RecordRow.id).where(RecordRow.needs_index.is_(True), _LIVE).order_by(RecordRow.id)
            return list(session.scalars(stmt))

    def deleted_needing_index(self) -> list[str]:
        """Deleted records the index may still hold (the engine was down when they were deleted):
        to delete from it, then ``mark_indexed``."""
        with self.sessions() as session:
            stmt = select(RecordRow.id).where(RecordRow.needs_index.is_(True), ~_LIVE).order_by(RecordRow.id)
            return list(session.scalars(stmt))

    @staticmethod
    def _replace_originals(session: Session, row: RecordRow, texts: Sequence[TextVersion]) -> set[str]:
        """Bring the original texts in line with the source; mark translations of changed fields stale."""
        existing = {(t.field, t.language): t for t in row.texts if t.provenance == Provenance.ORIGINAL}
        wanted = {(t.field, t.language): t for t in texts}
        changed: set[str] = set()
        for key, gone in existing.items():
            if key not in wanted:
                row.texts.remove(gone)
                changed.add(key[0])
        for key, new in wanted.items():
            old = existing.get(key)
            if old is not None and old.text == new.text:
                old.declared_language = new.declared_language
                old.detection_confidence = new.confidence
                continue
            changed.add(key[0])
            if old is None:
                row.texts.append(
                    FieldText(
                        field=new.field,
                        language=new.language,
                        text=new.text,
                        provenance=Provenance.ORIGINAL,
                        status=TextStatus.CURRENT,
                        declared_language=new.declared_language,
                        detection_confidence=new.confidence,
                    )
                )
            else:
                old.text = new.text
                old.version += 1
                old.updated_at = utcnow()
                old.declared_language = new.declared_language
                old.detection_confidence = new.confidence
        for text in row.texts:
            if text.provenance != Provenance.ORIGINAL and text.field in changed and text.status == TextStatus.CURRENT:
                text.status = TextStatus.STALE
                text.status_reason = "the source text changed"
                text.updated_at = utcnow()
        return changed

    def get(self, record_id: str) -> RecordRow | None:
        """A record with all its texts, or None."""
        with self.sessions() as session:
            return session.get(
                RecordRow, record_id, options=[selectinload(RecordRow.texts), selectinload(RecordRow.entities)]
            )

    def count(self) -> int:
        """How many records there are (not counting deleted ones)."""
        with self.sessions() as session:
            return int(session.scalar(select(func.count()).select_from(RecordRow).where(_LIVE)) or 0)

    def change_mark(self) -> int:
        """The last committed change number: records changed after this moment get a higher one.

        A rebuild reads the whole catalogue for minutes while pushes, translations and curation
        keep writing to the version it is about to retire; it asks ``changed_since`` this mark
        after its swap and writes those records again (``record_catalogue.changes`` says why the
        numbers, unlike timestamps, cannot skip a transaction that committed late)."""
        with self.sessions() as session:
            return int(session.scalar(select(ChangeCounter.value).where(ChangeCounter.id == 1)) or 0)

    def changed_since(self, mark: int) -> tuple[list[str], list[str]]:
        """Records changed after ``mark``: (live ids, deleted ids), each in id order."""
        with self.sessions() as session:
            rows = session.execute(
                select(RecordRow.id, RecordRow.deleted_at).where(RecordRow.change_seq > mark).order_by(RecordRow.id)
            ).all()
        return [r.id for r in rows if r.deleted_at is None], [r.id for r in rows if r.deleted_at is not None]

    def iter_records(
        self, batch_size: int = 500, ids: Sequence[str] | None = None, *, include_deleted: bool = False
    ) -> Iterator[RecordRow]:
        """Every record (or those named) with its texts, in id order, a batch at a time; deleted
        records only with ``include_deleted`` (what is indexed never includes them). A duplicate
        group's primary comes with its members (``group_members``), to be indexed as one."""
        last = ""
        while True:
            with self.sessions() as session:
                members = selectinload(RecordRow.group_members)
                stmt = (
                    select(RecordRow)
                    .options(
                        selectinload(RecordRow.texts),
                        selectinload(RecordRow.entities),
                        members.selectinload(RecordRow.texts),
                        members.selectinload(RecordRow.entities),
                    )
                    .order_by(RecordRow.id)
                )
                if ids is not None:
                    stmt = stmt.where(RecordRow.id.in_(list(ids)))
                if not include_deleted:
                    stmt = stmt.where(_LIVE)
                rows = list(session.scalars(stmt.where(RecordRow.id > last).limit(batch_size)))
            if not rows:
                return
            yield from rows
            last = rows[-1].id

    def delete_record(self, record_id: str, actor: str, *, only_source: str | None = None, reason: str = "") -> bool:
        """Tombstone one record (see ``delete_records``); True if this call deleted it."""
        return self.delete_records([record_id], actor, only_source=only_source, reason=reason)[record_id] == "deleted"

    def delete_records(
        self,
        ids: Sequence[str],
        actor: str,
        *,
        only_source: str | None = None,
        reason: str = "",
        regrouped: set[str] | None = None,
    ) -> dict[str, DeleteOutcome]:
        """Withdraw records: each becomes a tombstone (``deleted_at``, ``deleted_by``) that the feeds
        report as deleted, with its texts, reviewed translations and history kept for audit; a later
        ingest of the same id restores it. Flagged ``needs_index``: the caller deletes them from
        the index and then calls ``mark_indexed`` (``deleted_needing_index`` finds those left).

        ``only_source``: delete only records that came from this source (a partner's key may
        withdraw only what it pushed: ``api:<key name>``); others are ``not_yours``.
        One transaction; outcomes by id. ``regrouped`` receives the ids of the records whose index
        document changed because a deleted one left its duplicate group (flagged ``needs_index``).
        """
        wanted = sorted(set(ids))

        def run() -> dict[str, DeleteOutcome]:
            outcomes: dict[str, DeleteOutcome] = {}
            with self.sessions.begin() as session:
                rows = locked_rows(session, wanted)
                now = utcnow()
                for record_id in wanted:
                    row = rows.get(record_id)
                    if row is None:
                        outcomes[record_id] = "not_found"
                    elif only_source is not None and row.source != only_source:
                        outcomes[record_id] = "not_yours"
                    elif row.deleted_at is not None:
                        outcomes[record_id] = "already_deleted"
                    else:
                        row.deleted_at = now
                        row.deleted_by = actor
                        row.needs_index = True
                        detail: dict[str, Any] = {"source": row.source}
                        if reason:
                            detail["reason"] = reason
                        audit(session, AuditAction.RECORD_DELETED, actor, record_id, detail)
                        outcomes[record_id] = "deleted"
                gone = [record_id for record_id, outcome in outcomes.items() if outcome == "deleted"]
                if gone:
                    session.flush()
                    moved = regroup(session, gone)
                    if regrouped is not None:
                        regrouped.update(moved)
            return outcomes

        return retrying(run)

    def split_record(self, record_id: str, actor: str, *, split: bool = True) -> set[str] | None:
        """A curator's "not the same document": ``record_id`` leaves its duplicate group and joins
        none again (``split=False`` undoes it). None if there is no such (live) record; otherwise the
        ids whose index document changed (flagged ``needs_index``). Audited ``record.split`` or
        ``record.unsplit``; the records themselves are untouched."""

        def run() -> set[str] | None:
            with self.sessions.begin() as session:
                row = locked_rows(session, [record_id]).get(record_id)
                if row is None or row.deleted_at is not None:
                    return None
                previous = row.group_id
                row.group_split = split
                detail = {"group": previous} if previous else {}
                action = AuditAction.RECORD_SPLIT if split else AuditAction.RECORD_UNSPLIT
                audit(session, action, actor, record_id, detail)
                session.flush()
                return regroup(session, [record_id])

        return retrying(run)

    def group_of(self, record_id: str) -> list[RecordRow]:
        """The live records grouped with ``record_id`` as one document (itself included), primary
        first; just itself when it is in no group."""
        with self.sessions() as session:
            row = session.get(RecordRow, record_id)
            if row is None:
                return []
            if row.group_id is None:
                return [row]
            stmt = select(RecordRow).where(RecordRow.group_id == row.group_id, _LIVE).order_by(RecordRow.id)
            members = list(session.scalars(stmt))
        return sorted(members, key=lambda m: (m.id != m.group_id, m.id))

    # -- errors and audit --------------------------------------------------------------------
    @staticmethod
    def new_run_id() -> str:
        return uuid.uuid4().hex[:16]

    def add_error(self, run_id: str, source: str, position: str, reason: str, record_id: str | None = None) -> None:
        """Remember why an input could not become a record."""
        self.add_errors([ErrorReport(run_id, source, position, record_id, reason, "")])

    def add_errors(self, errors: Sequence[ErrorReport]) -> None:
        """Remember a batch of errors in one transaction."""
        if not errors:
            return
        with self.sessions.begin() as session:
            session.add_all(
                IngestError(
                    run_id=e.run_id,
                    source=_without_nul(e.source),
                    position=_without_nul(e.position),
                    record_id=None if e.record_id is None else _without_nul(e.record_id)[:MAX_ID_CHARS],
                    reason=_without_nul(e.reason),
                )
                for e in errors
            )

    # -- runs (for --resume) -----------------------------------------------------------------
    def start_run(self, run_id: str, paths: Sequence[str], realm: str | None) -> None:
        with self.sessions.begin() as session:
            session.add(IngestRun(id=run_id, paths=list(paths), realm=realm, status=RunStatus.RUNNING, checkpoint=0))

    def checkpoint_run(self, run_id: str, consumed: int, counts: dict[str, int]) -> None:
        """Everything up to item ``consumed`` is safely stored and indexed."""
        with self.sessions.begin() as session:
            session.execute(update(IngestRun).where(IngestRun.id == run_id).values(checkpoint=consumed, counts=counts))

    def finish_run(self, run_id: str, status: RunStatus, counts: dict[str, int]) -> None:
        with self.sessions.begin() as session:
            session.execute(
                update(IngestRun)
                .where(IngestRun.id == run_id)
                .values(status=status, counts=counts, finished_at=utcnow())
            )

    def unfinished_run(self) -> IngestRun | None:
        """The most recent run that did not finish (killed, crashed), to resume."""
        with self.sessions() as session:
            stmt = select(IngestRun).where(IngestRun.status != RunStatus.FINISHED).order_by(IngestRun.started_at.desc())
            return session.scalars(stmt.limit(1)).first()

    def errors(self, run_id: str | None = None, limit: int = 1000) -> list[ErrorReport]:
        """The most recent ingest errors, newest first."""
        with self.sessions() as session:
            stmt = select(IngestError).order_by(IngestError.id.desc()).limit(limit)
            if run_id:
                stmt = stmt.where(IngestError.run_id == run_id)
            return [
                ErrorReport(e.run_id, e.source, e.position, e.record_id, e.reason, e.created_at.isoformat())
                for e in session.scalars(stmt)
            ]

    def clear_errors(self) -> int:
        with self.sessions.begin() as session:
            return int(session.execute(delete(IngestError)).rowcount or 0)  # type: ignore[attr-defined]

    def audit(self, actor: str, action: AuditAction, record_id: str | None = None, **detail: Any) -> None:
        with self.sessions.begin() as session:
            audit(session, action, actor, record_id, detail)

    def audit_trail(self, record_id: str) -> list[AuditEntry]:
        with self.sessions() as session:
            stmt = select(AuditEntry).where(AuditEntry.record_id == record_id).order_by(AuditEntry.id)
            return list(session.scalars(stmt))


def _storing_error(exc: SQLAlchemyError) -> CatalogueUnavailable | RowsRefused:
    """What a failed ``store_batch`` raises for the database's ``exc`` (see there)."""
    if busy_fault(exc):
        return locked_out(exc)
    if input_fault(exc):
        return RowsRefused(f"not stored: {(str(exc).splitlines() or [''])[0]}")
    return CatalogueUnavailable(f"the catalogue failed while storing records: {one_line(exc)}")
