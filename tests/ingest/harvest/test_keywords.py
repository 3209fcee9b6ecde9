"""Thesaurus keywords of harvested records: searchable by their labels in the six languages and
facetable (``entity_keyword``), on the embedded engine with SQLite and on the suite's OpenSearch
node with PostgreSQL; labelled in the reader's language; kept through an update and a file ingest."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from analyzers.detect import LanguageDetector
from ingest.harvest import check_params, run_source
from ingest.harvest.http_client import PoliteClient, Politeness
from ingest.harvest.runner import HarvestRun
from ingest.pipeline import Pipeline
from ingest.sources.files import read_path
from ingest.tagging import RecordTagger
from record_catalogue.harvest_state import HarvestState
from record_catalogue.settings import Settings, load_settings
from record_catalogue.store import Catalogue
from search_api.app import create_app
from search_index.factory import get_backend
from tests.engines import drop_server_index
from tests.ingest.harvest.fixture_server import Doc, FixtureServer, World
from tests.ingest.harvest.worlds import TARGETS_RECORD, six, targets_record, term

MARINE = "5B6177DD-5E5E-434E-8CB7-D63D67D5EBED"
MARINE_LABELS = six(
    "التنقيب البيولوجي البحري",
    "Marine bioprospecting",
    "Bioprospección marina",
    "Bioprospection marine",
    "Морская биоразведка",
    "海洋生物勘探",
)
TRADITIONAL = "A1F1B2C3-D4E5-4F60-8A9B-0C1D2E3F4A5B"
RELATED = "62352A59-805B-46AB-B767-74A97D50ADF1"
TRADITIONAL_LABELS = {"en": "Traditional knowledge", "fr": "Connaissances traditionnelles"}


def keyword_world() -> World:
    world = World()
    body = targets_record()
    body["keywords"] = [{"identifier": MARINE}, {"identifier": TRADITIONAL}]
    body["relatedRecords"] = [{"identifier": RELATED}]  # a reference the thesaurus does not know: no facet
    world.docs[TARGETS_RECORD] = Doc(TARGETS_RECORD, "absPermit", "2023-05-02T09:00:00Z", body)
    world.terms = {"keywords": [term(MARINE, MARINE_LABELS, 901), term(TRADITIONAL, TRADITIONAL_LABELS, 902)]}
    return world


@pytest.fixture
def settings(tmp_path: Path, stack: dict[str, Any]) -> Iterator[Settings]:
    settings = load_settings(data_dir=tmp_path / "data", **stack)
    yield settings
    drop_server_index(settings)


@pytest.fixture
def pipeline(settings: Settings) -> Iterator[Pipeline]:
    backend = get_backend(settings)
    backend.ensure_index()
    catalogue = Catalogue(settings.catalogue_dsn)
    yield Pipeline(
        catalogue,
        backend,
        LanguageDetector(settings.languages),
        settings.languages,
        tagger=RecordTagger(settings.languages),
    )
    backend.close()
    catalogue.close()


def harvest(pipeline: Pipeline, url: str) -> HarvestRun:
    state = HarvestState(pipeline.catalogue)
    source = state.ensure_source("cbd-abs", "cbd", url, check_params("cbd", url, {"realm": "ABS"}))
    with PoliteClient(Politeness(rate=500, retries=0)) as polite:
        return run_source(pipeline, state, source, pipeline.catalogue.new_run_id(), client=polite)


def search(settings: Settings, **params: Any) -> dict[str, Any]:
    with TestClient(create_app(settings)) as client:
        response = client.get("/api/v1/search", params=params)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def found(settings: Settings, q: str, lang: str) -> list[str]:
    return [hit["id"] for hit in search(settings, q=q, lang=lang)["results"]]


def keyword_facet(settings: Settings, lang: str) -> dict[str, str]:
    facets = search(settings, q="sponges", lang=lang)["facets"]
    return {value["value"]: value["label"] for value in facets.get("entity_keyword", [])}


def test_keywords_are_searchable_and_facets_in_every_language(
    settings: Settings, pipeline: Pipeline, serve: Callable[[World], FixtureServer], tmp_path: Path
) -> None:
    world = keyword_world()
    server = serve(world)
    run = harvest(pipeline, server.url)
    assert run.counts.created == 1 and run.stopped is None
    row = pipeline.catalogue.get(TARGETS_RECORD)
    assert row is not None
    labels = {(e.entity_id, e.language): e.text for e in row.entities if e.type == "keyword"}
    marine, traditional = MARINE.lower(), TRADITIONAL.lower()
    assert labels[(marine, "")] == MARINE  # the reference, as the record wrote it
    assert {lang: labels[(marine, lang)] for lang in MARINE_LABELS} == MARINE_LABELS
    assert {lang for (entity, lang) in labels if entity == traditional} == {"", "en", "fr"}
    assert {lang for (entity, lang) in labels if entity == RELATED.lower()} == {""}  # kept, never labelled

    # found by a keyword's label in any of the six languages, whatever the reader's language
    for lang, label in MARINE_LABELS.items():
        assert found(settings, label, "ru" if lang != "ru" else "en") == [TARGETS_RECORD], (lang, label)
    assert found(settings, "Connaissances traditionnelles", "zh") == [TARGETS_RECORD]
    assert found(settings, "Bioprospection traditionnelles", "en") == [TARGETS_RECORD]  # words of two keywords
    # a keyword's labels are not a version of the record: it stays English with pending translations
    hit = search(settings, q="sponges", lang="fr")["results"][0]
    assert hit["original_language"] == "en" and hit["translation_status"] == "pending"

    # one facet value per keyword, labelled in the reader's language (English where the thesaurus has none)
    assert keyword_facet(settings, "fr") == {
        f"keyword:{marine}": "Bioprospection marine",
        f"keyword:{traditional}": "Connaissances traditionnelles",
    }
    assert keyword_facet(settings, "zh") == {
        f"keyword:{marine}": "海洋生物勘探",
        f"keyword:{traditional}": "Traditional knowledge",
    }
    narrowed = search(settings, q="", lang="en", entity=f"keyword:{marine}")
    assert narrowed["total"] == 1 and narrowed["results"][0]["id"] == TARGETS_RECORD

    # shown on the card (the result's keywords) and on the record's page, in the reader's language
    card = search(settings, q="sponges", lang="fr")["results"][0]
    assert card["keywords"] == [
        {"value": f"keyword:{marine}", "label": "Bioprospection marine"},
        {"value": f"keyword:{traditional}", "label": "Connaissances traditionnelles"},
    ]
    with TestClient(create_app(settings)) as client:
        exported = client.get("/api/v1/search/export", params={"q": "sponges", "lang": "fr", "format": "json"})
        assert exported.status_code == 200, exported.text
        assert exported.json()["results"][0]["keywords"] == card["keywords"]  # the export labels them too
        page = client.get(f"/record/{TARGETS_RECORD}", params={"lang": "ar"}).text
        french = client.get(f"/record/{TARGETS_RECORD}", params={"lang": "fr"}).text
    assert "<dt>الكلمات المفتاحية</dt><dd><bdi>التنقيب البيولوجي البحري، Traditional knowledge</bdi></dd>" in page
    assert "<dt>Mots-clés</dt><dd><bdi>Bioprospection marine, Connaissances traditionnelles</bdi></dd>" in french

    # changed at the source: the update keeps its keywords' labels (the thesaurus is not asked again)
    world.log.clear()
    changed = copy.deepcopy(world.docs[TARGETS_RECORD].body)
    changed["title"] = {"en": "Access permit for bioprospecting of marine sponges and corals"}
    world.docs[TARGETS_RECORD] = Doc(TARGETS_RECORD, "absPermit", "2023-06-02T09:00:00Z", changed)
    again = harvest(pipeline, server.url)
    assert again.counts.updated == 1 and world.requests("/api/v2013/thesaurus/") == []
    assert found(settings, "Морская биоразведка", "ar") == [TARGETS_RECORD]

    # a CBD record ingested from a file gets the labels the thesaurus gave earlier
    other = copy.deepcopy(changed)
    other["header"]["identifier"] = "0E6A1C2B-7D8F-4A9B-8C1D-2E3F4A5B6C7D"
    other["title"] = {"en": "Permit for the collection of seaweed samples"}
    other["keywords"] = [{"identifier": MARINE}]
    path = tmp_path / "permit.json"
    path.write_text(json.dumps(other), encoding="utf-8")
    report = pipeline.run(read_path(path, realm_hint="ABS"))
    assert (report.created, report.errors) == (1, 0), pipeline.catalogue.errors()
    assert sorted(found(settings, "Bioprospección marina", "en")) == sorted(
        [TARGETS_RECORD, "0E6A1C2B-7D8F-4A9B-8C1D-2E3F4A5B6C7D"]
    )
