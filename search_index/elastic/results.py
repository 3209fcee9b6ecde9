"""Turning the engines' answers into the engine-neutral types of :mod:`search_index.base`."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from analyzers.analysis import SPELLING_LANGUAGES
from record_catalogue.languages import UNDETERMINED
from search_index.base import Hit, SearchQuery, SearchResults
from search_index.documents import snippet_languages
from search_index.elastic.clients import describe_error
from search_index.elastic.query_compiler import (
    TEXT_EDGES_FIELD,
    entity_agg_name,
    selected_values,
    spelling_suggestion_name,
)
from search_index.query_plan import closest_word, entity_kind, filter_groups
from search_index.snippets import plain, touches, with_ellipsis


def bulk_item_reason(item: Mapping[str, Any]) -> str:
    """Why the engine refused one document of a bulk request, in one line."""
    return describe_error(item.get("error")) or f"status {item.get('status', '?')}"


def _counts(agg: Mapping[str, Any]) -> dict[str, int]:
    pairs = {
        str(b.get("key_as_string", b["key"])): int(b["doc_count"]) for b in agg.get("values", {}).get("buckets", [])
    }
    for bucket in agg.get("selected", {}).get("buckets", []):
        pairs.setdefault(str(bucket.get("key_as_string", bucket["key"])), int(bucket["doc_count"]))
    return pairs


def parse_facets(
    aggregations: Mapping[str, Any], facets: Iterable[str], query: SearchQuery | None = None
) -> dict[str, list[tuple[str, int]]]:
    """Facet counts as ``(value, count)``, most frequent first, ties by value; a selected value
    is always listed, with its count even when that is 0. Entity types with a selection are
    counted by their own aggregation (``entity__<type>``)."""
    groups = filter_groups(query) if query is not None else {}
    result: dict[str, list[tuple[str, int]]] = {}
    for facet in facets:
        pairs = _counts(aggregations.get(facet, {}))
        if query is not None:
            if facet == "entity":
                for key, (_, selected) in groups.items():
                    kind = entity_kind(key)
                    if kind is None:
                        continue
                    pairs = {v: c for v, c in pairs.items() if not v.startswith(f"{kind}:")}
                    pairs.update(_counts(aggregations.get(entity_agg_name(kind), {})))
                    for value in selected:
                        pairs.setdefault(value, 0)
            else:
                for value in selected_values(query, facet):
                    pairs.setdefault(value, 0)
        result[facet] = sorted(pairs.items(), key=lambda pair: (-pair[1], pair[0]))
    return result


def text_edges(raw: Mapping[str, Any]) -> dict[str, tuple[str, str]]:
    """Each language's text's first and last characters, from the hit's script field."""
    values = (raw.get("fields") or {}).get(TEXT_EDGES_FIELD) or []
    found = values[0] if values and isinstance(values[0], Mapping) else {}
    return {
        str(code): (str(pair[0]), str(pair[1]))
        for code, pair in found.items()
        if isinstance(pair, Sequence) and len(pair) == 2
    }


def snippet_of(
    highlight: Mapping[str, Sequence[str]],
    lang: str,
    source: Mapping[str, Any] | None = None,
    edges: Mapping[str, tuple[str, str]] | None = None,
) -> str | None:
    """The first fragment from the text, then the summary, then the title; the reader's language
    first, then the one the card shows (``snippet_languages``), then any other the query matched;
    ellipses where the field goes on (told from the source's summary and title, and from the text's ``edges``)."""
    preferred = snippet_languages(source or {}, lang)
    languages = [*preferred, *sorted({key.rpartition(".")[2] for key in highlight} - set(preferred))]
    for code in languages:
        for name in ("text", "summary", "title"):
            fragments = highlight.get(f"{name}.{code}")
            if not fragments:
                continue
            fragment = str(fragments[0])
            if name == "text":
                head, tail = (edges or {}).get(code, ("", ""))
            else:
                head = tail = str(((source or {}).get(name) or {}).get(code) or "")
            if not head and not tail:
                return fragment
            return with_ellipsis(fragment, *touches(plain(fragment), head, tail))
    return None


def title_highlights(highlight: Mapping[str, Sequence[str]]) -> dict[str, str]:
    """Each language's highlighted title (highlighted whole: ``build_highlight``)."""
    return {
        key.partition(".")[2]: str(fragments[0])
        for key, fragments in highlight.items()
        if key.startswith("title.") and fragments
    }


def search_results(answer: Mapping[str, Any], query: SearchQuery) -> SearchResults:
    """A search answer as hits, total and facets."""
    hits: list[Hit] = []
    for raw in answer["hits"]["hits"]:
        score = raw.get("_score")
        hits.append(
            Hit(
                id=str(raw["_id"]),
                score=float(score) if score is not None else None,
                source=raw.get("_source", {}),
                snippet=snippet_of(raw.get("highlight", {}), query.lang, raw.get("_source", {}), text_edges(raw)),
                sort=list(raw.get("sort", [])),
                title_highlights=title_highlights(raw.get("highlight", {})),
            )
        )
    total = answer["hits"]["total"]
    return SearchResults(
        total=int(total["value"] if isinstance(total, Mapping) else total),
        hits=hits,
        facets=parse_facets(answer.get("aggregations", {}), query.facets, query),
        took_ms=float(answer.get("took", 0)),
    )


def distinct_completions(hits: Iterable[Mapping[str, Any]], lang: str, size: int) -> list[str]:
    """Titles from suggest hits, each once (compared case- and space-insensitively)."""
    seen: set[str] = set()
    completions: list[str] = []
    for hit in hits:
        titles = hit.get("_source", {}).get("title", {})
        title = titles.get(lang) or titles.get(UNDETERMINED)
        if not isinstance(title, str) or not title.strip():
            continue
        key = " ".join(title.split()).casefold()
        if key in seen:
            continue
        seen.add(key)
        completions.append(title)
        if len(completions) >= size:
            break
    return completions


def spelling_corrections(answer: Mapping[str, Any], words: Sequence[str], lowered: Sequence[str]) -> dict[str, str]:
    """Corrections from a ``build_spelling_body`` answer: for each word no record holds, the
    closest of the suggested terms (document counts summed over languages)."""
    known = answer.get("aggregations", {}).get("known", {}).get("buckets", {})
    suggestions = answer.get("suggest", {})
    corrections: dict[str, str] = {}
    for number, (word, low) in enumerate(zip(words, lowered, strict=True)):
        if int(known.get(f"w{number}", {}).get("doc_count", 0)) > 0:
            continue
        counts: dict[str, int] = {}
        for lang in SPELLING_LANGUAGES:
            for entry in suggestions.get(spelling_suggestion_name(number, lang), []):
                for option in entry.get("options", []):
                    term = str(option["text"])
                    counts[term] = counts.get(term, 0) + int(option.get("freq", 0))
        best = closest_word(low, counts.items())
        if best is not None:
            corrections[word] = best
    return corrections
