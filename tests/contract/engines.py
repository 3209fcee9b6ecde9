"""The engines the contract suite runs on: Tantivy always, Elasticsearch when CHM_ES_URL names a node."""

from __future__ import annotations

import os
import uuid
from pathlib import Path
from typing import Any

from record_catalogue.settings import load_settings
from search_index.base import SearchBackend

ES_URL = os.environ.get("CHM_ES_URL")
ES_SKIP_REASON = "CHM_ES_URL is not set: no Elasticsearch node to run the contract suite against"


def tantivy_backend(tmp_path: Path) -> SearchBackend:
    from search_index.tantivy_backend import TantivyBackend

    return TantivyBackend(tmp_path / "index")


def elasticsearch_backend(tmp_path: Path) -> SearchBackend:
    """A backend on the node named by CHM_ES_URL, on an index name no other test uses."""
    from search_index.elasticsearch9 import ElasticsearchBackend

    settings = load_settings(data_dir=tmp_path, es_url=ES_URL, index_name=f"chm-test-{uuid.uuid4().hex[:12]}")
    return ElasticsearchBackend(settings)


def drop_all(backend: SearchBackend) -> None:
    """Remove every version a test created (ES indices outlive the test otherwise)."""
    backend.destroy()
    assert backend.list_versions() == [] and backend.current_version() is None


def make_doc(doc_id: str, lang: str, title: str, text: str = "", **extra: Any) -> dict[str, Any]:
    """An index document in one language, with sensible defaults for the keyword fields."""
    year = extra.pop("year", 2020)
    doc: dict[str, Any] = {
        "id": doc_id,
        "realm": "CHM",
        "schema": "nationalTarget",
        "government": "br",
        "original_language": lang,
        "languages": [lang],
        "title": {lang: title},
        "summary": {},
        "text": {lang: text} if text else {},
        "status": {lang: "original"},
        "names": f"{doc_id} {title}",
        "entities": [],
        "date": f"{year}-06-01" if year else None,
        "year": year,
        "url": None,
        "updated_at": "2026-01-01T00:00:00+00:00",
    }
    doc.update(extra)
    return doc
