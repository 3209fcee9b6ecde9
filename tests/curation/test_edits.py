"""Edit, approve, reject: versions, conflicts, history, and what readers see, on the real engine."""

from __future__ import annotations

from tests.curation.conftest import CAT, FOREST, MACHINE, Doc, World


def test_two_curators_editing_the_same_translation(world: World) -> None:
    world.ingest(Doc("a", FOREST), Doc("b", FOREST))
    world.translate()
    seen_by_ana = world.item_for(FOREST)
    seen_by_ben = world.item_for(FOREST)
    assert seen_by_ana == seen_by_ben and seen_by_ana["version"] == 1

    first = world.put("ana", seen_by_ana["id"], text="La forêt est bien protégée.", status="reviewed", version=1)
    assert first.status_code == 200 and first.json()["version"] == 2
    second = world.put("ben", seen_by_ben["id"], text="La forêt est très protégée.", status="reviewed", version=1)
    assert second.status_code == 409
    conflict = second.json()
    assert conflict["error"]["code"] == "version_conflict" and "version 2, not 1" in conflict["error"]["message"]
    current = conflict["current"]
    assert (current["version"], current["text"], current["actor"]) == (
        2,
        "La forêt est bien protégée.",
        "Ana (Secretariat)",
    )
    assert current["records"] and current["records"][0]["schema"] == "resource"  # the same shape as every item
    # nothing of Ben's was written: the records still show Ana's text
    assert world.texts("a")["title", "fr", "reviewed"].text == "La forêt est bien protégée."
    # Ben, having seen Ana's version, corrects it
    third = world.put("ben", current["id"], text="La forêt est très protégée.", status="reviewed", version=2)
    assert third.status_code == 200 and third.json()["version"] == 3
    assert {h["title"] for h in world.search("forêt")} == {"La forêt est très protégée."}
    history = world.client.get(f"/api/v1/translations/{current['id']}/history", headers=world.headers("ana")).json()
    assert [(v["version"], v["from_version"], v["actor"], v["text"]) for v in history["versions"]] == [
        (1, None, "argos", MACHINE),
        (2, 1, "Ana (Secretariat)", "La forêt est bien protégée."),
        (3, 2, "Ben (Secretariat)", "La forêt est très protégée."),
    ]
    assert world.texts("a")["title", "fr", "reviewed"].version == 2  # the field's own version moved on too


def test_approving_as_it_is(world: World) -> None:
    world.ingest(Doc("a", FOREST))
    world.translate()
    item = world.item_for(FOREST)
    approved = world.put("ana", item["id"], text=None, status="reviewed", version=1).json()
    assert (approved["text"], approved["provenance"], approved["status"], approved["version"]) == (
        MACHINE,
        "reviewed",
        "reviewed",
        2,
    )
    [hit] = world.search("forêt")
    assert (hit["title"], hit["translation_status"], hit["machine_translated"]) == (MACHINE, "reviewed", False)
    record = world.client.get("/api/v1/records/a", params={"lang": "fr"}).json()
    versions = record["fields"]["title"]["fr"]
    assert [(v["provenance"], v["status"], v["actor"]) for v in versions] == [
        ("reviewed", "current", "Ana (Secretariat)"),
        ("machine", "current", "translate"),
    ]


def test_rejecting_shows_readers_the_original_and_a_correction_lifts_it(world: World) -> None:
    world.ingest(Doc("a", FOREST), Doc("b", f"{FOREST} {CAT}"))
    world.translate()
    item = world.item_for(FOREST)
    rejected = world.put("ana", item["id"], text="ignored for a rejection", status="rejected", version=1).json()
    assert (rejected["status"], rejected["provenance"], rejected["text"], rejected["version"]) == (
        "rejected",
        "machine",
        MACHINE,
        2,
    )
    assert rejected["status_reason"] == "rejected by Ana (Secretariat)"
    assert world.queue(status="rejected")["items"][0]["id"] == item["id"]
    for record_id in ("a", "b"):
        machine = world.texts(record_id)["title", "fr", "machine"]
        assert machine.status == "rejected" and "rejected by Ana (Secretariat)" in (machine.status_reason or "")
    # readers get the original again, marked as not translated
    assert world.search('"la forêt"') == []  # a phrase: only the (withdrawn) French text has it
    hits = {h["id"]: h for h in world.search("forest")}
    assert hits["a"]["title"] == FOREST and hits["a"]["translation_status"] == "pending"
    # the machine is not asked again (it would say the same); new records with the sentence wait too
    assert world.translate().records_translated == 0
    world.ingest(Doc("c", FOREST))
    world.translate()
    assert world.texts("c")["title", "fr", "machine"].status == "rejected"
    assert world.item_for(FOREST, status="rejected")["record_count"] == 3

    corrected = world.put("ben", item["id"], text="La forêt est strictement protégée.", status="reviewed", version=2)
    assert corrected.status_code == 200 and corrected.json()["status"] == "reviewed"
    hits = {h["id"]: h for h in world.search("strictement")}
    assert set(hits) == {"a", "b", "c"}
    assert hits["a"]["translation_status"] == "reviewed" and hits["c"]["translation_status"] == "reviewed"
    assert hits["b"]["title"] == "La forêt est strictement protégée. La chat mange la poisson."
    assert hits["b"]["translation_status"] == "machine"


def test_rejecting_a_reviewed_translation_withdraws_it_from_readers(world: World) -> None:
    world.ingest(Doc("a", FOREST))
    world.translate()
    item = world.item_for(FOREST)
    assert world.put("ana", item["id"], text="La forêt protégée.", status="reviewed", version=1).status_code == 200
    assert world.put("ben", item["id"], text=None, status="rejected", version=2).status_code == 200
    texts = world.texts("a")
    assert texts["title", "fr", "reviewed"].status == "rejected"  # kept, marked
    assert texts["title", "fr", "reviewed"].text == "La forêt protégée."
    assert texts["title", "fr", "machine"].status == "rejected"
    assert world.search('"la forêt"') == []  # a phrase: only the (withdrawn) French text has it
    history = world.client.get(f"/api/v1/translations/{item['id']}/history", headers=world.headers("ana")).json()
    assert [(v["provenance"], v["status"], v["actor"]) for v in history["versions"]] == [
        ("machine", "current", "argos"),
        ("reviewed", "current", "Ana (Secretariat)"),
        ("reviewed", "rejected", "Ben (Secretariat)"),
    ]


def test_invalid_edits_are_refused_and_change_nothing(world: World) -> None:
    world.ingest(Doc("a", FOREST))
    world.translate()
    item = world.item_for(FOREST)
    for body in (
        {"text": "x", "status": "approved", "version": 1},
        {"text": "x", "status": "reviewed"},
        {"text": "x", "status": "reviewed", "version": 0},
        {"text": "x", "status": "reviewed", "version": 1, "extra": True},
        {"text": 5, "status": "reviewed", "version": 1},
    ):
        response = world.client.put(f"/api/v1/translations/{item['id']}", json=body, headers=world.headers("ana"))
        assert response.status_code == 422, body
        assert response.json()["error"]["code"] == "invalid_parameter"
    blank = world.put("ana", item["id"], text="   ", status="reviewed", version=1)
    assert blank.status_code == 422 and blank.json()["error"]["code"] == "invalid_edit"
    assert world.put("ana", 999999, text="x", status="reviewed", version=1).status_code == 404
    assert (
        world.client.put(f"/api/v1/translations/{item['id']}", json={"status": "reviewed", "version": 1}).status_code
        == 401
    )
    assert world.item_for(FOREST) == item


def test_a_correction_holding_nul_is_refused_on_every_catalogue(world: World) -> None:
    """PostgreSQL's text cannot hold NUL (U+0000): the edit is refused (422) on both catalogues,
    before anything is written, rather than failing in the database."""
    world.ingest(Doc("a", FOREST))
    world.translate()
    item = world.item_for(FOREST)
    refused = world.put("ana", item["id"], text="La forêt\u0000 est protégée.", status="reviewed", version=1)
    assert refused.status_code == 422 and refused.json()["error"]["code"] == "invalid_edit"
    assert "NUL" in refused.json()["error"]["message"]
    assert world.item_for(FOREST) == item
