"""Making sure there is an index to write to, without ever hiding a lost one behind an empty one.

A fresh deployment gets an empty first version. But an index that disappeared (a version
directory deleted, an alias gone with its index) while the catalogue holds records must not be
replaced by an empty index: searches would find nothing while health said ok. It is rebuilt
from the catalogue (the index is derived data), and the log says so.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Protocol

from search_index.base import SearchBackend
from search_index.documents import RecordLike, build_document

log = logging.getLogger(__name__)


class RecordSource(Protocol):
    """What the catalogue offers a rebuild (``record_catalogue.store.Catalogue``)."""

    def count(self) -> int: ...
    def iter_records(self) -> Iterator[RecordLike]: ...


def index_present(backend: SearchBackend) -> bool:
    """Whether the alias (or pointer) names a version that exists."""
    current = backend.current_version()
    return current is not None and current in backend.list_versions()


def ensure_index(backend: SearchBackend, catalogue: RecordSource) -> None:
    """An index to write to: the current one; a first, empty one for an empty catalogue; or, when
    the index was lost while the catalogue holds records, one rebuilt from the catalogue."""
    if index_present(backend):
        return
    records = catalogue.count()
    if records == 0:
        backend.ensure_index()
        return
    log.warning(
        "the search index is missing (version %s) while the catalogue holds %d records: rebuilding it from them",
        backend.current_version() or "none",
        records,
    )
    version, result = backend.rebuild(build_document(row) for row in catalogue.iter_records())
    log.warning(
        "search index rebuilt from the catalogue: version %s, %d documents, %d errors",
        version,
        result.indexed,
        len(result.errors),
    )
