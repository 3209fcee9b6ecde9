"""How many records a query finds, remembered for as long as the index stays as it is.

Every vocabulary widening a reader's query gets is explained in the response's
``interpretation`` with how many records it finds on its own (``search_api.understanding``):
one more search of the engine for each, of every matching record. The widenings come from a
bounded vocabulary (treaty terms, record types, countries, targets) and recur across readers'
queries under the same filters, so their counts are remembered, keyed by the engine's
``snapshot`` token (:class:`search_index.snapshot_memo.SnapshotMemo`): any commit or swap gives a
new token and the counts start again, so a count is never older than the index it describes.
Engines with no token are always asked.
"""

from __future__ import annotations

from search_index.snapshot_memo import SnapshotMemo

# Counts kept per snapshot at most (one entry is a short string and an int); the oldest go first.
MAX_ENTRIES = 4096


class MatchCounts(SnapshotMemo[int]):
    """A bounded memo of ``{query key: total}`` for the current index snapshot only."""

    def __init__(self, max_entries: int = MAX_ENTRIES) -> None:
        super().__init__(max_entries)
