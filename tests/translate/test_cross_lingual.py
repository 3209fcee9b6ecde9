"""Cross-lingual search: a record not yet in the reader's language is found through the query
translated by a real (test) Argos model, and shown in its own language, saying so."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from analyzers.detect import LanguageDetector
from ingest.pipeline import Pipeline
from ingest.sources.files import read_path
from record_catalogue.settings import load_settings
from record_catalogue.store import Catalogue
from search_api.app import create_app
from search_index.factory import get_backend
from translate.argos_engine import ArgosEngine
from translate.query import QueryTranslator


def test_spanish_query_finds_an_english_only_record(engine: ArgosEngine, tmp_path: Path, stack: dict[str, Any]) -> None:
    settings = load_settings(
        data_dir=tmp_path / "data",
        **stack,
    )
    record = {
        "header": {"identifier": "EN-ONLY", "schema": "nationalTarget", "languages": ["en"]},
        "government": {"identifier": "ke"},
        "title": {"en": "The forest is protected."},
    }
    (tmp_path / "en.json").write_text(json.dumps(record))
    catalogue = Catalogue(settings.catalogue_dsn)
    backend = get_backend(settings)
    Pipeline(catalogue, backend, LanguageDetector(), settings.languages).run(read_path(tmp_path / "en.json"))
    backend.close()
    catalogue.close()

    translator = QueryTranslator(engine, settings.languages)
    assert translator.translations("bosque", "es")["en"] == "forest"
    app = create_app(settings)
    app.state.services._query_translator = translator
    with TestClient(app) as client:
        body = client.get("/api/v1/search", params={"q": "bosque", "lang": "es"}).json()
        [result] = body["results"]
        assert result["id"] == "EN-ONLY"
        assert (result["display_language"], result["translation_status"]) == ("en", "pending")
        assert result["title"] == "The forest is protected."
        assert result["snippet"].startswith("The <mark>forest</mark> is protected")
        # without a route to English (Russian reader, no ru→en model) only the neutral field is left
        assert client.get("/api/v1/search", params={"q": "лес", "lang": "ru"}).json()["total"] == 0
