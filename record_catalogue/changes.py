"""Stamping every committed change of a record with the catalogue's next change number.

Why: partners mirror us through the feeds (``/api/v1/changes``, OAI-PMH), asking for what changed
since the last position they saw. A timestamp cannot be that position: two transactions stamp
times in one order and commit in the other, and a reader between the two commits would skip a
change for ever. So a committing transaction that changed records takes the next value of the
single-row ``change_counter`` *after* locking those records, and holds the counter's row lock
until it commits: the values are handed out in commit order, and a reader that has seen value N
has seen every change numbered below N. The lock is held for two short statements.

What counts as a change of a record: its own columns (except the index flag and the stamps),
its texts (originals, translations, reviews) and its entities, whoever writes them through the
catalogue's sessions (ingest, the translate worker, curation, deletion), plus the records the
bulk inserts of new records report (``note_changed``).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import bindparam, event, inspect, select, update
from sqlalchemy.orm import Session, sessionmaker

from record_catalogue.db import in_chunks
from record_catalogue.dialect import one_writer_at_a_time
from record_catalogue.models import Base, ChangeCounter, FieldText, RecordEntity, RecordRow, utcnow

_PENDING = "chm_changed_records"
# Columns whose change alone is no change of the record as partners see it.
_BOOKKEEPING = frozenset({"needs_index", "change_seq", "changed_at"})


def note_changed(session: Session, record_ids: Iterable[str]) -> None:
    """Remember records changed in this transaction by statements the ORM does not see."""
    session.info.setdefault(_PENDING, set()).update(record_ids)


def _changed_row(row: RecordRow) -> bool:
    state = inspect(row)
    return any(
        attr.key not in _BOOKKEEPING and attr.history.has_changes()
        for attr in state.attrs
        if attr.key not in ("texts", "entities")
    )


def _after_flush(session: Session, _context: Any) -> None:
    ids: set[str] = set()
    for obj in (*session.new, *session.dirty, *session.deleted):
        if isinstance(obj, RecordRow):
            if obj in session.new or obj in session.deleted or _changed_row(obj):
                ids.add(obj.id)
        elif isinstance(obj, FieldText | RecordEntity):
            record_id = obj.record_id if obj.record_id is not None else getattr(obj.record, "id", None)
            if record_id is not None:
                ids.add(record_id)
    if ids:
        note_changed(session, ids)


# The statements that stamp a transaction's changes, built once: every transaction that changes
# records runs them, an ingest's for hundreds of ids (a statement built per call had SQLAlchemy
# coerce each id of its IN lists again).
_RECORDS = Base.metadata.tables[RecordRow.__tablename__]
_COUNTER = Base.metadata.tables[ChangeCounter.__tablename__]
_LOCK = (
    select(_RECORDS.c.id)
    .where(_RECORDS.c.id.in_(bindparam("ids", expanding=True)))
    .order_by(_RECORDS.c.id)
    .with_for_update(key_share=True)
)
_NEXT_SEQ = update(_COUNTER).where(_COUNTER.c.id == 1).values(value=_COUNTER.c.value + 1).returning(_COUNTER.c.value)
_STAMP = (
    update(_RECORDS)
    .where(_RECORDS.c.id.in_(bindparam("ids", expanding=True)))
    .values(change_seq=bindparam("seq"), changed_at=bindparam("now"))
)


def _before_commit(session: Session) -> None:
    session.flush()  # what is still pending is part of the change
    ids = sorted(session.info.pop(_PENDING, ()))
    if not ids:
        return
    connection = session.connection()
    # Lock the records first, in id order like every writer of records (``store.lock_records``),
    # then the counter: every transaction takes them in this order, so none waits in a circle.
    # SQLite has no row locks (SQLAlchemy leaves FOR UPDATE out there): one writer at a time, and
    # a transaction that changed records holds the write lock already; the SELECT would only read.
    if not one_writer_at_a_time(connection):
        for chunk in in_chunks(ids):
            connection.execute(_LOCK, {"ids": list(chunk)})
    seq = connection.execute(_NEXT_SEQ).scalar_one()
    now = utcnow()
    for chunk in in_chunks(ids):
        connection.execute(_STAMP, {"ids": list(chunk), "seq": seq, "now": now})


def _forget(session: Session, *_args: Any) -> None:
    session.info.pop(_PENDING, None)


def track_changes(sessions: sessionmaker[Session]) -> None:
    """Stamp the changes of records made through ``sessions`` (once per session factory)."""
    event.listen(sessions, "after_flush", _after_flush)
    event.listen(sessions, "before_commit", _before_commit)
    event.listen(sessions, "after_rollback", _forget)
