"""The review queue over the real catalogue, index and model: keys, filters, order, paging, items."""

from __future__ import annotations

from typing import Any

import pytest

from record_catalogue.memory_models import TranslationMemoryEntry
from tests.curation.conftest import CAT, DIVERSITY, FOREST, RIVER, Doc, World

BROKEN = "The cat will hallucinate today."


@pytest.fixture
def loaded(world: World) -> World:
    world.ingest(
        Doc("chm-a", FOREST, RIVER),
        Doc("abs-b", FOREST, DIVERSITY, realm="ABS", government="pe"),
        Doc("bch-c", CAT, realm="BCH", government="mx"),
        Doc("chm-d", "The national report", BROKEN),
    )
    world.translate()
    return world


def sources(body: dict[str, Any]) -> list[str]:
    return [item["source_text"] for item in body["items"]]


def test_keys_roles_and_errors(loaded: World) -> None:
    client = loaded.client
    missing = client.get("/api/v1/translations")
    assert missing.status_code == 401 and missing.json()["error"]["code"] == "api_key_required"
    wrong = client.get("/api/v1/translations", headers={"X-API-Key": "chm_not-a-key"})
    assert wrong.status_code == 401 and wrong.json()["error"]["code"] == "invalid_api_key"
    ingest = client.get("/api/v1/translations", headers=loaded.headers("partner"))
    assert ingest.status_code == 403 and ingest.json()["error"]["code"] == "forbidden"
    assert client.get("/api/v1/translations", headers=loaded.headers("root")).status_code == 200  # admin
    for path in ("/api/v1/translations/1", "/api/v1/translations/1/history"):
        assert client.get(path).status_code == 401
        assert client.get(path, headers=loaded.headers("partner")).status_code == 403
    put = client.put(
        "/api/v1/translations/1", json={"status": "reviewed", "version": 1}, headers=loaded.headers("partner")
    )
    assert put.status_code == 403
    unknown = client.get("/api/v1/translations/999999", headers=loaded.headers("ana"))
    assert unknown.status_code == 404 and unknown.json()["error"]["code"] == "not_found"
    assert client.get("/api/v1/translations/999999/history", headers=loaded.headers("ana")).status_code == 404
    with loaded.catalogue.sessions() as session:  # a model's raw answer is a cache, not a curation item
        cached = session.query(TranslationMemoryEntry).filter(TranslationMemoryEntry.engine == "argos").first()
        assert cached is not None
    assert client.get(f"/api/v1/translations/{cached.id}", headers=loaded.headers("ana")).status_code == 404
    too_big = client.get("/api/v1/translations", params={"size": 101}, headers=loaded.headers("ana"))
    assert too_big.status_code == 422 and too_big.json()["error"]["code"] == "invalid_parameter"
    bad_status = client.get("/api/v1/translations", params={"status": "pending"}, headers=loaded.headers("ana"))
    assert bad_status.status_code == 422


def test_the_machine_queue_by_use_with_records_glossary_and_provenance(loaded: World) -> None:
    body = loaded.queue()
    assert (body["order"], body["page"], body["size"], body["total"]) == ("used", 1, 20, 5)
    assert sources(body)[0] == FOREST  # in two records: first
    assert set(sources(body)) == {FOREST, RIVER, DIVERSITY, CAT, "The national report"}
    forest = body["items"][0]
    assert forest["record_count"] == 2 and [r["id"] for r in forest["records"]] == ["abs-b", "chm-a"]
    assert (forest["source_language"], forest["target_language"]) == ("en", "fr")
    assert (forest["text"], forest["status"], forest["provenance"]) == ("La forêt est protégée.", "machine", "machine")
    assert forest["pivot"] is None and forest["actor"] is None and forest["updated_at"]
    diversity = loaded.item_for(DIVERSITY)
    assert diversity["text"] == "La diversité biologique est protégée."
    assert diversity["glossary"] == [{"source": "biological diversity", "target": "diversité biologique"}]
    assert loaded.client.get(f"/api/v1/translations/{forest['id']}", headers=loaded.headers("ben")).json() == forest


def test_failed_translations_have_their_own_queue_with_the_reason(loaded: World) -> None:
    failed = loaded.queue(status="failed")
    assert sources(failed) == [BROKEN]
    assert failed["items"][0]["status"] == "failed" and "repetition loop" in failed["items"][0]["status_reason"]
    assert BROKEN not in sources(loaded.queue(status="machine", size=100))


def test_filters(loaded: World) -> None:
    assert set(sources(loaded.queue(realm="ABS"))) == {FOREST, DIVERSITY}
    assert set(sources(loaded.queue(schema="absPermit"))) == {FOREST, DIVERSITY}
    assert sources(loaded.queue(government="MX")) == [CAT]
    assert loaded.queue(lang="es")["total"] == 0  # no en→es model: nothing translated
    assert loaded.queue(lang="fr")["total"] == 5
    assert loaded.queue(source_lang="fr")["total"] == 0
    assert sources(loaded.queue(q="rivière")) == [RIVER]  # in the translation
    assert sources(loaded.queue(q="RIVER")) == [RIVER]  # in the source, any case
    assert loaded.queue(q="%")["total"] == 0 and loaded.queue(q="_")["total"] == 0  # plain text, no wildcards
    assert loaded.queue(q="fish OR forest")["total"] == 0  # no query syntax either


def test_paging_and_recent_order(loaded: World) -> None:
    everything = sources(loaded.queue(size=100))
    pages = [sources(loaded.queue(size=2, page=n)) for n in (1, 2, 3)]
    assert [s for page in pages for s in page] == everything
    assert loaded.queue(size=2, page=4)["items"] == [] and loaded.queue(size=2, page=4)["total"] == 5
    for source in (CAT, RIVER):  # approved in this order: the most recent first
        item = loaded.item_for(source)
        assert loaded.put("ana", item["id"], text=None, status="reviewed", version=item["version"]).status_code == 200
    recent = loaded.queue(status="reviewed", order="recent")
    assert recent["order"] == "recent" and sources(recent) == [RIVER, CAT]
