"""A field's translation into the catalogue: which version it becomes, its uses, and stale segments.

The worker (after the machine) and curation (after a curator) both end by writing one field's
translation into one language; doing it in one place keeps the rules the same whoever writes:

- a text made only of reviewed sentences is the field's ``reviewed`` version, attributed to its
  curators; anything else is its ``machine`` version, reviewed sentences inside or not;
- a reviewed version is never overwritten by a machine one (readers see reviewed first); only
  when a curator rejects a reviewed sentence it holds is it marked ``rejected`` (and kept);
- every change bumps the version; the caller marks the record for re-indexing;
- the field's uses (the sentences it is made of) are replaced, and a reviewed sentence that no
  record contains any more because the texts it was in changed becomes ``stale``: kept, listed
  for curators, and current again as soon as a text contains the sentence again
  (``record_catalogue.segment_uses``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime

from record_catalogue.codes import Provenance, SegmentKind, TextStatus
from record_catalogue.field_versions import add_version, update_version
from record_catalogue.memory_store import SegmentState
from record_catalogue.models import RecordRow
from translate.assembly import Layout

LanguageCheck = Callable[[str, str], str | None]
"""``check(plain_text, target)``: why the text is not in ``target``, or None (``translate.gate``)."""


@dataclass(frozen=True)
class FieldOutcome:
    """What one field becomes in one language, and which sentences it is made of."""

    text: str
    provenance: Provenance  # machine or reviewed
    status: TextStatus  # current, failed, rejected or pending
    reason: str | None
    engine: str | None
    model: str | None
    pivot: str | None
    actor: str
    segments: tuple[str, ...] = ()
    rejected_reviews: tuple[str, ...] = ()  # texts of reviewed sentences a curator has rejected


def _excerpt(text: str) -> str:
    return text if len(text) <= 60 else text[:57] + "..."


def assemble(
    text: str,
    source: str,
    target: str,
    states: Mapping[str, SegmentState],
    actor: str,
    check: LanguageCheck | None = None,
) -> FieldOutcome | None:
    """The field's translation made from segment rows alone (no model), or None if a sentence has none.

    Reviewed sentences give the curator's text, machine ones the machine's; any rejected sentence
    makes the field ``rejected`` and any failed one ``failed`` (readers then keep the original).
    ``check`` re-checks the language of a text that is not entirely reviewed.
    """
    layout = Layout.of(text, source, html=False)  # a stored field: plain text, cut as the worker cut it
    segments = layout.segments()
    if any(segment not in states for segment in segments):
        return None
    chosen = [states[segment] for segment in segments]
    filled, plain = layout.fill(target, lambda segment: states[segment].target_text)
    if chosen and all(s.kind == SegmentKind.REVIEWED for s in chosen):
        curators = ", ".join(sorted({s.actor or "curator" for s in chosen}))
        return FieldOutcome(
            filled, Provenance.REVIEWED, TextStatus.CURRENT, None, None, None, None, curators[:200], tuple(segments)
        )
    machine = next((s for s in chosen if s.kind != SegmentKind.REVIEWED and s.machine_engine), None)
    rejected_reviews = tuple(
        s.target_text for s in chosen if s.kind == SegmentKind.REJECTED and s.provenance == Provenance.REVIEWED
    )

    def outcome(status: TextStatus, reason: str | None) -> FieldOutcome:
        return FieldOutcome(
            filled,
            Provenance.MACHINE,
            status,
            reason,
            machine.machine_engine if machine else None,
            machine.machine_model if machine else None,
            machine.pivot if machine else None,
            actor,
            tuple(segments),
            rejected_reviews,
        )

    for kind in ("rejected", "failed"):
        bad = [s for s in chosen if s.kind == kind]
        if bad:
            first = bad[0]
            why = f"{len(bad)} of {layout.translatable} segments {kind}; first {_excerpt(first.source_text)!r}: "
            return outcome(TextStatus(kind), why + (first.status_reason or kind))
    wrong = check(plain, target) if check is not None else None
    return outcome(TextStatus.FAILED, wrong) if wrong else outcome(TextStatus.CURRENT, None)


def write_outcome(row: RecordRow, field: str, target: str, outcome: FieldOutcome, now: datetime) -> tuple[bool, bool]:
    """Store ``outcome`` as the field's version in ``target``; return (changed, readers see a change)."""
    versions = [t for t in row.texts if t.field == field and t.language == target]
    reviewed = next((t for t in versions if t.provenance == Provenance.REVIEWED), None)
    machine = next((t for t in versions if t.provenance == Provenance.MACHINE), None)
    if outcome.provenance == Provenance.REVIEWED:
        values: dict[str, object] = {
            "text": outcome.text,
            "status": "current",
            "status_reason": None,
            "engine": None,
            "model": None,
            "pivot": None,
            "actor": outcome.actor,
        }
        if reviewed is None:
            add_version(row, field, target, "reviewed", now, **values)
            return True, True
        changed = update_version(reviewed, values, now)
        return changed, changed
    values = {
        "text": outcome.text if outcome.status != TextStatus.PENDING else "",
        "status": outcome.status,
        "status_reason": outcome.reason,
        "engine": outcome.engine,
        "model": outcome.model,
        "pivot": outcome.pivot,
    }
    changed = visible = False
    if machine is None:
        add_version(row, field, target, "machine", now, actor=outcome.actor, **values)
        changed, visible = True, outcome.status == TextStatus.CURRENT
    else:
        was = machine.status
        if update_version(machine, values, now, actor=outcome.actor):
            changed, visible = True, TextStatus.CURRENT in (was, outcome.status)
    if (
        outcome.status == TextStatus.REJECTED
        and reviewed is not None
        and reviewed.status == TextStatus.CURRENT
        and any(rejected and rejected in reviewed.text for rejected in outcome.rejected_reviews)
    ):
        update_version(reviewed, {"status": TextStatus.REJECTED, "status_reason": outcome.reason}, now)
        changed = visible = True
    return changed, visible
