"""Withdrawing records: DELETE /api/v1/records/{id}, ``chm-search records delete``, tombstones."""

from __future__ import annotations

import json
from typing import Any

from analyzers.detect import LanguageDetector
from ingest.pipeline import Pipeline
from ingest.sources.files import read_path
from ingest.withdraw import withdraw
from record_catalogue.settings import Settings
from record_catalogue.store import Catalogue
from search_index.base import SearchQuery
from search_index.tantivy_backend import TantivyBackend
from tests.catalogue_rows import add_texts, reviewed
from tests.commands import run
from tests.conftest import SAMPLES
from tests.publish.conftest import Api

PERMIT = json.loads((SAMPLES / "records" / "absPermit-pe-castana.json").read_text())
PERMIT_ID = PERMIT["header"]["identifier"]


def _ids(api: Api, q: str) -> list[str]:
    body = api.client.get("/api/v1/search", params={"q": q, "lang": "en"}).json()
    return [r["id"] for r in body["results"]]


def test_a_partner_withdraws_what_it_pushed_and_pushing_again_restores_it(api: Api) -> None:
    pushed = api.client.post("/api/v1/records", json=PERMIT, headers=api.headers("peru"))
    assert pushed.status_code == 200 and pushed.json()["created"] == 1
    assert _ids(api, "Bertholletia") == [PERMIT_ID]

    assert api.client.delete(f"/api/v1/records/{PERMIT_ID}").status_code == 401
    curator = api.client.delete(f"/api/v1/records/{PERMIT_ID}", headers=api.headers("curator"))
    assert curator.status_code == 403
    other = api.client.delete(f"/api/v1/records/{PERMIT_ID}", headers=api.headers("kenya"))
    assert (
        other.status_code == 403 and "not pushed with the key 'Kenya national CHM'" in other.json()["error"]["message"]
    )
    unknown = api.client.delete("/api/v1/records/NO-SUCH-ID", headers=api.headers("peru"))
    assert unknown.status_code == 404 and unknown.json()["error"]["code"] == "not_found"
    assert _ids(api, "Bertholletia") == [PERMIT_ID]

    gone = api.client.delete(f"/api/v1/records/{PERMIT_ID}", headers=api.headers("peru"))
    assert gone.status_code == 200, gone.text
    body = gone.json()
    assert (body["outcome"], body["deleted_by"], body["index_updated"]) == ("deleted", "Peru national CHM", True)
    assert _ids(api, "Bertholletia") == []
    record = api.client.get(f"/api/v1/records/{PERMIT_ID}")
    assert record.status_code == 410 and record.json()["error"]["code"] == "deleted"
    again = api.client.delete(f"/api/v1/records/{PERMIT_ID}", headers=api.headers("peru"))
    assert again.status_code == 200 and again.json()["outcome"] == "already_deleted"

    # the tombstone keeps the texts and the history
    row = api.catalogue().get(PERMIT_ID)
    assert row is not None and row.deleted_by == "Peru national CHM" and row.texts
    assert [e.action for e in api.catalogue().audit_trail(PERMIT_ID)] == ["record.created", "record.deleted"]

    restored = api.client.post("/api/v1/records", json=PERMIT, headers=api.headers("peru")).json()
    assert restored["updated"] == 1 and restored["unchanged"] == 0
    assert _ids(api, "Bertholletia") == [PERMIT_ID]
    assert api.client.get(f"/api/v1/records/{PERMIT_ID}").status_code == 200
    assert [e.action for e in api.catalogue().audit_trail(PERMIT_ID)][-1] == "record.restored"


def test_an_admin_key_withdraws_any_record(api: Api) -> None:
    api.client.post("/api/v1/records", json=PERMIT, headers=api.headers("peru"))
    response = api.client.delete(f"/api/v1/records/{PERMIT_ID}", headers=api.headers("admin"))
    assert response.status_code == 200 and response.json()["deleted_by"] == "ops"
    assert _ids(api, "Bertholletia") == []


def _loaded(settings: Settings, catalogue: Catalogue) -> Pipeline:
    pipe = Pipeline(catalogue, TantivyBackend(settings.index_dir), LanguageDetector(), settings.languages)
    pipe.run(read_path(SAMPLES / "records"))
    return pipe


def test_tombstones_keep_reviewed_translations_and_leave_every_index_path(
    settings: Settings, catalogue: Catalogue
) -> None:
    pipe = _loaded(settings, catalogue)
    add_texts(catalogue, reviewed(PERMIT_ID, "title", "fr", "Permis de récolte de noix du Brésil", actor="Ana"))
    before = catalogue.count()
    done = withdraw(catalogue, pipe.backend, [PERMIT_ID, "NOPE"], "harvester", reason="withdrawn at the source")
    assert done.outcomes == {PERMIT_ID: "deleted", "NOPE": "not_found"} and done.index_updated
    assert catalogue.count() == before - 1
    assert pipe.backend.get(PERMIT_ID) is None
    assert PERMIT_ID not in [row.id for row in catalogue.iter_records()]
    assert catalogue.ids_needing_index() == [] and catalogue.deleted_needing_index() == []
    row = catalogue.get(PERMIT_ID)
    assert row is not None and row.deleted_at is not None
    assert any(t.provenance == "reviewed" and t.actor == "Ana" for t in row.texts)
    entry = catalogue.audit_trail(PERMIT_ID)[-1]
    assert (entry.action, entry.actor, entry.detail["reason"]) == (
        "record.deleted",
        "harvester",
        "withdrawn at the source",
    )
    # a rebuild from the catalogue leaves it out
    pipe.rebuild_index()
    assert pipe.backend.get(PERMIT_ID) is None
    assert pipe.backend.search(SearchQuery(text="Bertholletia", lang="en")).total == 0
    # unchanged input restores it, with its review
    report = pipe.run(read_path(SAMPLES / "records"))
    assert (report.updated, report.unchanged) == (1, 15)
    assert pipe.backend.get(PERMIT_ID) is not None
    restored = catalogue.get(PERMIT_ID)
    assert restored is not None and restored.deleted_at is None
    assert any(t.provenance == "reviewed" for t in restored.texts)


def test_deleted_while_the_index_was_down_leaves_it_on_the_next_run(settings: Settings, catalogue: Catalogue) -> None:
    pipe = _loaded(settings, catalogue)
    assert catalogue.delete_record(PERMIT_ID, "ops")  # the catalogue only: as if the engine were down
    assert catalogue.deleted_needing_index() == [PERMIT_ID] and pipe.backend.get(PERMIT_ID) is not None
    pipe.run(read_path(SAMPLES / "shared"))
    assert pipe.backend.get(PERMIT_ID) is None and catalogue.deleted_needing_index() == []


def test_cli_deletes_records(tmp_path: Any) -> None:
    assert run(tmp_path, "ingest", str(SAMPLES / "records")).returncode == 0
    result = run(tmp_path, "records", "delete", PERMIT_ID, "UNKNOWN-1", "--reason", "test")
    assert result.returncode == 1, result.stderr
    assert f"{PERMIT_ID}: deleted" in result.stdout and "UNKNOWN-1: no such record" in result.stdout
    assert "catalogue: ok (15 records)" in run(tmp_path, "health").stdout
    again = run(tmp_path, "records", "delete", PERMIT_ID)
    assert again.returncode == 0 and f"{PERMIT_ID}: was already deleted" in again.stdout
