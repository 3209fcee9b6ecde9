"""Health tells the truth about the index (issue 13, item 4).

Before: delete the current index version under a running server, and the next push (or restart)
made an empty index; health said "ok (0 documents)" against thousands of catalogue records and
``chm-search health`` exited 0. Runs on the embedded engine with SQLite and on OpenSearch with
PostgreSQL (``tests/engines.py``: ``stack``).
"""

from __future__ import annotations

import json
import logging
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from analyzers.detect import LanguageDetector
from ingest.pipeline import Pipeline
from ingest.sources.files import read_path
from record_catalogue.keys import KeyStore
from record_catalogue.settings import Settings, load_settings
from record_catalogue.store import Catalogue
from search_api.app import create_app
from search_index.base import SearchBackend
from search_index.factory import get_backend
from tests.conftest import SAMPLES
from tests.engines import drop_server_index


@pytest.fixture
def served(tmp_path: Path, stack: dict[str, Any]) -> Iterator[tuple[Settings, TestClient, str]]:
    """The shared samples ingested, an app on them, and an ingest key."""
    settings = load_settings(data_dir=tmp_path / "data", **stack)
    catalogue = Catalogue(settings.catalogue_dsn)
    backend = get_backend(settings)
    Pipeline(catalogue, backend, LanguageDetector(), settings.languages).run(read_path(SAMPLES / "shared"))
    key = KeyStore(catalogue).create("lost index test", "ingest")
    backend.close()
    catalogue.close()
    try:
        with TestClient(create_app(settings)) as client:
            yield settings, client, key
    finally:
        drop_server_index(settings)


def _lose_current_version(settings: Settings, backend: SearchBackend) -> None:
    """What an operator's mistake or a failed disk does: the live index version disappears."""
    current = backend.current_version()
    assert current is not None
    if settings.es_url:
        backend.client.request("DELETE", f"/{current}")  # type: ignore[attr-defined]
    else:
        shutil.rmtree(settings.index_dir / current)


def test_a_lost_index_is_reported_then_rebuilt_from_the_catalogue_never_replaced_by_an_empty_one(
    served: tuple[Settings, TestClient, str], caplog: pytest.LogCaptureFixture
) -> None:
    settings, client, key = served
    before = client.get("/api/v1/health").json()
    assert before["status"] == "ok", before
    records = client.get("/api/v1/search", params={"q": "", "size": 100}).json()["total"]
    backend = client.app.state.services.backend  # type: ignore[attr-defined]
    _lose_current_version(settings, backend)

    lost = client.get("/api/v1/health")
    assert lost.status_code == 503 and lost.json()["search_engine"]["status"] == "down"

    pushed = json.loads((SAMPLES / "records" / "absPermit-pe-castana.json").read_text())
    with caplog.at_level(logging.WARNING, logger="search_index.restore"):
        response = client.post("/api/v1/records", json=pushed, headers={"X-API-Key": key})
    assert response.status_code == 200, response.text
    assert "rebuilding it" in caplog.text
    after = client.get("/api/v1/health").json()
    assert after["status"] == "ok", after
    assert client.get("/api/v1/search", params={"q": "", "size": 100}).json()["total"] == records + 1


def test_an_index_short_of_records_is_degraded_saying_how_many(served: tuple[Settings, TestClient, str]) -> None:
    _, client, _ = served
    backend = client.app.state.services.backend  # type: ignore[attr-defined]
    some_id = client.get("/api/v1/search", params={"q": ""}).json()["results"][0]["id"]
    backend.delete([some_id])
    backend.refresh()
    response = client.get("/api/v1/health")
    assert response.status_code == 200  # search still answers
    body = response.json()
    assert body["status"] == "degraded" and body["search_engine"]["status"] == "degraded"
    assert "(1 missing)" in body["search_engine"]["detail"] and "chm-search reindex" in body["search_engine"]["detail"]
