"""The query compiler: a validated ``SearchQuery`` becomes a search request body.

Pure functions of validated parameters, shared by Elasticsearch 9 and OpenSearch, so the requests
can be checked as data without a node. User text only ever reaches ``multi_match`` /
``match_bool_prefix`` queries, which analyse it per field; it never reaches a query-string parser
(``query_string``, ``simple_query_string``), so no input can change the query's structure or raise
a parse error.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from record_catalogue.languages import UNDETERMINED
from search_index.base import (
    ALTERNATIVE_BOOST,
    FILTER_FIELDS,
    HIGHLIGHT_CLOSE,
    HIGHLIGHT_OPEN,
    NAMES_BOOST,
    SNIPPET_MAX_CHARS,
    TEXT_FIELD_BOOSTS,
    SearchQuery,
)
from search_index.elastic.mapping import MAX_RESULT_WINDOW, SOURCE_EXCLUDES, SUGGEST_SUBFIELD

# Where each filter/facet of the query model lives in the index.
FILTER_TARGETS: dict[str, str] = {
    "realm": "realm",
    "schema": "schema",
    "government": "government",
    "original_language": "original_language",
    "entity": "entities",
}
FACET_TARGETS: dict[str, str] = {**FILTER_TARGETS, "year": "year"}

# How long a point in time stays open between two pages of a cursor.
PIT_KEEP_ALIVE = "5m"

_LANG_RE = re.compile(r"^[a-z]{2,3}$")


# -- searches ----------------------------------------------------------------------------------


def _check_lang(lang: str) -> str:
    # The language becomes part of field names; refuse anything that is not a plain code.
    if not _LANG_RE.match(lang):
        raise ValueError(f"invalid language code {lang!r}")
    return lang


def _boosted(field: str, boost: float) -> str:
    return f"{field}^{boost:g}"


def search_fields(lang: str) -> list[str]:
    """The fields a text query runs over, with their boosts (see ``base`` for the semantics)."""
    _check_lang(lang)
    return [_boosted(f"{name}.{lang}", boost) for name, boost in TEXT_FIELD_BOOSTS] + [_boosted("names", NAMES_BOOST)]


def build_text_query(text: str, lang: str, alternatives: Mapping[str, str] | None = None) -> dict[str, Any]:
    """Every token in one of the fields (``operator: and``), best field scoring; nothing to
    match means browsing, so empty text matches everything. Each translation of the text
    (``alternatives``) matches its language's fields in records with no ``lang`` version yet."""
    fields = search_fields(lang)
    if not text.strip():
        return {"match_all": {}}
    primary = {"multi_match": {"query": text, "type": "best_fields", "operator": "and", "fields": fields}}
    options: list[dict[str, Any]] = [primary]
    for other, translated in (alternatives or {}).items():
        if other == lang or not translated.strip():
            continue
        _check_lang(other)
        other_fields = [_boosted(f"{name}.{other}", boost) for name, boost in TEXT_FIELD_BOOSTS]
        options.append(
            {
                "bool": {
                    "must": [
                        {
                            "multi_match": {
                                "query": translated,
                                "type": "best_fields",
                                "operator": "and",
                                "fields": other_fields,
                            }
                        }
                    ],
                    "must_not": [{"term": {"languages": lang}}],
                    "boost": ALTERNATIVE_BOOST,
                }
            }
        )
    if len(options) == 1:
        return primary
    return {"bool": {"should": options, "minimum_should_match": 1}}


def selected_values(query: SearchQuery, facet: str) -> list[str]:
    """The values a reader selected in a facet (keyword facets only; years are a range)."""
    if facet not in FILTER_FIELDS:
        return []
    return list(dict.fromkeys(str(value) for value in query.filters.get(facet, ())))


def _filter_clauses(query: SearchQuery) -> dict[str, dict[str, Any]]:
    """One filter clause per constrained facet, keyed by facet name (``year`` for the range)."""
    clauses: dict[str, dict[str, Any]] = {}
    for name in FILTER_FIELDS:
        values = list(dict.fromkeys(str(value) for value in query.filters.get(name, ())))
        if values:
            clauses[name] = {"terms": {FILTER_TARGETS[name]: values}}
    bounds: dict[str, int] = {}
    if query.year_from is not None:
        bounds["gte"] = int(query.year_from)
    if query.year_to is not None:
        bounds["lte"] = int(query.year_to)
    if bounds:
        clauses["year"] = {"range": {"year": bounds}}
    return clauses


def _all_of(clauses: list[dict[str, Any]]) -> dict[str, Any]:
    return {"bool": {"filter": clauses}} if clauses else {"match_all": {}}


def build_sort(sort: str) -> list[dict[str, Any]]:
    """Sort keys; ``id`` last so that the order is total and ``search_after`` cursors are exact."""
    if sort == "newest":
        return [{"date": {"order": "desc", "missing": "_last"}}, {"id": {"order": "asc"}}]
    if sort == "relevance":
        return [{"_score": {"order": "desc"}}, {"id": {"order": "asc"}}]
    raise ValueError(f"unknown sort {sort!r}; use relevance or newest")


def build_highlight(lang: str, alternatives: Sequence[str] = ()) -> dict[str, Any]:
    """Snippets in the reader's language (and in the languages the query was translated into);
    ``encoder: html`` escapes the text so that only the highlight tags are markup."""
    languages = [_check_lang(code) for code in dict.fromkeys([lang, *alternatives])]
    per_field = {"fragment_size": SNIPPET_MAX_CHARS, "number_of_fragments": 1}
    return {
        "pre_tags": [HIGHLIGHT_OPEN],
        "post_tags": [HIGHLIGHT_CLOSE],
        "encoder": "html",
        "fields": {f"{name}.{code}": dict(per_field) for code in languages for name in ("text", "summary", "title")},
    }


def build_search_body(query: SearchQuery, pit: str | None = None) -> dict[str, Any]:
    """The search request for a validated query.

    Multi-select facets: every filter goes in ``post_filter`` (it narrows the hits, not the
    aggregations), and each facet's aggregation sits in a ``filter`` aggregation holding the
    filters of the *other* facets, so a facet's own selection never hides its other values; a
    second ``terms`` aggregation restricted to the selected values counts them even when they fall
    to 0 (a reader must still see, and be able to clear, what they selected). With ``pit`` the
    request runs in that point in time (the path then names no index).
    """
    clauses = _filter_clauses(query)
    body: dict[str, Any] = {
        "query": build_text_query(query.text, query.lang, query.alternatives),
        "sort": build_sort(query.sort),
        "size": int(query.size),
        "track_total_hits": True,
        "_source": {"excludes": list(SOURCE_EXCLUDES)},
    }
    if pit is not None:
        body["pit"] = {"id": pit, "keep_alive": PIT_KEEP_ALIVE}
    if query.search_after is not None:
        # The engines refuse a non-zero ``from`` together with ``search_after``.
        if query.size > MAX_RESULT_WINDOW:
            raise ValueError(f"size may not exceed {MAX_RESULT_WINDOW}")
        body["search_after"] = list(query.search_after)
    else:
        if query.offset + query.size > MAX_RESULT_WINDOW:
            raise ValueError(
                f"offset + size may not exceed {MAX_RESULT_WINDOW}; page deeper with a cursor (search_after)"
            )
        body["from"] = int(query.offset)
    if clauses:
        body["post_filter"] = _all_of(list(clauses.values()))
    aggs: dict[str, Any] = {}
    for facet in query.facets:
        others = [clause for name, clause in clauses.items() if name != facet]
        sub: dict[str, Any] = {
            "values": {
                "terms": {
                    "field": FACET_TARGETS[facet],
                    "size": int(query.facet_limit(facet)),
                    "order": [{"_count": "desc"}, {"_key": "asc"}],
                }
            }
        }
        selected = selected_values(query, facet)
        if selected:
            sub["selected"] = {
                "terms": {
                    "field": FACET_TARGETS[facet],
                    "include": selected,
                    "min_doc_count": 0,
                    "size": len(selected),
                }
            }
        aggs[facet] = {"filter": _all_of(others), "aggs": sub}
    if aggs:
        body["aggs"] = aggs
    if query.highlight and query.text.strip():
        body["highlight"] = build_highlight(query.lang, list(query.alternatives))
    return body


def suggest_fields(lang: str) -> list[str]:
    """The as-you-type fields of a language: the field and its shingle subfields (the prefix
    subfield is used by ``bool_prefix`` on its own)."""
    base = f"title.{_check_lang(lang)}.{SUGGEST_SUBFIELD}"
    return [base, f"{base}._2gram", f"{base}._3gram"]


def build_suggest_body(prefix: str, lang: str, size: int) -> dict[str, Any]:
    """Titles whose words start with what the reader typed: every typed word must appear, the last
    one as a prefix; in ``lang``, in undetermined-language titles, or through a document's
    language-neutral names (e.g. a decision symbol) with its title in ``lang``.

    ``size`` asks for more documents than completions wanted, because several documents can share
    one title and completions are distinct.
    """
    fetch = min(max(int(size) * 5, 20), 100)
    should: list[dict[str, Any]] = [
        {"multi_match": {"query": prefix, "type": "bool_prefix", "operator": "and", "fields": fields}}
        for fields in (suggest_fields(lang), suggest_fields(UNDETERMINED))
    ]
    should.append({"match_bool_prefix": {"names": {"query": prefix, "operator": "and"}}})
    return {
        "query": {"bool": {"should": should, "minimum_should_match": 1}},
        "size": fetch,
        "sort": build_sort("relevance"),
        "_source": {"includes": [f"title.{lang}", f"title.{UNDETERMINED}"]},
        "track_total_hits": False,
    }
