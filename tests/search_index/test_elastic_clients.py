"""Both client adapters send the very same requests for the same operation.

The requests are captured where each real client library hands them to its transport (the
official ``elasticsearch`` client's ``perform_request``, ``opensearch-py``'s
``Transport.perform_request``); the answers are minimal canned ones, just enough for the backend
to go on. Only the point-in-time endpoints may differ, each in its engine's dialect.
"""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from record_catalogue.settings import load_settings
from search_index.base import SearchQuery
from search_index.elastic.backend import ElasticBackend
from search_index.elastic.mapping import MAPPING_VERSION

ALIAS = "chm-same"
VERSION = f"{ALIAS}-v20260101000000000000"
Request = tuple[str, str, dict[str, Any], Any]


def _answer(method: str, path: str, body: bytes | None) -> Any:
    """What a node would answer, reduced to what the backend reads."""
    if path.startswith("/_alias/"):
        return {VERSION: {"aliases": {ALIAS: {}}}}
    if path.startswith("/_cat/indices/"):
        return [{"index": VERSION}]
    if path.endswith("/_mapping") and method == "GET":
        return {VERSION: {"mappings": {"_meta": {"chm_search_mapping": MAPPING_VERSION}}}}
    if path == "/_bulk":
        lines = [json.loads(line) for line in (body or b"").splitlines() if line.strip()]
        actions = [line for line in lines if set(line) <= {"index", "delete"} and len(line) == 1]
        return {"errors": False, "items": [{op: {"status": 200, **spec}} for a in actions for op, spec in a.items()]}
    if path.endswith("/_pit"):
        return {"id": "pit-1"}
    if path.endswith("/point_in_time"):
        return {"pit_id": "pit-1"}
    if path.endswith("/_search"):
        return {"took": 1, "hits": {"total": {"value": 0}, "hits": []}, "aggregations": {}}
    if path.endswith("/_count"):
        return {"count": 0}
    return {"acknowledged": True}


def _body(raw: Any) -> Any:
    return raw.decode() if isinstance(raw, bytes) else raw


def _operations(backend: ElasticBackend) -> None:
    backend.swap(VERSION)
    backend.bulk([_doc("a"), _doc("b")])
    backend.refresh()
    backend.search(SearchQuery(text="aires protégées", lang="fr", filters={"realm": ["CHM"]}, year_from=2010))
    backend.search(SearchQuery(text="x", search_after=[1.5, "a"]))
    backend.suggest("bio", "en")
    backend.count()
    backend.delete(["a"])


def _doc(doc_id: str) -> dict[str, Any]:
    return {
        "id": doc_id,
        "realm": "CHM",
        "schema": "resource",
        "original_language": "en",
        "languages": ["en"],
        "title": {"en": "Title"},
        "summary": {},
        "text": {},
        "status": {"en": "original"},
    }


def _capture(flavour: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> list[Request]:
    sent: list[Request] = []
    if flavour == "elasticsearch":
        from elasticsearch import Elasticsearch

        def es_perform(self: object, method: str, path: str, **kwargs: Any) -> SimpleNamespace:
            sent.append((method, path, dict(kwargs.get("params") or {}), _body(kwargs.get("body"))))
            return SimpleNamespace(body=_answer(method, path, kwargs.get("body")))

        monkeypatch.setattr(Elasticsearch, "perform_request", es_perform)
    else:
        from opensearchpy import Transport

        def os_perform(self: object, method: str, url: str, params: Any = None, body: Any = None, **_: Any) -> Any:
            sent.append((method, url, dict(params or {}), _body(body)))
            return _answer(method, url, body)

        monkeypatch.setattr(Transport, "perform_request", os_perform)
    settings = load_settings(data_dir=tmp_path, es_url="http://127.0.0.1:1", es_flavour=flavour, index_name=ALIAS)
    backend = ElasticBackend(settings)
    _operations(backend)
    backend.close()
    return sent


def _is_pit(request: Request) -> bool:
    return "_pit" in request[1] or "point_in_time" in request[1]


def _in_es_words(request: Request) -> Request:
    """The one option named differently inside a request body: the highlighter's window
    (OpenSearch ``max_analyzer_offset``, Elasticsearch ``max_analyzed_offset``)."""
    method, path, params, body = request
    if isinstance(body, str):
        body = body.replace('"max_analyzer_offset":', '"max_analyzed_offset":')
    return method, path, params, body


def test_both_adapters_send_identical_requests(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    es = _capture("elasticsearch", tmp_path, monkeypatch)
    opensearch = _capture("opensearch", tmp_path, monkeypatch)
    assert [r for r in es if not _is_pit(r)] == [_in_es_words(r) for r in opensearch if not _is_pit(r)]
    # ... and each engine got the window under its own name.
    assert any('"max_analyzed_offset":' in str(r[3]) for r in es)
    assert any('"max_analyzer_offset":' in str(r[3]) for r in opensearch)
    assert not any('"max_analyzer_offset":' in str(r[3]) for r in es)
    # Every kind of request was sent: bulk, search (with and without a point in time), suggest.
    paths = [path for _, path, _, _ in es]
    assert "/_bulk" in paths and f"/{ALIAS}/_search" in paths and "/_search" in paths and "/_aliases" in paths
    # The point in time in each engine's own dialect.
    assert [r[:2] for r in es if _is_pit(r)] == [("POST", f"/{ALIAS}/_pit")]
    assert [r[:2] for r in opensearch if _is_pit(r)] == [("POST", f"/{ALIAS}/_search/point_in_time")]


def test_no_request_uses_a_wildcard_delete(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    sent = _capture("opensearch", tmp_path, monkeypatch)
    for method, path, _, _ in sent:
        if method == "DELETE":
            assert "*" not in path
