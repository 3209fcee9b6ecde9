"""What the routes need (settings, catalogue, search backend, detector), built once per app.

Parts are opened lazily and re-tried on the next request, so the API starts and reports a broken
part through ``/health`` (503) instead of refusing to start.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypeVar, cast

from fastapi import Request

from analyzers.detect import LanguageDetector
from analyzers.entities.labels import thesaurus_facet_labels
from ingest.cli import make_tagger
from ingest.prepare import Tagger
from record_catalogue.db import CatalogueFailed, CatalogueUnavailable
from record_catalogue.harvest_state import HarvestState
from record_catalogue.memory_store import TranslationMemory
from record_catalogue.settings import Settings
from record_catalogue.store import Catalogue
from search_api.match_counts import MatchCounts
from search_index.base import SearchBackend
from search_index.factory import get_backend
from search_index.vocabulary import Vocabulary, catalogue_concepts, glossary_concepts
from translate.argos_engine import ArgosEngine
from translate.glossary import Glossary
from translate.query import QueryTranslator
from translate.translator import Translator

TERM_LABELS_TTL = 60.0  # seconds a process keeps the thesaurus labels before reading them again
_Part = TypeVar("_Part")


@dataclass
class Services:
    """Long-lived collaborators of the API."""

    settings: Settings
    _catalogue: Catalogue | None = None
    _backend: SearchBackend | None = None
    _detector: LanguageDetector | None = None
    _tagger: Tagger | None = None
    _query_translator: QueryTranslator | None = None
    _vocabulary: Vocabulary | None = None
    _translator: Translator | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _term_labels: tuple[float, dict[str, dict[str, str]]] | None = None
    # How many records the interpretation's widenings find, per index snapshot.
    match_counts: MatchCounts = field(default_factory=MatchCounts)

    def _part(self, name: str, make: Callable[[], _Part]) -> _Part:
        """The part held in the field ``name``, made by ``make`` the first time it is asked for
        (under the lock, so once; ``make`` must not ask for another part, the lock being held)."""
        part = cast("_Part | None", getattr(self, name))
        if part is not None:  # made: a field is set once, and reading it needs no lock
            return part
        with self._lock:
            part = cast("_Part | None", getattr(self, name))
            if part is None:
                part = make()
                setattr(self, name, part)
            return part

    @property
    def catalogue(self) -> Catalogue:
        # A request waits briefly for another writer's lock, then answers 503 + Retry-After.
        return self._part(
            "_catalogue",
            lambda: Catalogue(self.settings.catalogue_dsn, busy_timeout=self.settings.api_busy_timeout),
        )

    @property
    def backend(self) -> SearchBackend:
        return self._part("_backend", lambda: get_backend(self.settings))

    @property
    def tagger(self) -> Tagger:
        """The entity tagger for pushed records (spaCy pipelines load on first use)."""
        return self._part("_tagger", lambda: make_tagger(self.settings.languages))

    @property
    def query_translator(self) -> QueryTranslator:
        """Translates queries for cross-lingual search (models load on first use)."""
        return self._part(
            "_query_translator", lambda: QueryTranslator(ArgosEngine(beam_size=1), self.settings.languages)
        )

    @property
    def vocabulary(self) -> Vocabulary:
        """The multilingual vocabulary queries are widened with: the data file, the glossary
        (a deployment's own when ``CHM_GLOSSARY_PATH`` names it), record types, countries, targets."""
        return self._part(
            "_vocabulary",
            lambda: Vocabulary.load(extra=[*glossary_concepts(Glossary.load().rows), *catalogue_concepts()]),
        )

    @property
    def translator(self) -> Translator:
        """The translate stage for translators' tools: the worker's memory, glossary, engine and
        gate (models load on first use)."""
        catalogue = self.catalogue  # asked for before: ``_part`` holds the lock while it makes one
        detector = self.detector
        return self._part(
            "_translator",
            lambda: Translator(ArgosEngine(), TranslationMemory(catalogue.sessions), Glossary.load(), detector),
        )

    @property
    def detector(self) -> LanguageDetector:
        return self._part("_detector", lambda: LanguageDetector(self.settings.languages))

    def term_labels(self) -> dict[str, dict[str, str]]:
        """Entity facet labels from the harvested thesaurus (``chm-search harvest cbd``), read from
        the catalogue at most once a minute; none while the catalogue cannot answer."""
        now = time.monotonic()
        cached = self._term_labels
        if cached is not None and now - cached[0] < TERM_LABELS_TTL:
            return cached[1]
        try:
            labels = thesaurus_facet_labels(HarvestState(self.catalogue).labelled_terms())
        except (CatalogueUnavailable, CatalogueFailed):
            labels = cached[1] if cached is not None else {}
        self._term_labels = (now, labels)
        return labels

    def close(self) -> None:
        if self._translator is not None:
            self._translator.engine.close()
        if self._backend is not None:
            self._backend.close()
        if self._catalogue is not None:
            self._catalogue.close()


async def get_services(request: Request) -> Services:
    """FastAPI dependency: the app's Services. A coroutine, though it awaits nothing: FastAPI runs
    a plain function dependency in a worker thread, a hop (and a wait for the GIL) per request."""
    services: Services = request.app.state.services
    return services
