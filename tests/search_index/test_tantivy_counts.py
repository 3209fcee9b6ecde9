"""The embedded engine's facet counts and totals, remembered per index snapshot.

A query asked again is answered from ``TantivyBackend.counts`` without a pass over its matches;
every commit (by this backend or by another process's writer) starts the memo again, so a total
or a facet count is never older than the index; a cursor's pages, on an older snapshot, are
counted afresh; and what the memo gives equals what a backend without it counts.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from search_index.base import SearchQuery, SearchResults
from search_index.tantivy_backend import TantivyBackend


def _doc(doc_id: str, realm: str, title: str, government: str = "br") -> dict[str, Any]:
    return {
        "id": doc_id,
        "realm": realm,
        "schema": "nationalReport6",
        "government": government,
        "original_language": "en",
        "languages": ["en"],
        "title": {"en": title},
        "summary": {"en": "A report."},
        "status": {"en": "original"},
        "names": "",
        "entities": [f"country:{government}"],
        "date": "2020-01-01",
        "year": 2020,
    }


DOCS = [
    _doc("A-1", "ABS", "Wetlands of the Amazon"),
    _doc("A-2", "ABS", "Wetland restoration", "pe"),
    _doc("B-1", "BCH", "Wetlands and living modified organisms", "co"),
    _doc("C-1", "CHM", "Protected areas"),
]


@pytest.fixture
def indexed(tmp_path: Path) -> Path:
    writer = TantivyBackend(tmp_path / "index")
    writer.ensure_index()
    writer.bulk(DOCS)
    writer.refresh()
    writer.close()
    return tmp_path / "index"


def _answer(results: SearchResults) -> tuple[int, list[str], dict[str, list[tuple[str, int]]]]:
    return results.total, [hit.id for hit in results.hits], results.facets


def _fresh(index: Path, query: SearchQuery) -> tuple[int, list[str], dict[str, list[tuple[str, int]]]]:
    """The answer of a backend that remembers nothing."""
    backend = TantivyBackend(index)
    backend.counts.max_entries = 0
    try:
        return _answer(backend.search(query))
    finally:
        backend.close()


def test_a_query_asked_again_is_counted_once_and_answered_the_same(indexed: Path) -> None:
    backend = TantivyBackend(indexed)
    query = SearchQuery(text="wetlands", lang="en")
    first = _answer(backend.search(query))
    misses = backend.counts.misses
    assert first[0] == 3
    assert _answer(backend.search(query)) == first
    assert backend.counts.misses == misses  # no new pass
    assert backend.counts.hits >= 1
    assert first == _fresh(indexed, query)
    backend.close()


def test_a_selected_facet_is_counted_as_its_query_was_before_the_selection(indexed: Path) -> None:
    backend = TantivyBackend(indexed)
    unfiltered = backend.search(SearchQuery(text="wetlands", lang="en"))
    filtered_query = SearchQuery(text="wetlands", lang="en", filters={"realm": ["ABS"]})
    filtered = backend.search(filtered_query)
    assert filtered.total == 2
    # Multi-select: the realm facet keeps its other values, as counted without the selection.
    assert filtered.facets["realm"] == unfiltered.facets["realm"] == [("ABS", 2), ("BCH", 1)]
    assert _answer(filtered) == _fresh(indexed, filtered_query)
    # A selected value with no match is listed with 0, remembered too.
    none_query = SearchQuery(text="wetlands", lang="en", filters={"realm": ["CHM"]})
    assert dict(backend.search(none_query).facets["realm"])["CHM"] == 0
    assert _answer(backend.search(none_query)) == _fresh(indexed, none_query)
    backend.close()


def test_another_writers_commit_is_counted_at_once(indexed: Path) -> None:
    reader = TantivyBackend(indexed)
    query = SearchQuery(text="wetlands", lang="en", filters={"realm": ["ABS"]})
    before = reader.search(query)
    assert before.total == 2
    writer = TantivyBackend(indexed)  # another process's writer: its own backend
    writer.bulk([_doc("A-3", "ABS", "Wetlands of the Andes", "ec"), _doc("B-2", "BCH", "Wetland survey")])
    writer.refresh()
    after = reader.search(query)
    assert after.total == 3
    assert dict(after.facets["realm"]) == {"ABS": 3, "BCH": 2}
    assert ("ec", 1) in after.facets["government"]
    assert _answer(after) == _fresh(indexed, query)
    writer.delete(["A-1"])
    writer.refresh()
    assert reader.search(query).total == 2
    assert _answer(reader.search(query)) == _fresh(indexed, query)
    writer.close()
    reader.close()


def test_this_backends_own_commit_is_counted_at_once(indexed: Path) -> None:
    backend = TantivyBackend(indexed)
    query = SearchQuery(text="protected", lang="en")
    assert backend.search(query).total == 1
    backend.bulk([_doc("C-2", "CHM", "Protected areas of the Andes", "ec")])
    backend.refresh()
    results = backend.search(query)
    assert results.total == 2
    assert dict(results.facets["government"]) == {"br": 1, "ec": 1}
    backend.close()


def test_a_cursors_pages_are_counted_on_their_own_snapshot(indexed: Path) -> None:
    backend = TantivyBackend(indexed)

    def page(after: SearchResults, point_in_time: str | None) -> SearchResults:
        query = SearchQuery(
            text="wetlands",
            lang="en",
            sort="newest",
            size=1,
            search_after=after.hits[-1].sort,
            point_in_time=point_in_time,
        )
        return backend.search(query)

    first = backend.search(SearchQuery(text="wetlands", lang="en", sort="newest", size=1))
    second = page(first, None)  # the cursor's snapshot starts here
    writer = TantivyBackend(indexed)
    writer.bulk([_doc("A-9", "ABS", "Wetlands again")])
    writer.refresh()
    writer.close()
    assert backend.search(SearchQuery(text="wetlands", lang="en")).total == first.total + 1  # a new search sees it
    # The next page runs on the cursor's snapshot, and is counted on it, not from the memo.
    third = page(second, second.point_in_time)
    assert third.total == second.total == first.total
    backend.close()


def _scored(results: SearchResults) -> list[tuple[str, float]]:
    return [(hit.id, round(hit.score or 0.0, 5)) for hit in results.hits]


def test_typo_tolerance_follows_the_terms_each_commit_brings(indexed: Path) -> None:
    """Where no other term is one edit from a word, its typo tolerance is compiled as the word
    itself (no automaton): same records, same scores; a commit that brings such a term brings
    the automaton back."""
    backend = TantivyBackend(indexed)
    plain = TantivyBackend(indexed)
    plain.near_terms.max_entries = 0  # Tantivy's fuzzy query in every field, as compiled before
    query = SearchQuery(text="amazon", lang="en")
    first = backend.search(query)
    assert [hit.id for hit in first.hits] == ["A-1"]
    assert backend.near_terms.hits + backend.near_terms.misses > 0  # the fields were asked
    assert _scored(backend.search(query)) == _scored(plain.search(query)) == _scored(first)
    writer = TantivyBackend(indexed)
    writer.bulk([_doc("T-1", "CHM", "Wetlands of the Amazan (a typo in the record)")])
    writer.refresh()
    writer.close()
    found = backend.search(query)
    assert {hit.id for hit in found.hits} == {"A-1", "T-1"}
    assert _scored(found) == _scored(plain.search(query))
    typed = SearchQuery(text="amazan", lang="en")  # and the other way round
    assert _scored(backend.search(typed)) == _scored(plain.search(typed))
    assert {hit.id for hit in backend.search(typed).hits} == {"A-1", "T-1"}
    backend.close()
    plain.close()
