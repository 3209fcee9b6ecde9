"""How the API understands a reader's query before the engine sees it, and how it explains that.

The words are parsed (phrases, exclusions, OR), widened by the multilingual vocabulary (treaty
terms, record types, countries, targets, synonyms and acronyms: no model needed), and translated
into the other languages where models are installed, from the language the query is written in
(detected; the page's language when detection is unsure). The response's ``interpretation``
says all of it, with how many records each widening finds on its own, so a reader can tell why a
result is there. A query that finds little gets a "did you mean" built from words the index
itself holds (``SearchBackend.spelling``), offered only when it finds more.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import Any

from record_catalogue.languages import UNDETERMINED
from search_api.errors import ApiError
from search_api.services import Services
from search_index.base import SearchQuery
from search_index.query_plan import entity_kind, filter_groups, words_of
from search_index.query_text import Clause, ParsedText, QueryTextError, parse_query_text
from translate.query import QueryTranslation

# Below this, a query's language is not trusted: the page's language is taken as the query's.
QUERY_LANGUAGE_CONFIDENCE = 0.9
NOTHING = ParsedText(required=())
# A query with fewer results than this gets a "did you mean" when one of its words is misspelt.
SPELLING_BELOW = 5


@dataclass(frozen=True)
class Understood:
    """A query as the engines will run it."""

    parsed: ParsedText
    expansions: list[Any]  # search_index.vocabulary.Expansion
    translations: list[QueryTranslation]
    query_language: str


def understand(services: Services, q: str, lang: str, translate: bool) -> Understood:
    """Parse, widen with the vocabulary, translate; a query that cannot be used is a 422."""
    try:
        parsed = parse_query_text(q)
    except QueryTextError as exc:
        raise ApiError(422, "invalid_query", f"q: {exc}") from None
    parsed, expansions = services.vocabulary.expand(parsed)
    query_language = UNDETERMINED
    if q.strip():
        detected = services.detector.detect(q)
        if detected.language in services.settings.languages and detected.confidence >= QUERY_LANGUAGE_CONFIDENCE:
            query_language = detected.language
    translations: list[QueryTranslation] = []
    if translate and parsed.required:
        source = query_language if query_language != UNDETERMINED else lang
        translations = services.query_translator.translate(q, source)
    return Understood(parsed, list(expansions), translations, query_language)


# The reader's language a count is asked with when it makes no difference (see ``_count``).
COUNTED_AS = "en"


def _count(services: Services, query: SearchQuery) -> int:
    # No hits, no facets: only the total (engines then skip ranking altogether). Remembered for
    # the index snapshot it was counted on (``search_api.match_counts``): a widening's count
    # recurs across readers' queries, and costs a pass over every record it matches. The text as
    # typed goes (engines read the parsed query; the text only decides highlighting, off here).
    # What a query finds does not depend on the reader's language (it only ranks) nor on the order:
    # without a translation to leave out for the reader's own language, readers of every
    # language share one count.
    probe = replace(
        query,
        text="",
        lang=query.lang if query.alternatives else COUNTED_AS,
        sort="relevance",
        size=0,
        offset=0,
        search_after=None,
        point_in_time=None,
        facets=(),
        highlight=False,
    )
    backend = services.backend
    snapshot = backend.snapshot()  # before the search: the count is of this state or a newer one
    return services.match_counts.get(snapshot, repr(probe), lambda: backend.search(probe).total)


def _without(query: SearchQuery, key: str) -> SearchQuery:
    """The query without one filter group (a facet, an entity type, or the year range)."""
    if key == "year":
        return replace(query, year_from=None, year_to=None)
    kind = entity_kind(key)
    filters = dict(query.filters)
    if kind is None:
        filters.pop(key, None)
    else:
        kept = [value for value in filters.get("entity", ()) if not str(value).startswith(f"{kind}:")]
        filters["entity"] = kept
    return replace(query, filters={name: values for name, values in filters.items() if values})


def interpretation(services: Services, query: SearchQuery, understood: Understood, total: int) -> dict[str, Any]:
    """The response's ``interpretation``, with the counts that explain each widening: an
    ``Interpretation``'s fields in its order, as the response serialises them."""
    translations = [
        {
            "language": found.language,
            "text": found.text,
            "pair": found.pair,
            "model": found.model,
            "matched": _count(services, replace(query, parsed=NOTHING, alternatives={found.language: found.text})),
        }
        for found in understood.translations
    ]
    expansions = []
    for expansion in understood.expansions:
        alone = ParsedText(required=(Clause(options=tuple(expansion.added), typed=expansion.typed),))
        expansions.append(
            {
                "typed": expansion.typed,
                "concept": expansion.concept,
                "source": expansion.source,
                "added": [{"text": term.text, "language": term.lang} for term in expansion.added],
                "matched": _count(services, replace(query, parsed=alone, alternatives={})) if expansion.added else 0,
            }
        )
    without_filter = []
    if total == 0:
        selected = {key: values for key, (_, values) in filter_groups(query).items()}
        if query.year_from is not None or query.year_to is not None:
            selected["year"] = [str(v) for v in (query.year_from, query.year_to) if v is not None]
        for key, values in selected.items():
            without_filter.append({"filter": key, "values": values, "total": _count(services, _without(query, key))})
    languages = [*services.settings.languages, UNDETERMINED]
    spelling = did_you_mean(services, query, understood, total) if total < SPELLING_BELOW else None
    return {
        "query_language": understood.query_language,
        "languages_searched": languages if understood.parsed.required or query.alternatives else [],
        "translations": translations,
        "expansions": expansions,
        "ignored": list(understood.parsed.ignored),
        "without_filter": without_filter,
        "did_you_mean": spelling,
    }


def typed_words(parsed: ParsedText) -> list[str]:
    """The words the reader typed (not the vocabulary's), in order, each once."""
    words: dict[str, None] = {}
    for clause in parsed.required:
        typed = clause.options[0]
        if typed.lang is not None:
            continue
        for term in words_of(typed) or [typed]:
            words.update(dict.fromkeys(term.text.split()))
    return list(words)


def corrected(q: str, corrections: dict[str, str]) -> str:
    """``q`` with each corrected word replaced wherever it stands alone (a capital kept)."""
    for word, correction in corrections.items():
        replacement = correction[:1].upper() + correction[1:] if word[:1].isupper() else correction
        q = re.sub(rf"(?<!\w){re.escape(word)}(?!\w)", replacement.replace("\\", "\\\\"), q)
    return q


def did_you_mean(services: Services, query: SearchQuery, understood: Understood, total: int) -> dict[str, Any] | None:
    """The query with its misspelt words replaced by the closest words of the index, and what it
    finds, when it finds more than the query as typed; else None."""
    words = typed_words(understood.parsed)
    corrections = services.backend.spelling(words) if words else {}
    if not corrections:
        return None
    text = corrected(query.text, corrections)
    parsed, _ = services.vocabulary.expand(parse_query_text(text))
    found = _count(services, replace(query, text=text, parsed=parsed, alternatives={}))
    return {"text": text, "total": found} if found > total else None
