"""A review-queue item as ``/api/v1/translations`` shows it: every field, in order, to the byte.

Each case is the body itself; the curation item (and the notes) it is made from are read back
from it, so that every value is written once."""

from __future__ import annotations

import dataclasses
import json
from datetime import datetime

import pytest

from record_catalogue.curation_queries import RecordRef
from search_api.routes.translations import item_out
from translate.curation import Item
from translate.review_notes import Neighbours, ReviewWarning, SentenceNotes

ITEM = (
    '{"id": 7, "source_language": "en", "target_language": "fr", "source_text": "The forest is protected.", '
    '"text": "La forêt est protégée.", "status": "machine", "provenance": "machine", "version": 2, '
    '"engine": "argos", "model": "en_fr-1.9", "pivot": null, "actor": null, '
    '"updated_at": "2026-03-04T05:06:07.000890+00:00", "status_reason": null, '
    '"glossary": [{"source": "protected area", "target": "aire protégée"}, '
    '{"source": "forest", "target": "forêt"}], '
    '"records": [{"id": "chm-a", "title": "Forests", "realm": "CHM", "schema": "resource", "government": "br"}, '
    '{"id": "abs-b", "title": null, "realm": "ABS", "schema": "absPermit", "government": null}], '
    '"record_count": 3, '
)
WITHOUT_NOTES = ITEM + '"warnings": [], "context": null}'
WITH_NOTES = ITEM + (
    '"warnings": [{"code": "source_words", "message": "kept: \'forest\'", "detail": "forest"}, '
    '{"code": "too_long", "message": "long", "detail": ""}], '
    '"context": {"record_id": "chm-a", "field": "summary", "before": "Trees.", "after": null}}'
)


def made_from(body: str) -> tuple[Item, SentenceNotes | None]:
    """The item and notes that ``body`` shows (no notes where it has neither warning nor context)."""
    shown = json.loads(body)
    item = Item(
        **{field.name: shown[field.name] for field in dataclasses.fields(Item)}
        | {
            "updated_at": datetime.fromisoformat(shown["updated_at"]),
            "glossary": tuple((term["source"], term["target"]) for term in shown["glossary"]),
            "records": tuple(RecordRef(**record) for record in shown["records"]),
        }
    )
    if not shown["warnings"] and shown["context"] is None:
        return item, None
    warnings = [ReviewWarning(**warning) for warning in shown["warnings"]]
    return item, SentenceNotes(warnings, Neighbours(**shown["context"]) if shown["context"] else None)


@pytest.mark.parametrize("body", [WITHOUT_NOTES, WITH_NOTES], ids=["without notes", "with notes"])
def test_an_item_is_shown_field_by_field_in_order(body: str) -> None:
    item, notes = made_from(body)
    shown = item_out(item, notes).model_dump(mode="json", by_alias=True)
    assert json.dumps(shown, ensure_ascii=False) == body
