"""The API on the suite's two shapes (``tests/engines.py`` ``stack``: Tantivy with SQLite, OpenSearch
with PostgreSQL): in process with keys for two partners, a curator and an admin (``api``), or on a
real server on loopback over the samples (``served``)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from fastapi.testclient import TestClient

from analyzers.detect import LanguageDetector
from devtools.served import free_port
from ingest.pipeline import Pipeline
from ingest.sources.files import read_path
from record_catalogue.settings import Settings, load_settings
from record_catalogue.store import Catalogue
from search_api.app import create_app
from search_index.base import SearchBackend
from search_index.factory import get_backend
from tests.catalogue_rows import add_texts, create_keys, machine, reviewed
from tests.conftest import SAMPLES

COP_RECORD = "CC914A09-3A83-4801-A9B5-242138F95406"  # samples/records/meetingDocument-cop12-11-chm.json


@dataclass
class Api:
    client: TestClient
    settings: Settings
    keys: dict[str, str]

    def headers(self, who: str) -> dict[str, str]:
        return {"X-API-Key": self.keys[who]}

    def catalogue(self) -> Catalogue:
        return self.client.app.state.services.catalogue  # type: ignore[attr-defined,no-any-return]


@pytest.fixture
def api(tmp_path: Path, stack: dict[str, Any]) -> Iterator[Api]:
    settings = load_settings(data_dir=tmp_path / "data", rate_limit_anonymous=100_000, **stack)
    keys = create_keys(
        settings.catalogue_dsn,
        peru=("Peru national CHM", "ingest"),
        kenya=("Kenya national CHM", "ingest"),
        curator=("Ana (curator)", "curator"),
        admin=("ops", "admin"),
    )
    with TestClient(create_app(settings)) as client:
        yield Api(client, settings, keys)
    if settings.es_url:
        backend = get_backend(settings)
        backend.destroy()
        backend.close()


@dataclass
class Served:
    """The app on a real server on loopback, over a catalogue and index loaded with the samples."""

    url: str
    settings: Settings
    catalogue: Catalogue
    backend: SearchBackend


@pytest.fixture
def served(tmp_path: Path, stack: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> Iterator[Served]:
    """Samples ingested, one machine and one reviewed translation added, OAI pages of five records."""
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")
    settings = load_settings(data_dir=tmp_path / "data", rate_limit_anonymous=100_000, oai_page_size=5, **stack)
    catalogue = Catalogue(settings.catalogue_dsn)
    backend = get_backend(settings)
    Pipeline(catalogue, backend, LanguageDetector(), settings.languages).run(
        item for path in (SAMPLES / "shared", SAMPLES / "records") for item in read_path(path)
    )
    add_texts(
        catalogue,
        machine(COP_RECORD, "summary", "es", "Nota del Secretario Ejecutivo.", model="translate-en_es 1.0"),
        reviewed(COP_RECORD, "summary", "ru", "Записка Исполнительного секретаря.", actor="Ana (curator)"),
    )
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(create_app(settings), host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the test server did not start")
        time.sleep(0.05)
    try:
        yield Served(f"http://127.0.0.1:{port}", settings, catalogue, backend)
    finally:
        server.should_exit = True
        thread.join(timeout=30)
        if settings.es_url:
            backend.destroy()
        backend.close()
        catalogue.close()
