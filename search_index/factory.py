"""Choosing the engine: Elasticsearch 9 or OpenSearch when ``CHM_ES_URL`` is set, the embedded index otherwise."""

from __future__ import annotations

from record_catalogue.settings import Settings
from search_index.base import SearchBackend


def get_backend(settings: Settings) -> SearchBackend:
    """The backend the settings select (the engine clients are imported only when used)."""
    if settings.es_url:
        from search_index.elastic.backend import ElasticBackend

        return ElasticBackend(settings)
    from search_index.tantivy_backend import TantivyBackend

    return TantivyBackend(settings.index_dir)
