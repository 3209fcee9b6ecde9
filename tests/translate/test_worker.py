"""The translate worker over a real catalogue and the real embedded index (Tantivy)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from record_catalogue.memory_store import TranslationMemory
from record_catalogue.models import FieldText
from record_catalogue.record import Record
from record_catalogue.settings import Settings, get_settings, load_settings
from record_catalogue.store import Catalogue, TextVersion
from search_api.app import create_app
from search_api.routes import languages as languages_route
from search_index.base import SearchQuery
from search_index.factory import get_backend
from tests.engines import drop_server_index
from tests.translate.conftest import Models
from translate.argos_engine import ArgosEngine
from translate.glossary import Glossary
from translate.translator import Translator
from translate.worker import TranslateWorker

TITLE = "The national strategy on biological diversity"
SUMMARY = "The forest is protected by the government. The cat eats the fish in the river."


def add(catalogue: Catalogue, record_id: str, language: str, **fields: str) -> None:
    record = Record.model_validate(
        {"id": record_id, "realm": "CHM", "schema_name": "resource", **{k: {language: v} for k, v in fields.items()}}
    )
    texts = [TextVersion(name, language, value) for name, value in fields.items()]
    assert catalogue.upsert(record, texts, language) in ("created", "updated")


class World:
    """A catalogue, an index and a worker in one data directory."""

    def __init__(self, settings: Settings, engine: ArgosEngine) -> None:
        self.settings = settings
        self.catalogue = Catalogue(settings.catalogue_dsn)
        self.backend = get_backend(settings)
        self.engine = engine
        self.translator = Translator(engine, TranslationMemory(self.catalogue.sessions), Glossary.load())
        self.worker = TranslateWorker(self.catalogue, self.backend, self.translator, settings.languages)

    def texts(self, record_id: str) -> dict[tuple[str, str, str], FieldText]:
        row = self.catalogue.get(record_id)
        assert row is not None
        return {(t.field, t.language, t.provenance): t for t in row.texts}


@pytest.fixture
def world(tmp_path: Path, engine: ArgosEngine, stack: dict[str, Any]) -> Iterator[World]:
    settings = load_settings(
        data_dir=tmp_path / "data",
        languages="en,fr,es,ru,zh",
        **stack,
    )
    world = World(settings, engine)
    yield world
    world.backend.close()
    world.catalogue.close()
    drop_server_index(settings)


def test_an_english_record_becomes_findable_in_french_flagged_as_machine(
    world: World, models: Models, monkeypatch: pytest.MonkeyPatch
) -> None:
    add(world.catalogue, "rec-1", "en", title=TITLE, summary=SUMMARY)
    world.backend.ensure_index()
    report = world.worker.run()

    assert report.fields_current == 2 and report.records_translated == 1 and report.indexed == 1
    texts = world.texts("rec-1")
    title = texts["title", "fr", "machine"]
    assert title.text == "La nationale stratégie sur diversité biologique"  # glossary term included
    assert (title.status, title.engine, title.pivot, title.actor) == ("current", "argos", None, "translate")
    assert title.model is not None and title.model.startswith("translate-en_fr 1.0; glossary ")
    assert title.updated_at is not None and title.version == 1
    assert texts["summary", "es", "machine"].status == "pending"
    assert texts["summary", "es", "machine"].status_reason == (
        "no translation model for en→es; install one with: chm-search models install en es"
    )
    assert texts["summary", "ru", "machine"].status == "pending"
    assert "model en→ru failed to load" in (texts["summary", "ru", "machine"].status_reason or "")
    assert report.model_errors["en→ru"].startswith("translate-en_ru 1.0")
    row = world.catalogue.get("rec-1")
    assert row is not None and row.needs_index is False

    found = world.backend.search(SearchQuery(text="forêt protégée", lang="fr"))
    assert [hit.id for hit in found.hits] == ["rec-1"]
    assert found.hits[0].source["status"]["fr"] == "machine"
    assert found.hits[0].source["status"]["es"] == "pending"

    monkeypatch.setenv("CHM_MODELS_DIR", str(models.installed))
    get_settings.cache_clear()  # the languages route reads the process's settings
    world.backend.close()
    app = create_app(world.settings)
    if not any(getattr(route, "path", None) == "/api/v1/languages" for route in app.routes):
        app.include_router(languages_route.router, prefix="/api/v1")  # until app.py includes it
    with TestClient(app) as client:
        body = client.get("/api/v1/search", params={"q": "forêt", "lang": "fr"}).json()
        [result] = body["results"]
        assert result["id"] == "rec-1" and result["machine_translated"] is True
        assert result["translation_status"] == "machine" and result["title"] == title.text
        english = client.get("/api/v1/search", params={"q": "forest", "lang": "en"}).json()["results"][0]
        assert english["machine_translated"] is False and english["translation_status"] == "original"
        languages = client.get("/api/v1/languages").json()
    assert [lang["code"] for lang in languages["languages"]] == ["en", "fr", "es", "ru", "zh"]
    assert {
        "from": "en",
        "to": "fr",
        "model": "translate-en_fr",
        "version": "1.0",
        "status": "ok",
        "problem": None,
    } in (languages["pairs"])
    assert {"from": "es", "to": "fr", "via": "en"} in languages["reachable"]
    assert {"from": "en", "to": "fr", "via": None} in languages["reachable"]
    assert not any(pair["to"] == "zh" for pair in languages["reachable"])


def test_a_second_run_translates_nothing_and_reindexes_nothing(world: World) -> None:
    for n in range(5):
        add(world.catalogue, f"rec-{n}", "en", title=f"The forest {n}", summary=SUMMARY)
    first = world.worker.run(languages=["fr"])
    assert first.stats.translated == 7 and first.fields_current == 10  # 5 titles + 2 summary sentences
    assert first.indexed == 5
    before = world.engine.segments_translated
    second = world.worker.run(languages=["fr"])
    assert second.records_translated == 0 and second.stats.segments == 0 and second.indexed == 0
    assert world.engine.segments_translated == before


def test_unchanged_text_in_new_records_costs_no_translation(world: World) -> None:
    add(world.catalogue, "a", "en", title=TITLE, summary=SUMMARY)
    world.worker.run(languages=["fr"])
    before = world.engine.segments_translated
    add(world.catalogue, "b", "en", title=TITLE, summary=SUMMARY)  # the same texts in another record
    report = world.worker.run(languages=["fr"])
    assert report.fields_current == 2 and report.stats.translated == 0 and report.stats.from_memory == 3
    assert world.engine.segments_translated == before


def test_a_changed_source_is_translated_again_and_reviewed_versions_are_kept(world: World) -> None:
    add(world.catalogue, "r", "en", title="The forest", summary="The cat eats the fish.")
    world.worker.run(languages=["fr"])
    with world.catalogue.sessions.begin() as session:
        session.add(
            FieldText(record_id="r", field="title", language="fr", text="La Forêt", provenance="reviewed", actor="c")
        )
    add(world.catalogue, "r", "en", title="The forest", summary="The cat eats the bird.")
    texts = world.texts("r")
    assert texts["summary", "fr", "machine"].status == "stale"
    report = world.worker.run(languages=["fr"])
    texts = world.texts("r")
    summary = texts["summary", "fr", "machine"]
    assert (summary.status, summary.text, summary.version) == ("current", "La chat mange la oiseau.", 2)
    assert report.fields_current == 1  # the title has a reviewed version: not touched
    hit = world.backend.search(SearchQuery(text="oiseau", lang="fr")).hits[0]
    assert hit.source["title"]["fr"] == "La Forêt"


def test_failed_translations_leave_readers_with_the_original(world: World) -> None:
    add(world.catalogue, "bad", "en", title="The forest", summary="The cat will hallucinate today.")
    report = world.worker.run(languages=["fr"])
    assert report.fields_failed == 1 and report.fields_current == 1
    summary = world.texts("bad")["summary", "fr", "machine"]
    assert summary.status == "failed" and "repetition loop" in (summary.status_reason or "")
    doc = world.backend.get("bad")
    assert doc is not None and "fr" not in doc["summary"] and doc["title"]["fr"] == "La forêt"
    assert world.worker.run(languages=["fr"]).stats.translated == 0  # the verdict is remembered


def test_pivot_provenance_realm_filter_and_limit(world: World) -> None:
    add(world.catalogue, "es-1", "es", title="El bosque es importante")
    add(world.catalogue, "es-2", "es", title="El gato come el pez")
    record = Record(id="abs-1", realm="ABS", schema_name="absPermit", title={"es": "El río"})
    world.catalogue.upsert(record, [TextVersion("title", "es", "El río")], "es")
    report = world.worker.run(realms=["CHM"], languages=["fr"], limit=1)
    assert report.records_translated == 1
    texts = world.texts("es-1")["title", "fr", "machine"]
    assert (texts.text, texts.pivot) == ("La forêt est important", "es>en>fr")
    assert texts.model is not None and texts.model.startswith("translate-es_en 1.0 + translate-en_fr 1.0")
    assert ("title", "fr", "machine") not in world.texts("es-2")
    world.worker.run(realms=["CHM"], languages=["fr"])
    assert ("title", "fr", "machine") in world.texts("es-2")
    assert ("title", "fr", "machine") not in world.texts("abs-1")


def test_a_field_already_in_the_target_language_is_not_translated(world: World) -> None:
    record = Record(
        id="m", realm="CHM", schema_name="resource", title={"en": "The forest"}, summary={"fr": "La forêt."}
    )
    world.catalogue.upsert(
        record, [TextVersion("title", "en", "The forest"), TextVersion("summary", "fr", "La forêt.")], "en"
    )
    world.worker.run(languages=["fr", "en"])
    texts = world.texts("m")
    assert ("summary", "fr", "machine") not in texts and ("title", "en", "machine") not in texts
    assert texts["title", "fr", "machine"].text == "La forêt"
    assert texts["summary", "en", "machine"].status == "pending"  # no fr→en model
