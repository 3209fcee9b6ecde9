"""One GUID given by two clearing-houses: the record held is never overwritten by the other realm's.

Record ids are CBD GUIDs and name one record across the clearing-houses (ids of existing data stay
as they are). A record of another realm under an id the catalogue holds is reported, per record,
naming both realms, and the rest of the batch goes on; the push API answers the same.
"""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from analyzers.detect import LanguageDetector
from ingest.pipeline import Pipeline
from record_catalogue.keys import KeyStore
from record_catalogue.record import Record
from record_catalogue.settings import Settings
from record_catalogue.store import Catalogue
from search_api.app import create_app
from search_index.base import SearchQuery
from search_index.tantivy_backend import TantivyBackend

GUID = "8A1B2C3D-0000-4E5F-9A6B-7C8D9E0F1A2B"


def record(realm: str, title: str, record_id: str = GUID) -> Record:
    schema = {"CHM": "resource", "ABS": "absPermit", "BCH": "biosafetyLaw"}[realm]
    return Record.model_validate(
        {"id": record_id, "realm": realm, "schema_name": schema, "title": {"en": title}, "source": "test"}
    )


def test_the_same_guid_in_another_realm_is_reported_not_stored(settings: Settings, catalogue: Catalogue) -> None:
    backend = TantivyBackend(settings.index_dir)
    pipeline = Pipeline(catalogue, backend, LanguageDetector(), settings.languages)
    first = pipeline.run([record("CHM", "Guidelines for the restoration of mangrove forests")])
    assert (first.created, first.errors) == (1, 0)

    # ABS gives the same GUID, beside another record of its own: that one is stored, the GUID is not
    other = record("ABS", "Permit for access to genetic resources of the coastal forests")
    second = pipeline.run([other, record("ABS", "Permit for seaweed research", "ABS-OWN-1")], run_id="second")
    assert (second.created, second.updated, second.errors) == (1, 0, 1)
    [error] = catalogue.errors(run_id="second")
    assert error.record_id == GUID
    assert error.reason == (
        f"record id {GUID} is already a CHM record; this ABS record with the same id was not stored (an id "
        "names one record across the clearing-houses; if the record moved to ABS, withdraw the CHM one first: "
        f"chm-search records delete {GUID})"
    )
    held = catalogue.get(GUID)
    assert held is not None and held.realm == "CHM"
    assert [t.text for t in held.texts if t.field == "title"] == ["Guidelines for the restoration of mangrove forests"]
    assert [e.action for e in catalogue.audit_trail(GUID)] == ["record.created"]
    hits = backend.search(SearchQuery(text="mangrove", lang="en")).hits
    assert [(hit.id, hit.source["realm"]) for hit in hits] == [(GUID, "CHM")]

    # the same realm still updates it; once withdrawn, the id may come back from the other realm
    assert pipeline.run([record("CHM", "Guidelines for restoring mangrove forests")]).updated == 1
    assert catalogue.delete_record(GUID, "curator")
    moved = pipeline.run([other])
    assert (moved.created + moved.updated, moved.errors) == (1, 0)
    restored = catalogue.get(GUID)
    assert restored is not None and restored.realm == "ABS" and restored.deleted_at is None
    backend.close()


def test_two_realms_in_one_batch_and_through_the_push_api(settings: Settings, catalogue: Catalogue) -> None:
    backend = TantivyBackend(settings.index_dir)
    pipeline = Pipeline(catalogue, backend, LanguageDetector(), settings.languages)
    report = pipeline.run([record("BCH", "Law on living modified organisms"), record("CHM", "Another document")])
    assert (report.created, report.errors) == (1, 1)
    assert (held := catalogue.get(GUID)) is not None and held.realm == "BCH"
    backend.close()

    key = KeyStore(catalogue).create("Partner", "ingest")
    with TestClient(create_app(settings)) as client:
        body: list[dict[str, Any]] = [
            {
                "header": {"identifier": GUID, "schema": "resource", "realm": "ABS", "languages": ["en"]},
                "title": {"en": "A resource pushed to ABS"},
            },
            {
                "header": {"identifier": "PUSHED-1", "schema": "resource", "realm": "ABS", "languages": ["en"]},
                "title": {"en": "A resource of its own"},
            },
        ]
        response = client.post("/api/v1/records", json=body, headers={"X-API-Key": key})
    assert response.status_code == 200, response.text
    answer = response.json()
    assert answer["created"] == 1, answer
    [error] = answer["errors"]
    assert error["position"] == "item 0" and error["record_id"] == GUID
    assert error["reason"].startswith(f"record id {GUID} is already a BCH record; this ABS record with the same id")
    assert (held := catalogue.get(GUID)) is not None and held.realm == "BCH"
