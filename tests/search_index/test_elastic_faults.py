"""Faults a real node shows, on the suite's OpenSearch node.

Timeouts and refusals are injected by a thin wrapper around the real client: the request still
reaches the real node (or is refused before it, for a 413), and the backend must find out what
happened instead of duplicating, losing or half-swapping anything.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import pytest

from record_catalogue.settings import load_settings
from search_index.base import IndexUnavailable, SearchQuery
from search_index.elastic.backend import ElasticBackend
from search_index.elastic.clients import ApiFailure, EngineClient, OpenSearchClient, Unreachable, encode_json
from tests.engines import make_doc


class Faulty(EngineClient):
    """The real OpenSearch client, with a fault injected where ``when`` says."""

    flavour = "opensearch"

    def __init__(self, real: EngineClient, when: Callable[[str, str, bytes | None], str | None]) -> None:
        self.real = real
        self.when = when
        self.sent: list[tuple[str, str]] = []

    def request(self, method: str, path: str, **kwargs: Any) -> Any:
        self.sent.append((method, path))
        fault = self.when(method, path, kwargs.get("body"))
        if fault == "413":
            raise ApiFailure(413, {"error": {"type": "request_entity_too_large", "reason": "too large"}})
        answer = self.real.request(method, path, **kwargs)
        if fault == "timeout-after":
            raise Unreachable("Read timed out (injected)", timeout=True)
        return answer

    def supported_version(self, info: Mapping[str, Any]) -> str | None:
        return self.real.supported_version(info)

    def open_point_in_time(self, index: str, keep_alive: str) -> str:
        return self.real.open_point_in_time(index, keep_alive)

    def close_point_in_time(self, pit_id: str) -> None:
        self.real.close_point_in_time(pit_id)

    def close(self) -> None:
        self.real.close()


@pytest.fixture
def settings(opensearch_node: str, tmp_path: Path) -> Any:
    return load_settings(
        data_dir=tmp_path, es_url=opensearch_node, es_flavour="opensearch", index_name=f"chm-f-{uuid.uuid4().hex[:8]}"
    )


def backend_with(settings: Any, when: Callable[[str, str, bytes | None], str | None]) -> tuple[ElasticBackend, Faulty]:
    client = Faulty(OpenSearchClient(settings), when)
    return ElasticBackend(settings, client=client), client


def test_a_create_that_timed_out_but_succeeded_is_not_duplicated(settings: Any) -> None:
    backend, _ = backend_with(settings, lambda m, p, b: "timeout-after" if m == "PUT" and "-v" in p else None)
    version = backend.create_version()
    assert backend.list_versions() == [version]  # found by its token, not created again
    backend.destroy()


def test_an_alias_move_that_timed_out_but_happened_is_not_an_error(settings: Any) -> None:
    backend, _ = backend_with(settings, lambda m, p, b: "timeout-after" if p == "/_aliases" else None)
    backend.ensure_index()
    first = backend.current_version()
    assert first is not None
    second = backend.create_version()
    backend.swap(second)
    assert backend.current_version() == second
    backend.destroy()


def test_a_chunk_refused_as_too_large_is_split_and_nothing_is_lost(settings: Any) -> None:
    def too_big(method: str, path: str, body: bytes | None) -> str | None:
        return "413" if path == "/_bulk" and body is not None and body.count(b"\n") > 20 else None

    backend, client = backend_with(settings, too_big)
    backend.ensure_index()
    docs = [make_doc(f"d-{i}", "en", f"Document {i}") for i in range(50)]
    result = backend.bulk(docs)
    backend.refresh()
    assert result.errors == [] and result.indexed == 50
    assert backend.count() == 50
    assert sum(1 for _, path in client.sent if path == "/_bulk") > 3  # split, then sent
    backend.destroy()


def test_an_index_made_by_another_version_is_refused_with_what_to_do(settings: Any) -> None:
    backend = ElasticBackend(settings)
    backend.ensure_index()
    version = backend.current_version()
    assert version is not None
    backend.client.request("PUT", f"/{version}/_mapping", body=encode_json({"_meta": {"chm_search_mapping": 1}}))
    fresh = ElasticBackend(settings)
    with pytest.raises(IndexUnavailable, match=r"another version of chm-search.*rebuild"):
        fresh.bulk([make_doc("x", "en", "X")])
    assert fresh.search(SearchQuery()).total == 0  # reads still answer
    backend.destroy()


def test_a_mapping_conflict_is_reported_per_document(settings: Any) -> None:
    backend = ElasticBackend(settings)
    backend.ensure_index()
    bad = make_doc("bad-date", "en", "Bad date") | {"date": "not a date"}
    result = backend.bulk([make_doc("ok", "en", "Fine"), bad])
    assert result.indexed == 1
    [(doc_id, reason)] = result.errors
    assert doc_id == "bad-date" and "parsing" in reason
    backend.destroy()


def test_a_node_that_goes_away_is_one_clear_line(settings: Any) -> None:
    gone = settings.model_copy(update={"es_url": "http://127.0.0.1:1"})
    backend = ElasticBackend(gone)
    with pytest.raises(IndexUnavailable) as caught:
        backend.search(SearchQuery(text="x"))
    assert "unreachable" in str(caught.value) and "\n" not in str(caught.value)
    assert backend.health().ok is False


def test_a_write_with_the_alias_gone_is_refused_not_given_an_empty_index(settings: Any) -> None:
    """Before: a write (a curator's correction, a split, a translate run's re-index) to a lost
    index made a new empty version behind the alias, and health said degraded instead of down."""
    backend = ElasticBackend(settings)
    backend.ensure_index()
    assert backend.bulk([make_doc(f"d-{i}", "en", f"Document {i}") for i in range(3)]).indexed == 3
    lost = backend.current_version()
    assert lost is not None
    backend.client.request("DELETE", f"/{lost}")  # the alias goes with its index
    with pytest.raises(IndexUnavailable, match=r"names no index.*chm-search reindex"):
        backend.bulk([make_doc("d-9", "en", "Document 9")])
    assert backend.list_versions() == [] and backend.current_version() is None
    assert not backend.versions.exists(settings.index_name)  # nor anything in the alias' name
    assert not backend.health().ok
    backend.destroy()


def test_a_version_deleted_during_a_write_is_not_auto_created(settings: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """The version is deleted after the write looked it up: each document fails, naming why, and
    the engine does not auto-create an index of that name with guessed mappings (before: it did)."""
    backend = ElasticBackend(settings)
    backend.ensure_index()
    lost = backend.current_version()
    assert lost is not None
    real_before_bulk = backend.live_load.before_bulk

    def delete_meanwhile(target: str) -> None:
        real_before_bulk(target)
        backend.client.request("DELETE", f"/{target}")

    monkeypatch.setattr(backend.live_load, "before_bulk", delete_meanwhile)
    result = backend.bulk([make_doc("d-1", "en", "Document 1"), make_doc("d-2", "en", "Document 2")])
    assert result.indexed == 0 and [doc_id for doc_id, _ in result.errors] == ["d-1", "d-2"]
    assert all("require_alias" in reason or settings.index_name in reason for _, reason in result.errors), result
    assert not backend.versions.exists(lost) and not backend.versions.exists(settings.index_name)
    backend.destroy()


def test_snippets_come_from_the_window_of_a_huge_text(settings: Any) -> None:
    """A word found only past the snippet window finds the record; its snippet comes from the
    window (before: the whole text was highlighted, so that word was marked, at any length)."""
    backend = ElasticBackend(settings)
    backend.ensure_index()
    text = "forest " * 3000 + "zanzibarite"
    assert backend.bulk([make_doc("huge", "en", "A huge record", text)]).indexed == 1
    backend.refresh()
    [far] = backend.search(SearchQuery(text="zanzibarite", snippet_window=1000)).hits
    assert far.id == "huge" and "<mark>zanzibarite</mark>" not in (far.snippet or "")
    [near] = backend.search(SearchQuery(text="forest", snippet_window=1000)).hits
    assert near.id == "huge" and "<mark>forest</mark>" in (near.snippet or "")
    [whole] = backend.search(SearchQuery(text="zanzibarite", snippet_window=30_000)).hits
    assert "<mark>zanzibarite</mark>" in (whole.snippet or "")
    backend.destroy()
