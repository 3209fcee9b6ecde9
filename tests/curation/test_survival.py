"""Curated translations survive re-ingest, changed sources, re-translation and index rebuilds.

The catalogue is the only source of truth: everything readers and curators see after a rebuild
comes from it.
"""

from __future__ import annotations

from tests.curation.conftest import FOREST, Doc, World

FISH = "The cat eats the fish."
BIRD = "The cat eats the bird."
FISH_FR = "Le chat mange le poisson."


def approve(world: World, source: str, text: str | None = None) -> None:
    item = world.item_for(source)
    response = world.put("ana", item["id"], text=text, status="reviewed", version=item["version"])
    assert response.status_code == 200, response.text


def test_a_changed_sentence_makes_its_review_stale_and_the_next_run_reuses_the_rest(world: World) -> None:
    world.ingest(Doc("r", f"{FOREST} {FISH}"), Doc("s", FOREST))
    world.translate()
    approve(world, FOREST)
    approve(world, FISH, FISH_FR)
    reviewed = world.texts("r")["title", "fr", "reviewed"]
    assert (reviewed.text, reviewed.status) == (f"La forêt est protégée. {FISH_FR}", "current")
    assert {h["id"]: h["translation_status"] for h in world.search("poisson")} == {"r": "reviewed"}

    # re-ingesting the same record keeps everything
    assert world.ingest(Doc("r", f"{FOREST} {FISH}"))["unchanged"] == 1
    assert world.texts("r")["title", "fr", "reviewed"].status == "current"

    # the source changes one sentence
    assert world.ingest(Doc("r", f"{FOREST} {BIRD}"))["updated"] == 1
    texts = world.texts("r")
    assert texts["title", "fr", "reviewed"].status == "stale"  # kept ...
    assert texts["title", "fr", "reviewed"].text == f"La forêt est protégée. {FISH_FR}"
    assert world.search("poisson") == []  # ... never shown to readers
    [hit] = world.search("bird", lang="fr")
    assert hit["id"] == "r" and hit["translation_status"] == "pending"  # queued for the machine
    stale = world.item_for(FISH, status="stale")  # shown to curators
    assert stale["text"] == FISH_FR and "source text" in stale["status_reason"]
    assert FISH not in [i["source_text"] for i in world.queue(status="reviewed")["items"]]
    assert world.item_for(FOREST, status="reviewed")["record_count"] == 2  # unchanged sentences stay reviewed

    # the next translate run does the new sentence only; the reviewed one is reused
    before = world.translator.engine.segments_translated  # type: ignore[attr-defined]
    report = world.translate()
    assert world.translator.engine.segments_translated == before + 1  # type: ignore[attr-defined]
    assert report.stats.reviewed == 1
    machine = world.texts("r")["title", "fr", "machine"]
    assert (machine.text, machine.status) == ("La forêt est protégée. La chat mange la oiseau.", "current")
    assert {h["id"]: h["translation_status"] for h in world.search("oiseau")} == {"r": "machine"}
    # the review of the sentence that went away is kept, marked stale for good, with its history
    stale = world.item_for(FISH, status="stale")
    assert stale["record_count"] == 0 and stale["version"] == 3
    history = world.client.get(f"/api/v1/translations/{stale['id']}/history", headers=world.headers("ana")).json()
    assert [(v["status"], v["actor"]) for v in history["versions"]][-1] == ("stale", "translate")
    assert world.texts("r")["title", "fr", "reviewed"].status == "stale"

    # the old sentence comes back: its review is used again, at once current
    world.ingest(Doc("r", f"{FOREST} {FISH}"))
    world.translate()
    back = world.texts("r")["title", "fr", "reviewed"]
    assert (back.text, back.status) == (f"La forêt est protégée. {FISH_FR}", "current")
    assert world.item_for(FISH, status="reviewed")["version"] == 4
    assert {h["id"]: h["translation_status"] for h in world.search("poisson")} == {"r": "reviewed"}


def test_the_worker_stores_a_text_made_only_of_reviewed_sentences_as_reviewed(world: World) -> None:
    world.ingest(Doc("a", FOREST))
    world.translate()
    approve(world, FOREST, "La forêt est strictement protégée.")
    world.ingest(Doc("b", FOREST), Doc("c", f"{FOREST} {FISH}"))
    before = world.translator.engine.segments_translated  # type: ignore[attr-defined]
    world.translate()
    assert world.translator.engine.segments_translated == before + 1  # only the fish
    b = world.texts("b")
    assert ("title", "fr", "machine") not in b
    assert (b["title", "fr", "reviewed"].text, b["title", "fr", "reviewed"].actor) == (
        "La forêt est strictement protégée.",
        "Ana (Secretariat)",
    )
    hits = {h["id"]: h["translation_status"] for h in world.search("strictement")}
    assert hits == {"a": "reviewed", "b": "reviewed", "c": "machine"}
    assert world.item_for(FOREST, status="reviewed")["record_count"] == 3


def test_reindex_and_a_full_rebuild_lose_nothing(world: World) -> None:
    world.ingest(Doc("a", FOREST), Doc("b", FISH))
    world.translate()
    approve(world, FOREST, "La forêt est strictement protégée.")
    fish = world.item_for(FISH)
    assert world.put("ben", fish["id"], text=None, status="rejected", version=1).status_code == 200
    before = {h["id"]: (h["title"], h["translation_status"]) for h in world.search("", lang="fr")}
    assert before == {"a": ("La forêt est strictement protégée.", "reviewed"), "b": (FISH, "pending")}
    world.pipeline.rebuild_index()  # what `chm-search reindex` does
    assert {h["id"]: (h["title"], h["translation_status"]) for h in world.search("", lang="fr")} == before
    world.backend.destroy()  # the index is gone entirely: rebuilt from the catalogue alone
    world.backend.ensure_index()
    world.pipeline.rebuild_index()
    assert {h["id"]: (h["title"], h["translation_status"]) for h in world.search("", lang="fr")} == before
    assert world.item_for(FOREST, status="reviewed")["version"] == 2
    assert world.item_for(FISH, status="rejected")["version"] == 2


def test_a_field_holding_a_rejected_sentence_is_translated_again_when_its_source_changes(world: World) -> None:
    world.ingest(Doc("r", f"{FOREST} {FISH}"))
    world.translate()
    fish = world.item_for(FISH)
    assert world.put("ana", fish["id"], text=None, status="rejected", version=1).status_code == 200
    assert world.texts("r")["title", "fr", "machine"].status == "rejected"
    assert world.translate().records_translated == 0  # waits for a curator, not for the machine
    world.ingest(Doc("r", f"{FOREST} {BIRD}"))
    world.translate()
    machine = world.texts("r")["title", "fr", "machine"]
    assert (machine.text, machine.status) == ("La forêt est protégée. La chat mange la oiseau.", "current")
    assert {h["id"]: h["translation_status"] for h in world.search("oiseau")} == {"r": "machine"}
    assert world.item_for(FISH, status="rejected")["record_count"] == 0  # kept, marked, no longer used
