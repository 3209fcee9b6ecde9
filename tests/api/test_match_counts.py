"""The interpretation's counts of vocabulary widenings, remembered per index snapshot.

``search_api.match_counts`` keeps how many records a widening finds on its own until the index
changes. On the embedded engine a change made by another process (a ``chm-search ingest`` beside a
running server) reaches readers after a delay; the snapshot token loads it first, so the count a
response gives is never older than the index it was asked of.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from record_catalogue.settings import load_settings
from search_api.app import create_app
from search_api.match_counts import MatchCounts
from search_index.tantivy_backend import TantivyBackend


def _document(doc_id: str, title: str) -> dict[str, Any]:
    return {
        "id": doc_id,
        "realm": "CHM",
        "schema": "nationalReport6",
        "government": "br",
        "original_language": "en",
        "languages": ["en"],
        "title": {"en": title},
        "summary": {"en": "A report on conservation."},
        "text": {},
        "status": {"en": "original"},
        "names": doc_id,
        "entities": [],
        "date": "2020-01-01",
        "year": 2020,
        "url": None,
    }


def _widening_counts(client: TestClient) -> tuple[int, list[int]]:
    answer = client.get("/api/v1/search", params={"q": "diversité biologique", "lang": "fr"})
    assert answer.status_code == 200, answer.text
    body = answer.json()
    return body["total"], [found["matched"] for found in body["interpretation"]["expansions"] if found["added"]]


def test_a_widenings_count_follows_records_indexed_by_another_writer(tmp_path: Path) -> None:
    data = tmp_path / "data"
    writer = TantivyBackend(data / "index")  # another process's writer: the app has its own backend
    writer.ensure_index()
    writer.bulk([_document("GEN-1", "National strategy on biological diversity")])
    writer.refresh()
    settings = load_settings(data_dir=data, models_dir=tmp_path / "no-models", rate_limit_anonymous=100_000)
    with TestClient(create_app(settings)) as client:
        total, counts = _widening_counts(client)
        assert total == 1
        assert counts and max(counts) == 1
        assert _widening_counts(client) == (total, counts)  # the same answer from the remembered counts
        writer.bulk([_document("GEN-2", "Biological diversity in wetlands")])
        writer.refresh()  # committed here; the app's reader would only follow after a delay
        total, counts = _widening_counts(client)
        assert total == 2
        assert max(counts) == 2
        writer.delete(["GEN-1"])
        writer.refresh()
        total, counts = _widening_counts(client)
        assert (total, max(counts)) == (1, 1)
    writer.close()


def test_counts_are_kept_per_snapshot_and_never_without_one() -> None:
    counts = MatchCounts(max_entries=2)
    asked: list[str] = []

    def count(key: str, total: int) -> Any:
        return lambda: asked.append(key) or total

    assert counts.get("s1", "a", count("a", 3)) == 3
    assert counts.get("s1", "a", count("a", 99)) == 3  # remembered
    assert counts.get("s2", "a", count("a", 4)) == 4  # another snapshot: asked again
    assert counts.get(None, "a", count("a", 5)) == 5  # no snapshot: always asked
    assert counts.get(None, "a", count("a", 6)) == 6
    counts.get("s2", "b", count("b", 1))
    counts.get("s2", "c", count("c", 1))  # bounded: the oldest ("a") goes
    assert counts.get("s2", "a", count("a", 7)) == 7
    assert asked == ["a", "a", "a", "a", "b", "c", "a"]


def test_readers_of_every_language_share_a_widenings_count(tmp_path: Path) -> None:
    """A widening finds the same records whatever the reader's language or the order asked (they
    only rank): counted once for every reader, the same count each is told."""
    settings = load_settings(data_dir=tmp_path / "data")
    backend = TantivyBackend(settings.data_dir / "index")
    backend.ensure_index()
    backend.bulk([_document("a", "Biological diversity in Brazil"), _document("b", "Biodiversidad y bosques")])
    backend.refresh()
    backend.close()
    with TestClient(create_app(settings)) as client:
        services = client.app.state.services  # type: ignore[attr-defined]
        engine = services.backend
        searched = engine.search
        counted: list[object] = []

        def spy(query: Any) -> Any:
            if query.size == 0:
                counted.append(query)
            return searched(query)

        engine.search = spy
        told = []
        first: int | None = None
        for lang in ("fr", "en", "es", "ar", "zh", "ru"):
            for sort in ("relevance", "newest"):
                answer = client.get("/api/v1/search", params={"q": "diversité biologique", "lang": lang, "sort": sort})
                assert answer.status_code == 200, answer.text
                interpretation = answer.json()["interpretation"]
                told.append([found["matched"] for found in interpretation["expansions"] if found["added"]])
                first = len(counted) if first is None else first
        assert told[0] and all(counts == told[0] for counts in told)
        assert sum(told[0]) > 0
        # Each count (the widenings', a spelling's) made for the first reader, none after.
        assert first is not None and first >= len(told[0])
        assert len(counted) == first
