"""What the feeds read: records (tombstones included) in the order their changes committed.

Both feeds, ``/api/v1/changes`` and OAI-PMH, page through the catalogue by the position of each
record's last change, ``(change_seq, id)`` (``record_catalogue.changes`` says why that order can
be trusted): a page ends at a position, the next starts after it. A record changed while a
partner pages through moves to the end and is seen again, never skipped.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, and_, func, or_, select
from sqlalchemy.orm import selectinload

from record_catalogue.models import RecordRow
from record_catalogue.store import Catalogue


@dataclass(frozen=True)
class Position:
    """Just after the change of record ``record_id`` numbered ``seq``; ``Position(-1, "")``: the start."""

    seq: int
    record_id: str


START = Position(-1, "")


@dataclass(frozen=True)
class FeedFilter:
    """Which records: changed within ``[changed_from, changed_until)`` (UTC), of some realms or
    realm/schema pairs (none given: all)."""

    changed_from: datetime | None = None
    changed_until: datetime | None = None
    realm: str | None = None
    schema: str | None = None

    def conditions(self) -> list[ColumnElement[bool]]:
        conditions: list[ColumnElement[bool]] = []
        if self.changed_from is not None:
            conditions.append(RecordRow.changed_at >= self.changed_from)
        if self.changed_until is not None:
            conditions.append(RecordRow.changed_at < self.changed_until)
        if self.realm is not None:
            conditions.append(RecordRow.realm == self.realm)
        if self.schema is not None:
            conditions.append(RecordRow.schema_name == self.schema)
        return conditions


def _after(position: Position) -> ColumnElement[bool]:
    return or_(
        RecordRow.change_seq > position.seq,
        and_(RecordRow.change_seq == position.seq, RecordRow.id > position.record_id),
    )


def changed_records(
    catalogue: Catalogue,
    after: Position = START,
    limit: int = 100,
    where: FeedFilter | None = None,
    *,
    texts: bool = True,
) -> list[RecordRow]:
    """Up to ``limit`` records (deleted ones too) whose last change comes after ``after``, in the
    order of their changes; with their texts and entities unless ``texts`` is False."""
    stmt = (
        select(RecordRow)
        .where(_after(after), *(where or FeedFilter()).conditions())
        .order_by(RecordRow.change_seq, RecordRow.id)
        .limit(limit)
    )
    if texts:
        stmt = stmt.options(selectinload(RecordRow.texts), selectinload(RecordRow.entities))
    with catalogue.sessions() as session:
        return list(session.scalars(stmt))


def count_changed(catalogue: Catalogue, where: FeedFilter | None = None) -> int:
    """How many records ``where`` selects (deleted ones too)."""
    stmt = select(func.count()).select_from(RecordRow).where(*(where or FeedFilter()).conditions())
    with catalogue.sessions() as session:
        return int(session.scalar(stmt) or 0)


def position_of(row: RecordRow) -> Position:
    return Position(row.change_seq, row.id)


def earliest_change(catalogue: Catalogue) -> datetime | None:
    """When the oldest record still in the catalogue last changed (None: the catalogue is empty)."""
    with catalogue.sessions() as session:
        return session.scalar(select(func.min(RecordRow.changed_at)))


def realm_schemas(catalogue: Catalogue) -> list[tuple[str, str]]:
    """Every (realm, schema) pair the catalogue holds records of (deleted ones too), sorted."""
    stmt = select(RecordRow.realm, RecordRow.schema_name).distinct().order_by(RecordRow.realm, RecordRow.schema_name)
    with catalogue.sessions() as session:
        return [(realm, schema) for realm, schema in session.execute(stmt)]


def records_by_id(catalogue: Catalogue, ids: Sequence[str]) -> dict[str, RecordRow]:
    """The named records (deleted ones too) with texts and entities, by id."""
    if not ids:
        return {}
    stmt = (
        select(RecordRow)
        .where(RecordRow.id.in_(list(ids)))
        .options(selectinload(RecordRow.texts), selectinload(RecordRow.entities))
    )
    with catalogue.sessions() as session:
        return {row.id: row for row in session.scalars(stmt)}
