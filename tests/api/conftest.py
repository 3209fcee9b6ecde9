"""An API over a catalogue and an index loaded with the samples.

The index is the embedded engine, or the Elasticsearch node named by CHM_ES_URL when set (on an
index name of its own, deleted afterwards): every API test then runs on that engine too. The
catalogue is a parameter: every API test runs on SQLite and on PostgreSQL (``tests/conftest.py``).
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

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


@pytest.fixture(scope="session", params=CATALOGUES)
def api_catalogue_url(request: pytest.FixtureRequest) -> Iterator[str | None]:
    """The API suite's catalogue: SQLite, or a PostgreSQL database of its own for the session."""
    with catalogue_database(request.param, request) as url:
        yield url


@pytest.fixture(scope="session")
def loaded_settings(tmp_path_factory: pytest.TempPathFactory, api_catalogue_url: str | None) -> Iterator[Settings]:
    """Samples ingested once per session (and catalogue) into their own data directory (and index)."""
    settings = load_settings(
        data_dir=tmp_path_factory.mktemp("api") / "data",
        es_url=os.environ.get("CHM_ES_URL"),
        index_name=f"chm-api-test-{uuid.uuid4().hex[:10]}",
        catalogue_url=api_catalogue_url,
    )
    catalogue = Catalogue(settings.catalogue_dsn)
    backend = get_backend(settings)
    Pipeline(catalogue, backend, LanguageDetector(), settings.languages, tagger=RecordTagger(settings.languages)).run(
        item for path in (SAMPLES / "shared", SAMPLES / "records") for item in read_path(path)
    )
    catalogue.close()
    yield settings
    if settings.es_url:
        backend.destroy()
    backend.close()


@pytest.fixture
def client(loaded_settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(loaded_settings)) as test_client:
        yield test_client
