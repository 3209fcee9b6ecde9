"""A world for curation tests: a real catalogue, the real embedded index, the real tiny Argos model,
the translate worker and the API, in one data directory, with curator keys.

The Argos fixtures (``models``, ``engine``) are those of ``tests/translate``: the package is built
once per builder version and installed once per session. The model translates en→fr word by word
(``devtools.argos_models.Lexicon``), so every expected French text below is predictable.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from analyzers.detect import LanguageDetector
from ingest.pipeline import Pipeline
from record_catalogue.keys import KeyStore
from record_catalogue.memory_store import TranslationMemory
from record_catalogue.models import FieldText
from record_catalogue.record import Record
from record_catalogue.settings import Settings, load_settings
from record_catalogue.store import Catalogue
from search_api.app import create_app
from search_index.factory import get_backend
from tests.engines import drop_server_index
from tests.translate import conftest as translate_fixtures
from translate.argos_engine import ArgosEngine
from translate.curation import Curation
from translate.glossary import Glossary
from translate.translator import Translator
from translate.worker import TranslateReport, TranslateWorker

LANGUAGES = "en,fr,es"
# Sentences the test model translates word by word (MACHINE is FOREST in French) and a curator's
# correction of it: what the curation suites and the LibreTranslate suite translate and review.
FOREST = "The forest is protected."
MACHINE = "La forêt est protégée."
CORRECTED = "La forêt est strictement protégée."
RIVER = "The river is green."
CAT = "The cat eats the fish."
DIVERSITY = "The biological diversity is protected."
# The session's Argos fixtures, shared with tests/translate (the package is built once, cached).
models = translate_fixtures.models
engine = translate_fixtures.engine


@dataclass(frozen=True)
class Doc:
    """A record to ingest: English title (and summary), realm and country."""

    id: str
    title: str
    summary: str | None = None
    realm: str = "CHM"
    government: str | None = None

    def record(self) -> Record:
        schema = {"CHM": "resource", "ABS": "absPermit", "BCH": "biosafetyLaw"}[self.realm]
        fields: dict[str, Any] = {"title": {"en": self.title}}
        if self.summary is not None:
            fields["summary"] = {"en": self.summary}
        return Record.model_validate(
            {"id": self.id, "realm": self.realm, "schema_name": schema, "government": self.government, **fields}
        )


class World:
    """Everything a curator's day touches, over one data directory."""

    def __init__(self, settings: Settings, translation_engine: ArgosEngine) -> None:
        self.settings = settings
        self.catalogue = Catalogue(settings.catalogue_dsn)
        self.backend = get_backend(settings)
        self.backend.ensure_index()
        self.detector = LanguageDetector(settings.languages)
        self.pipeline = Pipeline(self.catalogue, self.backend, self.detector, settings.languages)
        self.translator = Translator(translation_engine, TranslationMemory(self.catalogue.sessions), Glossary.load())
        self.worker = TranslateWorker(self.catalogue, self.backend, self.translator, settings.languages)
        self.curation = Curation(self.catalogue, self.backend, Glossary.load(), self.detector)
        keys = KeyStore(self.catalogue)
        self.keys = {
            "ana": keys.create("Ana (Secretariat)", "curator"),
            "ben": keys.create("Ben (Secretariat)", "curator"),
            "root": keys.create("Ops", "admin"),
            "partner": keys.create("Peru CHM", "ingest"),
        }
        self.app = create_app(settings)
        # One embedded index object for the API and the worker, as if they ran in one process: the
        # API then searches what the worker committed without waiting for a reader reload.
        self.app.state.services._backend = self.backend
        self.client = TestClient(self.app)

    def ingest(self, *docs: Doc) -> dict[str, int]:
        """Through the real pipeline (detection, content hash, stale marking), as ``chm-search ingest``."""
        report = self.pipeline.run(doc.record() for doc in docs)
        return {"created": report.created, "updated": report.updated, "unchanged": report.unchanged}

    def translate(self, languages: tuple[str, ...] = ("fr",)) -> TranslateReport:
        return self.worker.run(languages=list(languages))

    def headers(self, who: str) -> dict[str, str]:
        return {"X-API-Key": self.keys[who]}

    def queue(self, who: str = "ana", **params: Any) -> dict[str, Any]:
        response = self.client.get("/api/v1/translations", params=params, headers=self.headers(who))
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    def item_for(self, source_text: str, status: str = "machine", lang: str = "fr") -> dict[str, Any]:
        items = [i for i in self.queue(status=status, lang=lang, size=100)["items"] if i["source_text"] == source_text]
        assert len(items) == 1, f"{source_text!r} not once in the {status} queue"
        return items[0]

    def put(self, who: str, entry_id: int, **body: Any) -> Any:
        return self.client.put(f"/api/v1/translations/{entry_id}", json=body, headers=self.headers(who))

    def search(self, q: str, lang: str = "fr", **params: Any) -> list[dict[str, Any]]:
        response = self.client.get("/api/v1/search", params={"q": q, "lang": lang, **params})
        assert response.status_code == 200, response.text
        results: list[dict[str, Any]] = response.json()["results"]
        return results

    def texts(self, record_id: str) -> dict[tuple[str, str, str], FieldText]:
        row = self.catalogue.get(record_id)
        assert row is not None
        return {(t.field, t.language, t.provenance): t for t in row.texts}

    def close(self) -> None:
        self.client.close()
        self.app.state.services.close()  # the API's catalogue (and its own index, if it opened one)
        self.backend.close()
        self.catalogue.close()


def eventually(check: Callable[[], bool], seconds: float = 5.0) -> bool:
    """Whether ``check`` holds within ``seconds`` (an index written by another object reloads shortly after)."""
    deadline = time.monotonic() + seconds
    while not check():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


@pytest.fixture
def world(tmp_path: Path, engine: ArgosEngine, stack: dict[str, Any]) -> Iterator[World]:
    settings = load_settings(
        data_dir=tmp_path / "data",
        languages=LANGUAGES,
        **stack,
    )
    built = World(settings, engine)
    yield built
    built.close()
    drop_server_index(settings)
