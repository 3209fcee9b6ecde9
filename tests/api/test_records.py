"""GET /api/v1/records/{id} and POST /api/v1/records (role ingest)."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from record_catalogue.settings import Settings
from search_api.app import create_app
from tests.catalogue_rows import create_keys
from tests.conftest import SAMPLES


def test_record_with_every_version_and_provenance(client: TestClient) -> None:
    response = client.get("/api/v1/records/9F828CDC-B20C-44BD-8980-CDD0EDC77D2F", params={"lang": "fr"})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["realm"] == "BCH" and body["schema_name"] == "modifiedOrganism"
    assert set(body["fields"]["title"]) == {"en", "fr", "es"}
    version = body["fields"]["title"]["fr"][0]
    assert (
        version["provenance"] == "original" and version["status"] == "current" and version["declared_language"] == "fr"
    )
    assert body["display_language"] == "fr" and body["title"] == version["text"]


def test_unknown_record_is_404(client: TestClient) -> None:
    response = client.get("/api/v1/records/nope")
    assert response.status_code == 404 and response.json()["error"]["code"] == "not_found"


@pytest.fixture
def push_env(settings: Settings) -> Iterator[tuple[TestClient, dict[str, str]]]:
    keys = create_keys(
        settings.catalogue_dsn,
        ingest=("Peru national CHM", "ingest"),
        curator=("Ana (curator)", "curator"),
        admin=("ops", "admin"),
    )
    with TestClient(create_app(settings)) as test_client:
        yield test_client, keys


def test_push_needs_a_key_with_the_ingest_role(push_env: tuple[TestClient, dict[str, str]]) -> None:
    client, keys = push_env
    record = json.loads((SAMPLES / "shared" / "abs-permit.json").read_text())
    assert client.post("/api/v1/records", json=record).status_code == 401
    wrong = client.post("/api/v1/records", json=record, headers={"X-API-Key": "chm_not-a-key"})
    assert wrong.status_code == 401 and wrong.json()["error"]["code"] == "invalid_api_key"
    forbidden = client.post("/api/v1/records", json=record, headers={"X-API-Key": keys["curator"]})
    assert forbidden.status_code == 403 and "curator" in forbidden.json()["error"]["message"]
    assert client.post("/api/v1/records", json=record, headers={"X-API-Key": keys["admin"]}).status_code == 200


def test_pushed_records_are_searchable_at_once_with_errors_per_item(
    push_env: tuple[TestClient, dict[str, str]],
) -> None:
    client, keys = push_env
    good = json.loads((SAMPLES / "records" / "absPermit-pe-castana.json").read_text())
    batch = [good, {"header": {"identifier": "X"}}, "not a record"]
    response = client.post("/api/v1/records", json=batch, headers={"X-API-Key": keys["ingest"]})
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["received"], body["created"]) == (3, 1)
    assert [(e["position"], e["reason"]) for e in body["errors"]] == [
        ("item 1", "record has no header.schema"),
        ("item 2", "a record must be a JSON object, not str"),
    ]
    found = client.get("/api/v1/search", params={"q": "Bertholletia", "lang": "en"}).json()
    assert [r["id"] for r in found["results"]] == [good["header"]["identifier"]]
    again = client.post("/api/v1/records", json=good, headers={"X-API-Key": keys["ingest"]}).json()
    assert again["unchanged"] == 1 and again["created"] == 0


def test_push_limits(push_env: tuple[TestClient, dict[str, str]]) -> None:
    client, keys = push_env
    headers = {"X-API-Key": keys["ingest"]}
    assert client.post("/api/v1/records", json=[], headers=headers).status_code == 422
    too_many = client.post("/api/v1/records", json=[{}] * 1001, headers=headers)
    assert too_many.status_code == 422 and "at most 1000" in too_many.json()["error"]["message"]


def test_a_push_waits_for_another_writer_of_the_index(
    push_env: tuple[TestClient, dict[str, str]], settings: Settings
) -> None:
    """A rebuild's last step or a translate run holds the embedded index's writer for a moment:
    a push waits for it (``CHM_API_BUSY_TIMEOUT``) instead of answering 503 at once."""
    import threading
    import time

    from search_index.tantivy_backend import TantivyBackend

    client, keys = push_env
    first = json.loads((SAMPLES / "shared" / "abs-permit.json").read_text())
    assert client.post("/api/v1/records", json=first, headers={"X-API-Key": keys["ingest"]}).status_code == 200
    other = TantivyBackend(settings.index_dir)  # another process's writer, as far as the lock goes
    version = other.current_version()
    assert version is not None
    other._writer(version)
    released = threading.Event()

    def release_soon() -> None:
        time.sleep(1.0)
        other.close()
        released.set()

    threading.Thread(target=release_soon, daemon=True).start()
    record = json.loads((SAMPLES / "records" / "absPermit-pe-castana.json").read_text())
    response = client.post("/api/v1/records", json=record, headers={"X-API-Key": keys["ingest"]})
    assert released.is_set()
    assert response.status_code == 200, response.text
    found = client.get("/api/v1/search", params={"q": "Bertholletia", "lang": "en"}).json()
    assert [r["id"] for r in found["results"]] == [record["header"]["identifier"]]
