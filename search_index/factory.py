"""Choosing the engine: Elasticsearch when ``CHM_ES_URL`` is set, the embedded index otherwise."""

from __future__ import annotations

from record_catalogue.settings import Settings
from search_index.base import SearchBackend


def get_backend(settings: Settings) -> SearchBackend:
    """The backend the settings select (the ES client is imported only when used)."""
    if settings.es_url:
        from search_index.elasticsearch9 import ElasticsearchBackend

        return ElasticsearchBackend(settings)
    from search_index.tantivy_backend import TantivyBackend

    return TantivyBackend(settings.index_dir)
