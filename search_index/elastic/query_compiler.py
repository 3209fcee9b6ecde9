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

from analyzers.analysis import SPELLING_LANGUAGES, has_exact_form
from record_catalogue.languages import UN_LANGUAGES, UNDETERMINED
from search_index.base import (
    ALTERNATIVE_BOOST,
    FILTER_FIELDS,
    HIGHLIGHT_CLOSE,
    HIGHLIGHT_OPEN,
    SNIPPET_MAX_CHARS,
    TEXT_FIELD_BOOSTS,
    SearchQuery,
)
from search_index.elastic.mapping import (
    EXACT_SUBFIELD,
    MAX_RESULT_WINDOW,
    SOURCE_EXCLUDES,
    SPELLING_FIELD,
    SUGGEST_SUBFIELD,
)
from search_index.query_plan import (
    EXACT_FORM_BOOST,
    HAN_BIGRAM_SHARE,
    ORIGINAL_LANGUAGE_BOOST,
    SEARCHED_LANGUAGES,
    SPELLING_PREFIX,
    TextField,
    entity_kind,
    fields_for,
    filter_groups,
    fuzzy,
    han_bigrams_needed,
    has_accents,
    keyword_matches,
    parsed,
    text_fields,
    translation_terms,
    words_of,
)
from search_index.query_text import ParsedText, Term
from search_index.snippets import EDGE_CHARS

# "one edit from five letters": AUTO:low,high gives 0 edits below low, 1 below high, 2 above.
FUZZINESS = "AUTO:5,1000"

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


def _field_names(fields: Sequence[TextField]) -> list[str]:
    return [_boosted(spec.name if spec.lang is None else f"{spec.name}.{spec.lang}", spec.boost) for spec in fields]


def search_fields(lang: str) -> list[str]:
    """Every field a query runs over, with its boost (see ``query_plan`` for the semantics)."""
    return _field_names(text_fields(_check_lang(lang)))


def _option(term: Term, fields: Sequence[TextField], near: bool = True) -> dict[str, Any] | None:
    """A term in any of ``fields``: all its tokens in one field (adjacent for a phrase); the words
    of a multi-word non-phrase term each anywhere; a country's code in the record's government or
    country entities, a clearing-house's code in its realm."""
    words = words_of(term)
    if words:
        each = [_option(word, fields, near) for word in words]
        if any(query is None for query in each):
            return None
        return {"bool": {"must": each}}
    keywords = [{"term": {FILTER_TARGETS[facet]: value}} for facet, value in keyword_matches(term)]
    text = _text_option(term, fields, near)
    ways = ([text] if text is not None else []) + keywords
    return _any(ways) if ways else None


def _text_option(term: Term, fields: Sequence[TextField], near: bool) -> dict[str, Any] | None:
    if not fields:
        return None
    spec: dict[str, Any] = {"query": term.text, "fields": _field_names(fields)}
    if term.phrase:
        spec["type"] = "phrase"
    else:
        spec.update({"type": "best_fields", "operator": "and"})
        # The bigram count is only known after analysis: the share, as the engine rounds it (down).
        if han_bigrams_needed(term, len(term.text) - 1) is not None:
            spec.update({"operator": "or", "minimum_should_match": f"{HAN_BIGRAM_SHARE:.0%}"})
        if near and fuzzy(term):
            # One edit for analysed terms of five letters or more, as the embedded engine does.
            spec.update({"fuzziness": FUZZINESS, "prefix_length": 0, "fuzzy_transpositions": True})
    return {"multi_match": spec}


def _exact_forms(text: ParsedText, fields: Sequence[TextField]) -> list[dict[str, Any]]:
    """Ranking only: each word typed with accents, in the unfolded subfields."""
    exact = [
        _boosted(f"{spec.name}.{spec.lang}.{EXACT_SUBFIELD}", spec.boost * EXACT_FORM_BOOST)
        for spec in fields
        if spec.lang is not None and has_exact_form(spec.lang)
    ]
    words = [
        word
        for clause in text.required
        for option in clause.options
        for word in (words_of(option) or [option])
        if has_accents(word)
    ]
    return [{"multi_match": {"query": word.text, "fields": exact, "operator": "and"}} for word in words if exact]


def _any(queries: list[dict[str, Any]]) -> dict[str, Any]:
    return queries[0] if len(queries) == 1 else {"bool": {"should": queries, "minimum_should_match": 1}}


def build_text_query(query: SearchQuery) -> dict[str, Any]:
    """Every clause somewhere in the record (any field, any language version), its options OR-ed;
    exclusions out; each translation of the query another way in; empty text browses."""
    _check_lang(query.lang)
    text = parsed(query)
    if not text.required and not text.excluded and not query.alternatives:
        return {"match_all": {}}  # nothing to look for (empty, or only operators and punctuation): browse
    fields = text_fields(query.lang)
    clauses = [
        _any(options)
        for clause in text.required
        if (options := [q for term in clause.options if (q := _option(term, fields_for(term, fields)))])
    ]
    excluded = [q for term in text.excluded if (q := _option(term, fields_for(term, fields), near=False))]
    if not clauses and excluded and not text.required:
        clauses = [{"match_all": {}}]
    ways: list[dict[str, Any]] = []
    if clauses:
        ways.append({"bool": {"must": clauses, **({"must_not": excluded} if excluded else {})}})
    for lang, translated in query.alternatives.items():
        if lang == query.lang or lang not in UN_LANGUAGES or not translated.strip():
            continue
        own = [TextField(name, _check_lang(lang), boost) for name, boost in TEXT_FIELD_BOOSTS]
        words = [q for term in translation_terms(translated) if (q := _option(term, own))]
        if words:
            way: dict[str, Any] = {"must": words, "boost": ALTERNATIVE_BOOST}
            if excluded:
                way["must_not"] = excluded
            ways.append({"bool": way})
    if not ways:
        # Nothing to look for (only punctuation): find nothing, as the embedded engine does.
        return {"bool": {"must_not": [{"match_all": {}}]}}
    return {
        "bool": {
            "must": [_any(ways)],
            # Ranking only: records written in the reader's language first among equals, and words
            # typed with accents in their exact form.
            "should": [
                {"term": {"original_language": {"value": query.lang, "boost": ORIGINAL_LANGUAGE_BOOST}}},
                *_exact_forms(text, fields),
            ],
        }
    }


def selected_values(query: SearchQuery, facet: str) -> list[str]:
    """The values a reader selected in a facet (keyword facets only; years are a range)."""
    if facet not in FILTER_FIELDS:
        return []
    return list(dict.fromkeys(str(value) for value in query.filters.get(facet, ())))


def _filter_clauses(query: SearchQuery) -> dict[str, dict[str, Any]]:
    """One filter clause per constrained facet (entity types apart), keyed as ``filter_groups``
    keys them (``year`` for the range)."""
    clauses: dict[str, dict[str, Any]] = {
        key: {"terms": {FILTER_TARGETS[name]: values}} for key, (name, values) in filter_groups(query).items()
    }
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


# The highlight option bounding how far into a text snippets are looked for: OpenSearch (2.2+)
# and Elasticsearch (7.12+) each added one, under different names.
WINDOW_OPTION = {"opensearch": "max_analyzer_offset", "elasticsearch": "max_analyzed_offset"}


def build_highlight(window: int = 20_000, flavour: str = "opensearch") -> dict[str, Any]:
    """Snippets from whichever language versions the query matched (the reader's is picked first
    from the answer); ``encoder: html`` escapes the text so that only the highlight tags are markup.
    Titles are highlighted whole (``number_of_fragments: 0``): a card shows the title it highlights.

    Only the first ``window`` characters of a text are highlighted (``CHM_SNIPPET_WINDOW_CHARS``, as
    on Tantivy): the highlighter visits every occurrence of every matched word and breaks the text
    into sentences around each, so a record of a million characters repeating the searched words
    held a search for minutes (issue 13). The record is still found by any of its words.

    Snippets (summaries, texts) come from Lucene's plain highlighter with the span fragmenter,
    whose cost grows with the window's length; the default unified highlighter breaks the text
    into sentences around every occurrence (its bounded sentence scanner), which grows faster
    than the occurrences: a page of three records repeating the searched words through a
    20,000-character window took ~3 s with it against ~0.25 s (``bench/snippets.py``). Titles,
    highlighted whole, need no breaking and keep the unified highlighter."""
    per_field = {"type": "plain", "fragmenter": "span", "fragment_size": SNIPPET_MAX_CHARS, "number_of_fragments": 1}
    return {
        WINDOW_OPTION[flavour]: int(window),
        "pre_tags": [HIGHLIGHT_OPEN],
        "post_tags": [HIGHLIGHT_CLOSE],
        "encoder": "html",
        # Named one by one: a wildcard would also highlight the subfields (as-you-type, exact form).
        "fields": {
            f"{name}.{lang}": ({"number_of_fragments": 0} if name == "title" else dict(per_field))
            for name in ("text", "summary", "title")
            for lang in SEARCHED_LANGUAGES
        },
    }


# The full text is left out of the answer (it can be long); a snippet from it needs only to know
# whether it starts where the text starts and ends where it ends: each language's first and last
# characters are enough for that (``search_index.snippets.touches``).
TEXT_EDGES_FIELD = "text_edges"
TEXT_EDGES_SCRIPT = """
Map out = new HashMap();
def texts = params._source.text;
if (texts instanceof Map) {
  for (def entry : texts.entrySet()) {
    def value = entry.getValue();
    if (value instanceof String) {
      String text = (String) value;
      int n = text.length();
      int k = (int) params.chars;
      int head = n < k ? n : k;
      int tail = n > k ? n - k : 0;
      out.put(entry.getKey(), [text.substring(0, head), text.substring(tail)]);
    }
  }
}
return out;
"""


def build_text_edges(chars: int) -> dict[str, Any]:
    """The script field giving each language's text's first and last ``chars`` characters."""
    return {TEXT_EDGES_FIELD: {"script": {"lang": "painless", "source": TEXT_EDGES_SCRIPT, "params": {"chars": chars}}}}


def in_point_in_time(body: Mapping[str, Any], pit: str) -> dict[str, Any]:
    """A search body run in the point in time ``pit`` (the request's path then names no index)."""
    return {**body, "pit": {"id": pit, "keep_alive": PIT_KEEP_ALIVE}}


def build_search_body(query: SearchQuery, pit: str | None = None, flavour: str = "opensearch") -> dict[str, Any]:
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
        "query": build_text_query(query),
        "sort": build_sort(query.sort),
        "size": int(query.size),
        "track_total_hits": True,
        "_source": {"excludes": list(SOURCE_EXCLUDES)},
    }
    if pit is not None:
        body = in_point_in_time(body, pit)
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
    groups = filter_groups(query)
    for facet in query.facets:
        # An entity facet without its own selection is counted under every filter; each
        # selected entity type gets an aggregation of its own without that type's filter.
        own = [] if facet == "entity" else [facet]
        aggs[facet] = _facet_agg(query, facet, clauses, own, selected_values(query, facet) if own else [])
        if facet == "entity":
            for key, (_, values) in groups.items():
                kind = entity_kind(key)
                if kind is not None:
                    aggs[entity_agg_name(kind)] = _facet_agg(query, facet, clauses, [key], values, f"{kind}:.*")
    if aggs:
        body["aggs"] = aggs
    if query.highlight and query.text.strip():
        body["highlight"] = build_highlight(query.snippet_window, flavour)
        body["script_fields"] = build_text_edges(EDGE_CHARS + 16)
    return body


def entity_agg_name(kind: str) -> str:
    """The aggregation counting one selected entity type."""
    return f"entity__{kind}"


def _facet_agg(
    query: SearchQuery,
    facet: str,
    clauses: Mapping[str, dict[str, Any]],
    own: Sequence[str],
    selected: Sequence[str],
    include: str | None = None,
) -> dict[str, Any]:
    """A facet's counts under every filter but its own (``own``), with its selected values always counted."""
    terms: dict[str, Any] = {
        "field": FACET_TARGETS[facet],
        "size": int(query.facet_limit(facet)),
        "order": [{"_count": "desc"}, {"_key": "asc"}],
    }
    if include is not None:
        terms["include"] = include
    sub: dict[str, Any] = {"values": {"terms": terms}}
    if selected:
        sub["selected"] = {
            "terms": {
                "field": FACET_TARGETS[facet],
                "include": list(selected),
                "min_doc_count": 0,
                "size": len(selected),
            }
        }
    others = [clause for key, clause in clauses.items() if key not in own]
    return {"filter": _all_of(others), "aggs": sub}


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


def build_spelling_body(words: Sequence[str], languages: Sequence[str] = SPELLING_LANGUAGES) -> dict[str, Any]:
    """One request for "did you mean": per word, how many records hold it as a query would find
    it (a ``filters`` aggregation, no typo tolerance) and the term suggester's neighbours of it in
    each language's spelling field (``query_plan.closest_word`` then chooses, as on Tantivy).

    ``languages``: those the index has spelling fields for (the configured ones): a term
    suggestion on a field the mapping lacks fails the whole search."""
    fields = text_fields(UNDETERMINED)
    known: dict[str, Any] = {}
    suggest: dict[str, Any] = {}
    for number, word in enumerate(words):
        option = _option(Term(word), fields, near=False)
        known[f"w{number}"] = option if option is not None else {"match_none": {}}
        for lang in (code for code in languages if code in SPELLING_LANGUAGES):
            suggest[spelling_suggestion_name(number, lang)] = {
                "text": word,
                "term": {
                    "field": f"{SPELLING_FIELD}.{lang}",
                    "suggest_mode": "always",
                    "max_edits": 2,
                    "prefix_length": SPELLING_PREFIX,
                    "min_word_length": 1,
                    "size": 10,
                    "string_distance": "damerau_levenshtein",
                },
            }
    body: dict[str, Any] = {"size": 0, "track_total_hits": False, "query": {"match_all": {}}}
    if words:
        body["aggs"] = {"known": {"filters": {"filters": known}}}
        body["suggest"] = suggest
    return body


def spelling_suggestion_name(number: int, lang: str) -> str:
    """The name of one word's term suggestion in one language's spelling field."""
    return f"w{number}_{_check_lang(lang)}"
