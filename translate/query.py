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

from translate.engines import Routes, TranslationEngine, TranslationError

CACHE_SIZE = 2048
MODELS_TTL = 60.0
MAX_QUERY_CHARS = 300


class QueryTranslator:
    """``translations("forêt", "fr")`` → ``{"en": "forest", ...}`` for every reachable language."""

    def __init__(self, engine: TranslationEngine, languages: Sequence[str]) -> None:
        self.engine = engine
        self.languages = tuple(languages)
        self._lock = threading.Lock()
        self._cache: OrderedDict[tuple[str, str], dict[str, str]] = OrderedDict()
        self._routes: tuple[float, Routes] | None = None

    def _current_routes(self, lang: str) -> Routes:
        now = time.monotonic()
        if self._routes is None or now - self._routes[0] > MODELS_TTL:
            pairs = [(lang, other) for other in self.languages if other != lang]
            self._routes = (now, self.engine.routes(pairs))
        return self._routes[1]

    def translations(self, text: str, lang: str) -> dict[str, str]:
        """The query in each other configured language a model route reaches (empty if none)."""
        text = " ".join(text.split())[:MAX_QUERY_CHARS]
        if not text:
            return {}
        with self._lock:
            cached = self._cache.get((text, lang))
            if cached is not None:
                self._cache.move_to_end((text, lang))
                return cached
            routes = self._current_routes(lang)
            found: dict[str, str] = {}
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
                    found[other] = current
            self._cache[(text, lang)] = found
            if len(self._cache) > CACHE_SIZE:
                self._cache.popitem(last=False)
            return found
