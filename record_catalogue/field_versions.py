"""New and changed language versions of a record's text fields, as translation writers make them.

Why here: a field version is a ``field_texts`` row; how one is added to a record (in the
record's transaction) and how a change bumps its ``version`` (so concurrent edits are caught)
is the catalogue's rule. Which version a translation becomes — never a machine text over a
reviewed one — is ``translate.fields``'s, which calls these.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from record_catalogue.models import FieldText, RecordRow


def add_version(
    row: RecordRow, field: str, language: str, provenance: str, now: datetime, **values: object
) -> FieldText:
    """A new version of ``row``'s ``field`` in ``language`` (written when the record's transaction commits)."""
    text = FieldText(field=field, language=language, provenance=provenance, created_at=now, updated_at=now, **values)
    row.texts.append(text)
    return text


def update_version(text: FieldText, values: Mapping[str, object], now: datetime, *, actor: str | None = None) -> bool:
    """Apply ``values`` to a version and bump it, if anything changes (then ``actor``, if given,
    is recorded as who changed it); whether it changed."""
    if all(getattr(text, key) == value for key, value in values.items()):
        return False
    for key, value in values.items():
        setattr(text, key, value)
    if actor is not None:
        text.actor = actor
    text.version += 1
    text.updated_at = now
    return True
