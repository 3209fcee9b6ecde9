"""An API over a catalogue and an index loaded with the samples.

Engine and catalogue are parameters: every API test runs on Tantivy and on the suite's real
OpenSearch node (and on Elasticsearch when CHM_ES_URL names a node; ``tests/engines.py``), each
with SQLite and with PostgreSQL (``tests/conftest.py``). Server indices get a name of their own,
deleted afterwards.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from analyzers.detect import LanguageDetector
from ingest.pipeline import Pipeline
from ingest.sources.files import read_path
from ingest.tagging import RecordTagger
from record_catalogue.settings import Settings, load_settings
from record_catalogue.store import Catalogue
from search_api.app import create_app
from search_index.factory import get_backend
from tests.conftest import CATALOGUES, SAMPLES, catalogue_database
from tests.engines import ENGINES, engine_url


@pytest.fixture(scope="session", params=ENGINES)
def api_engine(request: pytest.FixtureRequest) -> tuple[str | None, str]:
    """The API suite's engine, as ``(CHM_ES_URL, CHM_ES_FLAVOUR)``."""
    return engine_url(request.param, request)


@pytest.fixture(scope="session", params=CATALOGUES)
def api_catalogue(request: pytest.FixtureRequest) -> str:
    """The API suite's kind of catalogue: ``sqlite`` or ``postgresql``."""
    return str(request.param)


@pytest.fixture(scope="session")
def loaded_settings(
    tmp_path_factory: pytest.TempPathFactory,
    request: pytest.FixtureRequest,
    api_catalogue: str,
    api_engine: tuple[str | None, str],
) -> Iterator[Settings]:
    """Samples ingested once per engine and catalogue, into a data directory, a catalogue (SQLite, or
    a PostgreSQL database of its own) and an index of their own."""
    with catalogue_database(api_catalogue, request) as catalogue_url:
        settings = load_settings(
            data_dir=tmp_path_factory.mktemp("api") / "data",
            es_url=api_engine[0],
            es_flavour=api_engine[1],
            index_name=f"chm-api-test-{uuid.uuid4().hex[:10]}",
            catalogue_url=catalogue_url,
            # On PostgreSQL rate limits are shared by every app on the catalogue (as by API processes),
            # and the whole suite is one anonymous client. Tests of the limits set their own.
            rate_limit_anonymous=100_000,
        )
        catalogue = Catalogue(settings.catalogue_dsn)
        backend = get_backend(settings)
        Pipeline(
            catalogue, backend, LanguageDetector(), settings.languages, tagger=RecordTagger(settings.languages)
        ).run(item for path in (SAMPLES / "shared", SAMPLES / "records") for item in read_path(path))
        catalogue.close()
        yield settings
        if settings.es_url:
            backend.destroy()
        backend.close()


@pytest.fixture
def client(loaded_settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(loaded_settings)) as test_client:
        yield test_client


def search(client: TestClient, **params: Any) -> dict[str, Any]:
    """``GET /api/v1/search`` with ``params``: its body, once it has answered 200."""
    response = client.get("/api/v1/search", params=params)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body
