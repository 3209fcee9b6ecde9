"""Issue 6's "done when": a French reader typing « diversité biologique » finds English-only,
Spanish-only and Russian-only records from all three clearing-houses, shown in French where
translated and marked so, and narrows them with a facet. Real models (built by the tests), real
catalogue, real index, the real API."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from analyzers.detect import LanguageDetector
from devtools.argos_models import cached_package
from ingest.pipeline import Pipeline
from ingest.sources.files import read_path
from record_catalogue.memory_store import TranslationMemory
from record_catalogue.settings import load_settings
from record_catalogue.store import Catalogue
from search_api.app import create_app
from search_index.factory import get_backend
from tests.translate.conftest import Models
from translate.argos_engine import ArgosEngine
from translate.glossary import Glossary
from translate.packages import install_file
from translate.query import QueryTranslator
from translate.translator import Translator
from translate.worker import TranslateWorker

RECORDS = [
    ("EN-ABS", "ABS", "absPermit", "pe", "en", "Access to genetic resources and biological diversity"),
    ("ES-BCH", "BCH", "biosafetyDecision", "mx", "es", "La diversidad biológica y los organismos vivos modificados"),
    ("RU-CHM", "CHM", "nationalReport6", "ru", "ru", "Сохранение биологического разнообразия"),
]


def test_french_reader_finds_records_in_three_languages_from_three_clearing_houses(
    models: Models, packages: Path, tmp_path: Path, stack: dict[str, Any]
) -> None:
    install_file(cached_package("ru", "en", models.archives["en_fr"].parent.parent), packages)
    engine = ArgosEngine(packages, intra_threads=1)
    settings = load_settings(
        data_dir=tmp_path / "data",
        **stack,
    )
    for record_id, realm, schema, government, lang, title in RECORDS:
        record = {
            "header": {"identifier": record_id, "schema": schema, "realm": realm, "languages": [lang]},
            "government": {"identifier": government},
            "title": {lang: title},
        }
        (tmp_path / f"{record_id}.json").write_text(json.dumps(record, ensure_ascii=False))
    catalogue = Catalogue(settings.catalogue_dsn)
    backend = get_backend(settings)
    Pipeline(catalogue, backend, LanguageDetector(), settings.languages).run(
        item for n, _ in enumerate(RECORDS) for item in read_path(tmp_path / f"{RECORDS[n][0]}.json")
    )
    translator = Translator(engine, TranslationMemory(catalogue.sessions), Glossary.load())
    TranslateWorker(catalogue, backend, translator, settings.languages).run(languages=["fr"])
    backend.close()
    catalogue.close()

    app = create_app(settings)
    app.state.services._query_translator = QueryTranslator(engine, settings.languages)
    with TestClient(app) as client:
        body = client.get("/api/v1/search", params={"q": "diversité biologique", "lang": "fr"}).json()
        found = {r["id"]: r for r in body["results"]}
        assert set(found) == {"EN-ABS", "ES-BCH", "RU-CHM"}
        for result in found.values():
            assert result["display_language"] == "fr"
            assert result["machine_translated"] is True and result["translation_status"] == "machine"
            assert "<mark>" in (result["snippet"] or "")
        assert {f["value"]: f["count"] for f in body["facets"]["realm"]} == {"ABS": 1, "BCH": 1, "CHM": 1}
        assert {f["value"] for f in body["facets"]["original_language"]} == {"en", "es", "ru"}

        narrowed = client.get(
            "/api/v1/search", params={"q": "diversité biologique", "lang": "fr", "realm": "BCH"}
        ).json()
        assert [r["id"] for r in narrowed["results"]] == ["ES-BCH"]
        assert {f["value"]: f["count"] for f in narrowed["facets"]["realm"]} == {"ABS": 1, "BCH": 1, "CHM": 1}

        record = client.get("/api/v1/records/RU-CHM", params={"lang": "fr"}).json()
        french = record["fields"]["title"]["fr"][0]
        assert french["provenance"] == "machine" and french["pivot"] == "ru>en>fr" and french["engine"] == "argos"
