"""Which record fields are made of which segments, and what that means for reviewed segments.

The translate worker and curation both record, each time they write a field's translation, the
sentences it is made of (``translation_uses``), so that a curator's correction reaches every
record containing the sentence. Replacing a field's uses is also where a reviewed sentence that
no record contains any more (its records' source texts changed) becomes ``stale`` — kept, listed
for curators — and where a stale one used again becomes ``current``: both new versions of the
segment, with history.

It is also where a segment row's ``use_count`` (distinct records using the sentence, which the
review queue ranks by from an index), ``read_count`` (readers' views and clicks of those records,
the queue's "most read" order) and its records' realms, types and countries (which the queue
filters by) are brought up to date: every writer of uses holds the translation writers' lock
(``record_catalogue.translation_writes``), so each recount sees every use committed before it and
the counts stay exact without a trigger; the writers of readers' events take the same lock and
call ``records_read_changed`` (an event stored while a record's uses change is counted by one of
the two, never by neither or both); the catalogue calls ``record_described`` when a record's
realm, type or country changes, and ``refresh_sentences`` orders it with those writers.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, func, or_, select, tuple_, update
from sqlalchemy.orm import Session

from record_catalogue.codes import Provenance, TextStatus
from record_catalogue.db import in_chunks
from record_catalogue.dialect import POSTGRESQL, dialect_of
from record_catalogue.memory_models import TranslationMemoryEntry, TranslationUse
from record_catalogue.memory_store import SEGMENT_ENGINE, kept_of_uses, record_version, records_read, text_hash
from record_catalogue.models import FieldText


def original_of_use() -> ColumnElement[bool]:
    """Joins a use to the original text of the field it was made from (its source language's)."""
    return and_(
        FieldText.record_id == TranslationUse.record_id,
        FieldText.field == TranslationUse.field,
        FieldText.language == TranslationUse.source_language,
        FieldText.provenance == Provenance.ORIGINAL,
    )


def replace_uses(
    session: Session,
    record_id: str,
    field: str,
    source: str,
    target: str,
    segments: Sequence[str],
    actor: str,
    now: datetime,
) -> None:
    """Record that the field's translation into ``target`` is made of ``segments`` (from ``source``).

    Reviewed sentences no record uses any more become ``stale``; stale ones used again become
    ``current`` (both are new versions of the segment, by ``actor``).
    """
    old = list(
        session.scalars(
            select(TranslationUse).where(
                TranslationUse.record_id == record_id,
                TranslationUse.field == field,
                TranslationUse.target_language == target,
            )
        )
    )
    wanted = {(source, text_hash(segment)) for segment in dict.fromkeys(segments)}
    have = {(use.source_language, use.source_hash) for use in old}
    if wanted == have and len(old) == len(have):
        return
    for use in old:
        session.delete(use)
    session.flush()
    for language, digest in sorted(wanted):
        session.add(
            TranslationUse(
                record_id=record_id, field=field, source_language=language, target_language=target, source_hash=digest
            )
        )
    session.flush()
    recount_uses(session, target, sorted(have ^ wanted))
    for language, digest in sorted(have - wanted):
        _mark_unused(session, language, target, digest, f"{record_id} ({field})", actor, now)
    for language, digest in sorted(wanted - have):
        _mark_used(session, language, target, digest, actor, now)


def recount_uses(session: Session, target: str, keys: Iterable[tuple[str, str]]) -> None:
    """Recount the records using each (source language, source hash) sentence into ``target``
    and store it on its segment row, with their realms, types and countries (a sentence with no
    segment row yet gets them when ``memory_store.add_segment`` makes the row)."""
    for language, digest in keys:
        refresh_sentences(
            session,
            and_(
                TranslationMemoryEntry.source_hash == digest,
                TranslationMemoryEntry.source_language == language,
                TranslationMemoryEntry.target_language == target,
            ),
        )


def record_described(session: Session, record_id: str) -> None:
    """The record's realm, type or country changed: bring the kept lists of the sentences it
    uses up to date (the catalogue calls this when it stores such a change)."""
    used = select(TranslationUse.source_hash, TranslationUse.source_language, TranslationUse.target_language).where(
        TranslationUse.record_id == record_id
    )
    key = tuple_(
        TranslationMemoryEntry.source_hash,
        TranslationMemoryEntry.source_language,
        TranslationMemoryEntry.target_language,
    )
    refresh_sentences(session, key.in_(used))


def records_read_changed(session: Session, read: Iterable[tuple[str, str]]) -> None:
    """Readers' events about the (record id, language) pairs ``read`` were stored or deleted:
    recount ``read_count`` on the segment rows of the sentences those records use in that
    language. The caller holds the translation writers' lock (``lock_translation_writers``), taken
    before it wrote the events, so no writer of uses changes which sentences a record uses meanwhile."""
    pairs = sorted(set(read))
    keys: set[tuple[str, str, str]] = set()
    use = TranslationUse
    for chunk in in_chunks(pairs, 100):
        stmt = (
            select(use.source_hash, use.source_language, use.target_language)
            .where(or_(*(and_(use.record_id == record, use.target_language == lang) for record, lang in chunk)))
            .distinct()
        )
        keys.update((digest, source, target) for digest, source, target in session.execute(stmt))
    row = TranslationMemoryEntry
    ids: set[int] = set()
    for sentences in in_chunks(sorted(keys), 100):
        which = or_(
            *(
                and_(row.source_hash == digest, row.source_language == source, row.target_language == target)
                for digest, source, target in sentences
            )
        )
        ids.update(session.scalars(select(row.id).where(row.engine == SEGMENT_ENGINE, which)))
    # in ascending ids, chunk after chunk: locked in the order every other writer locks them
    for block in in_chunks(sorted(ids), 500):
        refresh_sentences(session, row.id.in_(block), reads_only=True)


def refresh_sentences(session: Session, which: ColumnElement[bool], *, reads_only: bool = False) -> None:
    """Store on the segment rows ``which`` selects how many records use each, how often readers
    opened them and those records' realms, types and countries (``reads_only``: the readers'
    count alone), counted from the uses, events and records as they are now.

    On PostgreSQL the rows are locked first (in id order), and counted by the next statement:
    read committed gives that statement a snapshot taken once the lock is held, so two writers
    changing what a sentence's lists depend on (a translation writer's uses, the catalogue's
    record) count one after the other, the second seeing the first's commit. Without that, each
    would count from a snapshot missing the other's change, and the last to commit would win.
    SQLite has one writer at a time already.
    """
    selected = and_(TranslationMemoryEntry.engine == SEGMENT_ENGINE, which)
    dialect = dialect_of(session)
    if dialect == POSTGRESQL:
        session.execute(
            select(TranslationMemoryEntry.id).where(selected).order_by(TranslationMemoryEntry.id).with_for_update()
        )
    values: dict[str, Any] = {"read_count": records_read()} if reads_only else kept_of_uses(dialect)
    session.execute(
        update(TranslationMemoryEntry).where(selected).values(**values).execution_options(synchronize_session=False)
    )


def _reviewed_row(session: Session, source: str, target: str, digest: str) -> TranslationMemoryEntry | None:
    return session.scalar(
        select(TranslationMemoryEntry).where(
            TranslationMemoryEntry.source_hash == digest,
            TranslationMemoryEntry.source_language == source,
            TranslationMemoryEntry.target_language == target,
            TranslationMemoryEntry.engine == SEGMENT_ENGINE,
            TranslationMemoryEntry.provenance == Provenance.REVIEWED,
        )
    )


def _uses(session: Session, source: str, target: str, digest: str) -> int:
    stmt = select(func.count()).where(
        TranslationUse.source_hash == digest,
        TranslationUse.source_language == source,
        TranslationUse.target_language == target,
    )
    return int(session.scalar(stmt) or 0)


def _mark_unused(
    session: Session, source: str, target: str, digest: str, where: str, actor: str, now: datetime
) -> None:
    row = _reviewed_row(session, source, target, digest)
    if row is None or row.status != TextStatus.CURRENT or _uses(session, source, target, digest):
        return
    previous = row.version
    row.status = TextStatus.STALE
    row.status_reason = f"no record contains this sentence any more: the source text of {where} changed"
    row.version = previous + 1
    row.updated_at = now
    record_version(session, row, actor, previous)


def _mark_used(session: Session, source: str, target: str, digest: str, actor: str, now: datetime) -> None:
    row = _reviewed_row(session, source, target, digest)
    if row is None or row.status != TextStatus.STALE:
        return
    previous = row.version
    row.status = TextStatus.CURRENT
    row.status_reason = None
    row.version = previous + 1
    row.updated_at = now
    record_version(session, row, actor, previous)
