"""Catalogue → index: re-indexing the records a change touched, as soon as it is committed.

Here, beside the engines, so that every layer that changes records (translation, curation,
``chm-search records split``, the API) calls the same code (issue 15: one sync).

Why a retry: the embedded engine admits one writer at a time across processes, and the API (a
curator's correction) and ``chm-search translate`` write to it concurrently; each write is short,
so waiting a little is right. If the engine stays busy or down, the records keep their
``needs_index`` flag and the next ingest or translate run indexes them: the catalogue already
holds the truth, the index is only derived from it.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence

from record_catalogue.store import Catalogue
from search_index.base import BulkResult, IndexBusy, IndexUnavailable, SearchBackend
from search_index.documents import build_document

log = logging.getLogger(__name__)
BUSY_WAIT_SECONDS = 30.0


def reindex(
    catalogue: Catalogue,
    backend: SearchBackend,
    ids: Sequence[str],
    *,
    tolerate_down: bool = False,
    busy_wait: float = BUSY_WAIT_SECONDS,
) -> BulkResult | None:
    """Index the records' current state, commit, clear their flag.

    An engine busy with another writer is retried for ``busy_wait`` seconds. With
    ``tolerate_down`` (the API: the curator's change is committed, indexing can follow later) an
    engine still busy or down gives None; otherwise the error is raised for the caller to report.
    """
    if not ids:
        return BulkResult()
    deadline = time.monotonic() + busy_wait
    while True:
        try:
            rows = list(catalogue.iter_records(ids=ids))
            result = backend.bulk(build_document(row) for row in rows)
            backend.refresh()
            break
        except IndexBusy as exc:
            if time.monotonic() < deadline:
                time.sleep(0.2)
                continue
            if not tolerate_down:
                raise
            log.warning("index still busy (%s): %d records left for the next run to index", exc, len(ids))
            return None
        except IndexUnavailable as exc:
            if not tolerate_down:
                raise
            log.warning("index unavailable (%s): %d records left for the next run to index", exc, len(ids))
            return None
    failed = {doc_id for doc_id, _ in result.errors}
    catalogue.mark_indexed([row.id for row in rows if row.id not in failed])
    return result


def catch_up(catalogue: Catalogue, backend: SearchBackend, mark: int) -> int:
    """After a rebuild's swap: write again the records changed since ``mark`` (taken before the
    rebuild read the catalogue), and take out those deleted since; how many were written.

    Why: while the rebuild read the catalogue, pushes, translations and curation went on writing
    to the version it then retired. A change committed after the rebuild read that record would
    otherwise be missing from the new version, although the catalogue marked it indexed.
    """
    live, deleted = catalogue.changed_since(mark)
    if deleted:
        backend.delete(deleted)
        backend.refresh()
    if not live:
        return 0
    result = reindex(catalogue, backend, live)
    return 0 if result is None else result.indexed
