"""One transaction of a writer of translations: the worker storing fields, a curator's edit, an import.

Why a class: these writers read segment rows and records and then write field versions, segment
versions, uses and audit entries, all in one transaction held under the translation writers'
lock (``record_catalogue.dialect.lock_translation_writers``), so that a curator's decision and a
machine translation made meanwhile never overwrite each other. ``translate`` decides what to
write (``translate.fields``, ``translate.curation``); this class is how it reaches the database,
so it never holds a session itself.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload, sessionmaker

from record_catalogue.audit import AuditAction, audit
from record_catalogue.codes import EditStatus, Provenance, TextStatus
from record_catalogue.memory_models import TranslationMemoryEntry, TranslationUse
from record_catalogue.memory_store import (
    SEGMENT_ENGINE,
    SegmentState,
    add_segment,
    load_states,
    lock_for_write,
    record_version,
    segment_row,
    text_hash,
    write_reviewed,
)
from record_catalogue.models import RecordRow
from record_catalogue.segment_uses import replace_uses
from record_catalogue.store import locked_rows

FieldKey = tuple[str, str, str]
"""(record id, field, target language) of a field's translation."""
SegmentKey = tuple[str, str, str]
"""(source language, target language, source text) of a segment."""


class TranslationWrite:
    """What a translation writer reads and writes inside its transaction (see the module)."""

    def __init__(self, session: Session) -> None:
        self._session = session

    # -- records ---------------------------------------------------------------------------------
    def records(self, ids: Sequence[str]) -> dict[str, RecordRow]:
        """The records ``ids`` with their text versions, locked for update in id order; by id.

        Changes made to them (``translate.fields.write_outcome``, ``needs_index``) are committed
        with the transaction.
        """
        return locked_rows(self._session, ids, selectinload(RecordRow.texts))

    # -- segments --------------------------------------------------------------------------------
    def states(
        self, source: str, target: str, texts: Iterable[str], *, for_update: bool = False
    ) -> dict[str, SegmentState]:
        """The segment rows of those source texts in one pair, as committed now; by source text."""
        return load_states(self._session, source, target, texts, for_update=for_update)

    def segment(self, key: SegmentKey) -> TranslationMemoryEntry | None:
        """The segment row of one source text in one pair, if there is one."""
        return segment_row(self._session, *key)

    def segment_by_id(self, entry_id: int) -> TranslationMemoryEntry | None:
        """The segment row ``entry_id``, locked for update and read afresh; None if there is none
        (or if that id is a model answer, which is no segment)."""
        row = self._session.get(TranslationMemoryEntry, entry_id, with_for_update=True, populate_existing=True)
        return row if row is not None and row.engine == SEGMENT_ENGINE else None

    def write_reviewed(
        self, key: SegmentKey, target_text: str, actor: str, origin: tuple[str | None, str | None] = (None, None)
    ) -> tuple[TranslationMemoryEntry, bool]:
        """Make a segment reviewed with ``target_text`` (see ``memory_store.write_reviewed``)."""
        return write_reviewed(self._session, *key, target_text, actor, origin)

    def add_segment(self, key: SegmentKey, history_actor: str, now: datetime, **values: Any) -> TranslationMemoryEntry:
        """A new segment row with its first version in the history (see ``memory_store.add_segment``)."""
        return add_segment(self._session, *key, history_actor, now, **values)

    def review_segment(
        self, row: TranslationMemoryEntry, status: str, text: str | None, actor: str, now: datetime
    ) -> int:
        """One new version of the segment: approved or corrected (``reviewed``, ``text`` None keeps
        its text) or ``rejected`` by ``actor``, with its history and audit entry; the version it replaced."""
        previous = row.version
        if status == EditStatus.REVIEWED:
            row.target_text = text if text is not None else row.target_text
            row.provenance = Provenance.REVIEWED
            row.status = TextStatus.CURRENT
            row.status_reason = None
        else:
            row.status = TextStatus.REJECTED
            row.status_reason = f"rejected by {actor}"
        row.actor = actor
        row.version = previous + 1
        row.updated_at = now
        record_version(self._session, row, actor, previous)
        action = AuditAction.TRANSLATION_REVIEWED if status == EditStatus.REVIEWED else AuditAction.TRANSLATION_REJECTED
        audit(
            self._session,
            action,
            actor,
            detail={"translation": row.id, "version": row.version, "from_version": previous},
        )
        return previous

    # -- uses ------------------------------------------------------------------------------------
    def fields_using(self, segments: Iterable[tuple[str, str, str]]) -> dict[FieldKey, str]:
        """The record fields whose translations use any of those (source, target, sentence)
        segments: (record id, field, target) → the source language."""
        fields: dict[FieldKey, str] = {}
        for source, target, sentence in dict.fromkeys(segments):
            stmt = select(TranslationUse.record_id, TranslationUse.field, TranslationUse.target_language).where(
                TranslationUse.source_hash == text_hash(sentence),
                TranslationUse.source_language == source,
                TranslationUse.target_language == target,
            )
            for record_id, field, language in self._session.execute(stmt):
                fields[(record_id, field, language)] = source
        return fields

    def replace_uses(self, field: FieldKey, source: str, segments: Sequence[str], actor: str, now: datetime) -> None:
        """The field's translation is now made of ``segments`` (from ``source``), see ``segment_uses``."""
        record_id, name, target = field
        replace_uses(self._session, record_id, name, source, target, segments, actor, now)

    # -- audit -----------------------------------------------------------------------------------
    def audit(
        self, action: AuditAction, actor: str, record_id: str | None = None, detail: dict[str, Any] | None = None
    ) -> None:
        audit(self._session, action, actor, record_id, detail)


@contextmanager
def translation_writes(sessions: sessionmaker[Session]) -> Iterator[TranslationWrite]:
    """A transaction under the translation writers' lock, committed when the block ends without error."""
    with sessions.begin() as session:
        lock_for_write(session)
        yield TranslationWrite(session)
