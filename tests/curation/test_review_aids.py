"""What the curators' page gets beside the queue, over the real catalogue, index and Argos model:
the filters' values, a sentence's neighbours, warnings on suspicious output, why a queue is
empty, and bulk approval of a filtered set."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from record_catalogue.models import AuditEntry
from tests.curation.conftest import CAT, FOREST, RIVER, Doc, World
from tests.translate.conftest import Models
from translate.curation import InvalidEdit, QueueFilter
from translate.queue_hints import why_empty
from translate.review_notes import length_ratio, review_warnings

# Three words outside the model's lexicon in a row: copied through, below the gate's five.
KEPT = "The forest hosts quokkas wombats numbats."
PERMIT = "The permit is adopted."


@pytest.fixture
def loaded(world: World) -> World:
    world.ingest(
        Doc("chm-a", FOREST, f"{FOREST} {RIVER} {CAT}"),
        Doc("abs-b", PERMIT, KEPT, realm="ABS", government="pe"),
        Doc("bch-c", CAT, realm="BCH", government="mx"),
    )
    world.translate()
    return world


def test_filter_values_come_from_the_catalogue_with_labels(loaded: World) -> None:
    response = loaded.client.get("/api/v1/translations/filters", params={"lang": "fr"}, headers=loaded.headers("ana"))
    assert response.status_code == 200, response.text
    body = response.json()
    assert [v["value"] for v in body["source_language"]] == ["en"]
    assert [v["value"] for v in body["target_language"]] == ["fr"]
    assert body["target_language"][0]["label"].casefold() == "français"
    assert [v["value"] for v in body["realm"]] == ["ABS", "BCH", "CHM"]
    assert {(v["realm"], v["value"]) for v in body["schema"]} == {
        ("ABS", "absPermit"),
        ("BCH", "biosafetyLaw"),
        ("CHM", "resource"),
    }
    labels = {v["value"]: v["label"] for v in body["schema"]}
    assert labels["absPermit"] != "absPermit"  # the clearing-house's own French title
    assert {v["value"]: v["label"] for v in body["government"]} == {"mx": "Mexique", "pe": "Pérou"}
    # Curators only; a label language outside the six is refused by name.
    assert loaded.client.get("/api/v1/translations/filters", headers=loaded.headers("partner")).status_code == 403
    bad = loaded.client.get("/api/v1/translations/filters", params={"lang": "de"}, headers=loaded.headers("ana"))
    assert bad.status_code == 422 and "lang" in bad.text


def test_items_carry_their_neighbours(loaded: World) -> None:
    river = loaded.item_for(RIVER)
    assert river["context"] == {"record_id": "chm-a", "field": "summary", "before": FOREST, "after": CAT}
    # A title alone in its field has no neighbours to show.
    permit = loaded.item_for(PERMIT)
    assert permit["context"] is None
    # The single item answers the same as the list.
    one = loaded.client.get(f"/api/v1/translations/{river['id']}", headers=loaded.headers("ana")).json()
    assert one["context"] == river["context"]


def test_output_keeping_source_words_or_of_unusual_length_is_flagged(loaded: World) -> None:
    kept = loaded.item_for(KEPT)
    assert kept["text"] == "La forêt hosts quokkas wombats numbats."  # passed the gate (a run of four)
    assert [w["code"] for w in kept["warnings"]] == ["source_words"]
    assert "hosts quokkas wombats" in kept["warnings"][0]["message"]
    assert kept["warnings"][0]["detail"] == "hosts quokkas wombats"
    assert loaded.item_for(FOREST)["warnings"] == []
    # A curator's text far longer than the source is flagged too (whatever made it).
    long_text = "La forêt est protégée, " + "et la rivière est verte, " * 6 + "toujours."
    river = loaded.item_for(RIVER)
    saved = loaded.put("ana", river["id"], text=long_text, status="reviewed", version=river["version"])
    assert saved.status_code == 200, saved.text
    assert [w["code"] for w in saved.json()["warnings"]] == ["too_long"]


def test_length_is_judged_against_the_pairs_usual_ratio() -> None:
    source = "The national strategy on biological diversity and its action plan."
    # Three times the source's length is unusual at 1:1, usual for a pair whose translations run 2.5:1.
    longer = " ".join(["La stratégie nationale sur la diversité biologique et son plan d'action."] * 3)
    assert [w.code for w in review_warnings(source, longer)] == ["too_long"]
    assert review_warnings(source, longer, typical_ratio=2.5) == []
    assert length_ratio(source, source, 1.0) == pytest.approx(1.0)
    # Chinese is shorter in characters: a third of the characters is its usual, not "too short".
    chinese = "国家生物多样性战略和行动计划。"
    assert [w.code for w in review_warnings(source, chinese, typical_ratio=1.0)] == ["too_short"]
    assert review_warnings(source, chinese, typical_ratio=0.25) == []


def test_empty_queue_says_why(world: World, models: Models, tmp_path: Path) -> None:
    def empty(**params: Any) -> dict[str, Any]:
        body = world.queue(**params)
        assert body["items"] == [] and body["total"] == 0
        reason: dict[str, Any] = body["empty"]
        return reason

    assert empty()["reason"] == "no_records"
    world.ingest(Doc("chm-a", FOREST, RIVER), Doc("abs-b", PERMIT, realm="ABS", government="pe"))
    # The API's settings name an empty models directory: the demo's case on a fresh machine.
    no_models = empty()
    assert no_models["reason"] == "no_models"
    assert "chm-search models install" in no_models["message"]
    # With a model installed and nothing translated yet: how much waits (3 fields into fr and es), the command.
    waiting = why_empty(world.curation, QueueFilter(), world.settings.languages, models.installed)
    assert waiting.reason == "not_translated" and waiting.count == 6 and "chm-search translate" in waiting.message
    world.translate(("fr", "es"))  # no en→es model: those stay pending (nothing left to run)
    filtered = empty(realm="BCH")
    assert filtered["reason"] == "filtered" and filtered["count"] == world.queue()["total"] > 0
    assert world.queue()["empty"] is None
    assert empty(status="rejected")["reason"] == "none"
    for item in world.queue(size=100)["items"]:
        assert world.put("ana", item["id"], text=None, status="reviewed", version=item["version"]).status_code == 200
    assert why_empty(world.curation, QueueFilter(), world.settings.languages, models.installed).reason == (
        "all_reviewed"
    )


def test_bulk_approval_of_a_filtered_set(loaded: World) -> None:
    headers = loaded.headers("ana")
    abs_queue = loaded.queue(realm="ABS", size=100)
    assert abs_queue["total"] == 2
    ids = {item["id"] for item in abs_queue["items"]}
    # A curator corrects one of them first: bulk approval must leave it as it is.
    permit = loaded.item_for(PERMIT)
    corrected = "Le permis a été adopté."
    assert loaded.put("ben", permit["id"], text=corrected, status="reviewed", version=permit["version"]).status_code
    # The confirmation said 2; one is gone from the machine queue since: refused, nothing changed.
    stale = loaded.client.post("/api/v1/translations/approve", json={"realm": "ABS", "expected": 2}, headers=headers)
    assert stale.status_code == 409 and stale.json()["error"]["code"] == "queue_changed"
    assert "1 machine translations match" in stale.json()["error"]["message"]
    assert loaded.queue(realm="ABS")["total"] == 1

    done = loaded.client.post("/api/v1/translations/approve", json={"realm": "ABS", "expected": 1}, headers=headers)
    assert done.status_code == 200, done.text
    assert done.json() == {"approved": 1, "skipped": 0, "records": 1}
    assert loaded.queue(realm="ABS")["total"] == 0
    reviewed = {item["id"]: item for item in loaded.queue(status="reviewed", realm="ABS", size=100)["items"]}
    assert set(reviewed) == ids
    assert reviewed[permit["id"]]["text"] == corrected and reviewed[permit["id"]]["actor"] == "Ben (Secretariat)"
    kept = next(item for item in reviewed.values() if item["source_text"] == KEPT)
    assert kept["actor"] == "Ana (Secretariat)" and kept["text"] == "La forêt hosts quokkas wombats numbats."
    history = loaded.client.get(f"/api/v1/translations/{kept['id']}/history", headers=headers).json()
    assert [v["provenance"] for v in history["versions"]] == ["machine", "reviewed"]
    # Other clearing-houses' sentences are untouched.
    assert loaded.queue(realm="CHM")["total"] > 0
    # Audited: each approval as a single one is, and the bulk approval with its filters.
    with loaded.catalogue.sessions() as session:
        actions = [(a.action, a.actor, a.detail) for a in session.scalars(select(AuditEntry).order_by(AuditEntry.id))]
    bulk = [detail for action, _actor, detail in actions if action == "translation.bulk_reviewed"]
    assert bulk == [{"filters": {"realm": "ABS"}, "approved": 1, "skipped": 0}]
    assert ("translation.reviewed", "Ana (Secretariat)") in {(action, actor) for action, actor, _d in actions}
    # Re-indexed: the record reads as reviewed French in search.
    summaries = [r for r in loaded.search("quokkas", lang="fr") if r["id"] == "abs-b"]
    assert summaries and summaries[0]["translation_status"] == "reviewed"


def test_bulk_approval_refuses_what_it_should(loaded: World) -> None:
    post = loaded.client.post
    partner = post("/api/v1/translations/approve", json={"expected": 1}, headers=loaded.headers("partner"))
    assert partner.status_code == 403
    unknown = post("/api/v1/translations/approve", json={"expected": 1, "status": "x"}, headers=loaded.headers("ana"))
    assert unknown.status_code == 422
    assert post("/api/v1/translations/approve", json={"expected": 0}, headers=loaded.headers("ana")).status_code == 422
    total = loaded.queue()["total"]
    with pytest.raises(InvalidEdit, match=f"{total} machine translations match these filters; at most 2"):
        loaded.curation.approve_matching(QueueFilter(), expected=total, actor="ana", limit=2)
    with pytest.raises(InvalidEdit, match="only machine translations"):
        loaded.curation.approve_matching(QueueFilter(status="rejected"), expected=1, actor="ana")
    assert loaded.queue()["total"] == total  # nothing approved
