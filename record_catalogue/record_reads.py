"""Records as the translate worker reads them: with their text versions, by id, in pages, counted
(and how many documents the index should hold, for the health check).

Why here: the worker decides what to translate from a record's text versions (``translate.worker``);
how they are fetched (in id order, a page per session, with their queue generations read in the
same session so that a later change is not lost) is the catalogue's business.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session, selectinload, sessionmaker

from record_catalogue.codes import Provenance, TextStatus
from record_catalogue.db import translating_faults
from record_catalogue.models import FieldText, RecordRow
from record_catalogue.work_models import TranslationWork

PAGE = 500


def records_with_texts(sessions: sessionmaker[Session], ids: Sequence[str]) -> list[RecordRow]:
    """The records ``ids`` that exist, with their text versions, in id order."""
    with sessions() as session:
        stmt = select(RecordRow).options(selectinload(RecordRow.texts)).where(RecordRow.id.in_(list(ids)))
        return sorted(session.scalars(stmt), key=lambda row: row.id)


def count_live_records(sessions: sessionmaker[Session], realms: Sequence[str] = ()) -> int:
    """How many records are not deleted (of ``realms``, if any)."""
    with sessions() as session:
        stmt = select(func.count()).select_from(RecordRow).where(RecordRow.deleted_at.is_(None))
        if realms:
            stmt = stmt.where(RecordRow.realm.in_(list(realms)))
        return int(session.scalar(stmt) or 0)


@translating_faults
def count_indexed_records(sessions: sessionmaker[Session]) -> int:
    """How many documents the index should hold: live records, a group of copies of one document
    counting once (``record_catalogue.duplicates``: its members are indexed as their primary)."""
    with sessions() as session:
        shown = or_(RecordRow.group_id.is_(None), RecordRow.group_id == RecordRow.id)
        live = RecordRow.deleted_at.is_(None)
        return int(session.scalar(select(func.count()).select_from(RecordRow).where(live, shown)) or 0)


def record_pages(
    sessions: sessionmaker[Session],
    realms: Sequence[str] = (),
    queued: dict[str, int] | None = None,
    page: int = PAGE,
) -> Iterator[RecordRow]:
    """Records (with texts) in id order, a page per session, optionally of some realms.

    ``queued`` receives the queue generation of each record read that is in the backlog and
    held by no worker, read in the same session as the record (so a later change is not lost).
    """
    last = ""
    while True:
        with sessions() as session:
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
            if queued is not None and rows:
                generations = select(TranslationWork.record_id, TranslationWork.generation).where(
                    TranslationWork.record_id.in_([row.id for row in rows]), TranslationWork.leased_by.is_(None)
                )
                queued.update({str(rid): int(generation) for rid, generation in session.execute(generations)})
        if not rows:
            return
        yield from rows
        last = rows[-1].id


def records_pending_a_model(sessions: sessionmaker[Session]) -> list[str]:
    """The records with a field version ``pending`` for want of a model (one may have been installed)."""
    with sessions() as session:
        return list(
            session.scalars(
                select(FieldText.record_id)
                .where(FieldText.provenance == Provenance.MACHINE, FieldText.status == TextStatus.PENDING)
                .distinct()
            )
        )
