"""Translating a reader's query into the other languages, for cross-lingual search.

A record with no version in the reader's language yet is still found when the query, translated
into the record's language, matches it. Queries are not content: they never enter the
translation memory (which curators review) and skip the sanity gate; repeated queries come from
a small in-process cache instead, and the list of installed models is re-read once a minute.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass

from translate.engines import Routes, TranslationEngine, TranslationError

CACHE_SIZE = 2048
MODELS_TTL = 60.0
MAX_QUERY_CHARS = 300


@dataclass(frozen=True)
class QueryTranslation:
    """The query in one other language, and how it got there (for the search's ``interpretation``)."""

    language: str
    text: str
    pair: str  # e.g. "fr>en", or "fr>en>zh" through a pivot
    model: str


class QueryTranslator:
    """``translations("forêt", "fr")`` → ``{"en": "forest", ...}`` for every reachable language."""

    def __init__(self, engine: TranslationEngine, languages: Sequence[str]) -> None:
        self.engine = engine
        self.languages = tuple(languages)
        self._lock = threading.Lock()
        self._cache: OrderedDict[tuple[str, str], list[QueryTranslation]] = OrderedDict()
        self._routes: dict[str, tuple[float, Routes]] = {}

    def _current_routes(self, lang: str) -> Routes:
        now = time.monotonic()
        held = self._routes.get(lang)
        if held is None or now - held[0] > MODELS_TTL:
            pairs = [(lang, other) for other in self.languages if other != lang]
            held = self._routes[lang] = (now, self.engine.routes(pairs))
        return held[1]

    def translate(self, text: str, lang: str) -> list[QueryTranslation]:
        """The query in each other configured language a model route reaches (empty if none)."""
        text = " ".join(text.split())[:MAX_QUERY_CHARS]
        if not text:
            return []
        with self._lock:
            cached = self._cache.get((text, lang))
            if cached is not None:
                self._cache.move_to_end((text, lang))
                return cached
            routes = self._current_routes(lang)
            found: list[QueryTranslation] = []
            for other in self.languages:
                route = routes.find(lang, other) if other != lang else None
                if route is None:
                    continue
                current = text
                try:
                    for step in route.steps:
                        current = self.engine.translate(step.source, step.target, [current])[0]
                except TranslationError:
                    continue
                current = " ".join(current.split())
                if current and current.casefold() != text.casefold():
                    found.append(QueryTranslation(other, current, route.pivot or f"{lang}>{other}", route.model_label))
            self._cache[(text, lang)] = found
            if len(self._cache) > CACHE_SIZE:
                self._cache.popitem(last=False)
            return found

    def translations(self, text: str, lang: str) -> dict[str, str]:
        """``{language: translated query}`` (see ``translate``)."""
        return {found.language: found.text for found in self.translate(text, lang)}
