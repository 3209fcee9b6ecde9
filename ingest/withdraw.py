"""Withdrawing records: tombstoned in the catalogue, out of the search index at once.

One function for every way a record goes: ``DELETE /api/v1/records/{id}``, ``chm-search records
delete`` and harvesters whose source withdrew a record. The catalogue is changed first (it is the
truth); if the index cannot be reached the records keep their ``needs_index`` flag and the next
ingest or translate run takes them out (``Pipeline.index_pending``), so a reader never finds a
withdrawn record for long and nothing depends on the index being up.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

from record_catalogue.store import Catalogue, DeleteOutcome
from search_index.base import IndexUnavailable, SearchBackend
from search_index.documents import build_document

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Withdrawn:
    """What ``withdraw`` did: the outcome per id, and whether the index has already dropped them."""

    outcomes: dict[str, DeleteOutcome]
    index_updated: bool


def withdraw(
    catalogue: Catalogue,
    backend: SearchBackend,
    ids: Sequence[str],
    actor: str,
    *,
    only_source: str | None = None,
    reason: str = "",
) -> Withdrawn:
    """Tombstone ``ids`` (see ``Catalogue.delete_records``) and delete them from the index."""
    regrouped: set[str] = set()
    outcomes = catalogue.delete_records(ids, actor, only_source=only_source, reason=reason, regrouped=regrouped)
    deleted = [record_id for record_id, outcome in outcomes.items() if outcome == "deleted"]
    # and those deleted earlier while the index was down
    pending = sorted({*deleted, *(set(catalogue.deleted_needing_index()) & set(ids))})
    if not pending:
        return Withdrawn(outcomes, True)
    try:
        backend.delete(pending)
        # a withdrawn copy of a document: its group's document is shown without it
        rows = list(catalogue.iter_records(ids=sorted(regrouped)))
        backend.bulk(build_document(row) for row in rows)
        backend.refresh()
    except IndexUnavailable as exc:
        log.warning("index unavailable (%s): %d deleted records left for the next run to remove", exc, len(pending))
        return Withdrawn(outcomes, False)
    catalogue.mark_indexed([*pending, *(row.id for row in rows)])
    return Withdrawn(outcomes, True)
