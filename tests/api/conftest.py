"""An API over a catalogue and embedded index loaded with the samples."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from analyzers.detect import LanguageDetector
from ingest.pipeline import Pipeline
from ingest.sources.files import read_path
from ingest.tagging import RecordTagger
from record_catalogue.settings import Settings
from record_catalogue.store import Catalogue
from search_api.app import create_app
from search_index.tantivy_backend import TantivyBackend
from tests.conftest import SAMPLES


@pytest.fixture(scope="session")
def loaded_settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """Samples ingested once per session into their own data directory."""
    from record_catalogue.settings import load_settings

    settings = load_settings(data_dir=tmp_path_factory.mktemp("api") / "data", es_url=None)
    catalogue = Catalogue(settings.catalogue_dsn)
    backend = TantivyBackend(settings.index_dir)
    Pipeline(catalogue, backend, LanguageDetector(), settings.languages, tagger=RecordTagger(settings.languages)).run(
        item for path in (SAMPLES / "shared", SAMPLES / "records") for item in read_path(path)
    )
    backend.close()
    catalogue.close()
    return settings


@pytest.fixture
def client(loaded_settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(loaded_settings)) as test_client:
        yield test_client
