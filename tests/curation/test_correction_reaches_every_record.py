"""A curator's correction, end to end: real catalogue, real Tantivy index, real Argos model.

A curator corrects the French machine translation of a sentence that occurs in three records;
all three show the correction in search at once, marked reviewed; re-ingesting the records and
rebuilding the index (the real ``chm-search reindex``) keeps it; history shows who changed what.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from devtools.commands import CLI_ARGS, clean_environment
from tests.curation.conftest import CORRECTED, MACHINE, Doc, World
from tests.engines import engine_environment

ROOT = Path(__file__).resolve().parents[2]
SENTENCE = "The forest is protected."
THREE = ("chm-1", "abs-1", "bch-1")


def reindex_with_the_cli(world: World) -> None:
    environment = clean_environment(
        CHM_DATA_DIR=str(world.settings.data_dir),
        CHM_LANGUAGES="en,fr,es",
        COLUMNS="200",
        CHM_CATALOGUE_URL=world.settings.catalogue_dsn,  # SQLite in the data directory, or PostgreSQL
        **engine_environment(world.settings),  # the embedded index, or the suite's OpenSearch node
    )
    done = subprocess.run(
        [sys.executable, *CLI_ARGS, "reindex"],
        capture_output=True,
        text=True,
        env=environment,
        timeout=120,
        cwd=ROOT,
    )
    assert done.returncode == 0, done.stderr
    assert "now live: 4 documents, 0 errors" in done.stdout


def test_a_correction_reaches_every_record_at_once_and_survives_reingest_and_rebuild(world: World) -> None:
    docs = [
        Doc("chm-1", SENTENCE),
        Doc("abs-1", SENTENCE, realm="ABS", government="pe"),
        Doc("bch-1", SENTENCE, realm="BCH", government="mx"),
        Doc("chm-2", f"{SENTENCE} The river is green."),  # the sentence among others
    ]
    assert world.ingest(*docs)["created"] == 4
    world.translate()
    assert {hit["id"]: hit["translation_status"] for hit in world.search("forêt")} == dict.fromkeys(
        ["chm-1", "abs-1", "bch-1", "chm-2"], "machine"
    )
    assert world.search("strictement") == []

    item = world.item_for(SENTENCE)
    assert (item["text"], item["provenance"], item["status"], item["version"]) == (MACHINE, "machine", "machine", 1)
    assert item["record_count"] == 4 and {r["id"] for r in item["records"]} == {"chm-1", "abs-1", "bch-1", "chm-2"}
    assert item["engine"] == "argos" and item["model"].startswith("translate-en_fr 1.0; glossary ")
    assert next(r for r in item["records"] if r["id"] == "abs-1") == {
        "id": "abs-1",
        "title": SENTENCE,
        "realm": "ABS",
        "schema": "absPermit",
        "government": "pe",
    }

    corrected = world.put("ana", item["id"], text=CORRECTED, status="reviewed", version=1)
    assert corrected.status_code == 200, corrected.text
    body = corrected.json()
    assert (body["id"], body["text"], body["version"]) == (item["id"], CORRECTED, 2)
    assert (body["status"], body["provenance"], body["actor"]) == ("reviewed", "reviewed", "Ana (Secretariat)")

    def check_search() -> None:
        hits = {hit["id"]: hit for hit in world.search("strictement")}
        assert set(hits) == {*THREE, "chm-2"}  # French search finds the corrected word in all of them
        for record_id in THREE:
            assert hits[record_id]["title"] == CORRECTED
            assert hits[record_id]["translation_status"] == "reviewed"
            assert hits[record_id]["machine_translated"] is False
        # a field with other, unreviewed sentences stays a machine translation, the correction inside
        assert hits["chm-2"]["title"] == f"{CORRECTED} La rivière est vert."
        assert hits["chm-2"]["translation_status"] == "machine"

    check_search()  # at once: no translate run in between
    for record_id in THREE:
        reviewed = world.texts(record_id)["title", "fr", "reviewed"]
        assert (reviewed.text, reviewed.status, reviewed.actor) == (CORRECTED, "current", "Ana (Secretariat)")
        machine = world.texts(record_id)["title", "fr", "machine"]
        assert (machine.text, machine.status) == (MACHINE, "current")  # the machine's version is kept
        trail = world.catalogue.audit_trail(record_id)
        assert any(a.action == "translation.curated" and a.actor == "Ana (Secretariat)" for a in trail)
    mixed = world.texts("chm-2")["title", "fr", "machine"]
    assert (mixed.text, mixed.version, mixed.actor) == (f"{CORRECTED} La rivière est vert.", 2, "Ana (Secretariat)")

    # re-ingesting the same records changes nothing; a translate run has nothing to do
    assert world.ingest(*docs) == {"created": 0, "updated": 0, "unchanged": 4}
    assert world.translate().records_translated == 0
    # a full rebuild of the index from the catalogue keeps the correction
    reindex_with_the_cli(world)
    check_search()

    history = world.client.get(f"/api/v1/translations/{item['id']}/history", headers=world.headers("ben"))
    assert history.status_code == 200
    versions = history.json()["versions"]
    assert [(v["version"], v["from_version"], v["provenance"], v["text"], v["actor"]) for v in versions] == [
        (1, None, "machine", MACHINE, "argos"),
        (2, 1, "reviewed", CORRECTED, "Ana (Secretariat)"),
    ]
    assert all(v["at"] for v in versions)
    assert world.item_for(SENTENCE, status="reviewed")["version"] == 2
