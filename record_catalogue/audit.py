"""The audit trail's one writer: every entry goes through :func:`audit`, with a typed action name.

Why one helper: entries were written in many places (ingest, deletes, splits, keys, the translate
worker, curation), each spelling its action as a bare string; a typo made an action nobody
searches for. :class:`AuditAction` lists every action the catalogue records, so a new one is
added here, where anyone reading the trail finds it.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from sqlalchemy.orm import Session

from record_catalogue.models import AuditEntry


class AuditAction(StrEnum):
    """What an audit entry says happened (the ``audit.action`` column)."""

    RECORD_CREATED = "record.created"
    RECORD_UPDATED = "record.updated"
    RECORD_RESTORED = "record.restored"
    RECORD_DELETED = "record.deleted"
    RECORD_SPLIT = "record.split"
    RECORD_UNSPLIT = "record.unsplit"
    KEY_CREATED = "key.created"
    KEY_REVOKED = "key.revoked"
    TRANSLATION_MACHINE = "translation.machine"  # the worker stored fields' machine translations
    TRANSLATION_REVIEWED = "translation.reviewed"  # a curator approved or corrected a segment
    TRANSLATION_REJECTED = "translation.rejected"  # a curator rejected a segment
    TRANSLATION_BULK_REVIEWED = "translation.bulk_reviewed"  # a curator approved a filtered set at once
    TRANSLATION_CURATED = "translation.curated"  # fields re-assembled after a curator's change


def audit_entry(
    action: AuditAction, actor: str, record_id: str | None = None, detail: dict[str, Any] | None = None
) -> AuditEntry:
    """The entry as a row, for callers that add it to a session themselves (with a flush to follow)."""
    return AuditEntry(actor=actor, action=AuditAction(action).value, record_id=record_id, detail=detail or {})


def audit(
    session: Session,
    action: AuditAction,
    actor: str,
    record_id: str | None = None,
    detail: dict[str, Any] | None = None,
) -> None:
    """Add one entry to the trail in ``session``'s transaction (committed, or not, with the change)."""
    session.add(audit_entry(action, actor, record_id, detail))
