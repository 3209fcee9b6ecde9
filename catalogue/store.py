"""The catalogue's operations: upsert records with their texts, report errors, audit, read back.

Upserts are keyed by record id and content hash: unchanged input costs one lookup and writes
nothing; a changed record is updated in one transaction with an audit entry, and translations of
a changed text are marked ``stale`` (kept, never overwritten).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from sqlalchemy import Engine, delete, func, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, selectinload, sessionmaker

from catalogue.db import CatalogueUnavailable, check, make_engine, migrate, session_factory
from catalogue.models import AuditEntry, FieldText, IngestError, RecordRow, utcnow
from catalogue.record import Record

Outcome = Literal["created", "updated", "unchanged"]


@dataclass(frozen=True)
class TextVersion:
    """One original text as stored: the language it is in and how sure detection was."""

    field: str
    language: str
    text: str
    declared_language: str | None = None
    confidence: float | None = None


@dataclass(frozen=True)
class ErrorReport:
    """An ingest error as the CLI and API show it."""

    run_id: str
    source: str
    position: str
    record_id: str | None
    reason: str
    created_at: str


class Catalogue:
    """The source of truth: one object per process, sessions per operation."""

    def __init__(self, dsn: str, *, auto_migrate: bool = True) -> None:
        self.dsn = dsn
        self.engine: Engine = make_engine(dsn)
        self.sessions: sessionmaker[Session] = session_factory(self.engine)
        if auto_migrate:
            migrate(self.engine)

    def close(self) -> None:
        self.engine.dispose()

    def health(self) -> tuple[bool, str]:
        """``(True, "ok ...")`` or ``(False, what is wrong)``."""
        try:
            check(self.engine)
            with self.sessions() as session:
                count = session.scalar(select(func.count()).select_from(RecordRow)) or 0
        except (CatalogueUnavailable, SQLAlchemyError) as exc:
            return False, str(exc).splitlines()[0]
        return True, f"ok ({count} records)"

    # -- records -----------------------------------------------------------------------------
    def upsert(
        self, record: Record, texts: Sequence[TextVersion], original_language: str, actor: str = "ingest"
    ) -> Outcome:
        """Store a record and its original texts; say whether it was new, changed or unchanged."""
        digest = record.content_hash()
        with self.sessions.begin() as session:
            row = session.get(RecordRow, record.id, options=[selectinload(RecordRow.texts)])
            if row is not None and row.content_hash == digest:
                return "unchanged"
            outcome: Outcome = "created" if row is None else "updated"
            if row is None:
                row = RecordRow(id=record.id, created_at=utcnow())
                session.add(row)
            row.realm = record.realm
            row.schema_name = record.schema_name
            row.government = record.government
            row.original_language = original_language
            row.declared_languages = list(record.declared_languages)
            row.date = record.date
            row.url = record.url
            row.links = [link.model_dump() for link in record.links]
            row.source = record.source
            row.source_position = record.source_position
            row.content_hash = digest
            row.updated_at = utcnow()
            changed_fields = self._replace_originals(session, row, texts)
            session.add(
                AuditEntry(
                    actor=actor,
                    action=f"record.{outcome}",
                    record_id=record.id,
                    detail={
                        "source": record.source,
                        "position": record.source_position,
                        "changed_fields": sorted(changed_fields),
                    },
                )
            )
            return outcome

    @staticmethod
    def _replace_originals(session: Session, row: RecordRow, texts: Sequence[TextVersion]) -> set[str]:
        """Bring the original texts in line with the source; mark translations of changed fields stale."""
        existing = {(t.field, t.language): t for t in row.texts if t.provenance == "original"}
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
                        provenance="original",
                        status="current",
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
            if text.provenance != "original" and text.field in changed and text.status == "current":
                text.status = "stale"
                text.status_reason = "the source text changed"
                text.updated_at = utcnow()
        session.flush()
        return changed

    def get(self, record_id: str) -> RecordRow | None:
        """A record with all its texts, or None."""
        with self.sessions() as session:
            return session.get(RecordRow, record_id, options=[selectinload(RecordRow.texts)])

    def count(self) -> int:
        with self.sessions() as session:
            return int(session.scalar(select(func.count()).select_from(RecordRow)) or 0)

    def iter_records(self, batch_size: int = 500, ids: Sequence[str] | None = None) -> Iterator[RecordRow]:
        """Every record (or those named) with its texts, in id order, a batch at a time."""
        last = ""
        while True:
            with self.sessions() as session:
                stmt = select(RecordRow).options(selectinload(RecordRow.texts)).order_by(RecordRow.id)
                if ids is not None:
                    stmt = stmt.where(RecordRow.id.in_(list(ids)))
                rows = list(session.scalars(stmt.where(RecordRow.id > last).limit(batch_size)))
            if not rows:
                return
            yield from rows
            last = rows[-1].id

    def delete_record(self, record_id: str, actor: str) -> bool:
        """Remove a record and its texts (kept in the audit trail)."""
        with self.sessions.begin() as session:
            row = session.get(RecordRow, record_id)
            if row is None:
                return False
            session.delete(row)
            session.add(AuditEntry(actor=actor, action="record.deleted", record_id=record_id, detail={}))
            return True

    # -- errors and audit --------------------------------------------------------------------
    @staticmethod
    def new_run_id() -> str:
        return uuid.uuid4().hex[:16]

    def add_error(self, run_id: str, source: str, position: str, reason: str, record_id: str | None = None) -> None:
        """Remember why an input could not become a record."""
        with self.sessions.begin() as session:
            session.add(
                IngestError(run_id=run_id, source=source, position=position, record_id=record_id, reason=reason)
            )

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

    def audit(self, actor: str, action: str, record_id: str | None = None, **detail: Any) -> None:
        with self.sessions.begin() as session:
            session.add(AuditEntry(actor=actor, action=action, record_id=record_id, detail=detail))

    def audit_trail(self, record_id: str) -> list[AuditEntry]:
        with self.sessions() as session:
            stmt = select(AuditEntry).where(AuditEntry.record_id == record_id).order_by(AuditEntry.id)
            return list(session.scalars(stmt))
