"""How many records a query finds, remembered for as long as the index stays as it is.

Every vocabulary widening a reader's query gets is explained in the response's
``interpretation`` with how many records it finds on its own (``search_api.understanding``):
one more search of the engine for each, of every matching record. The widenings come from a
bounded vocabulary (treaty terms, record types, countries, targets) and recur across readers'
queries under the same filters, so their counts are remembered, keyed by the engine's
``snapshot`` token: any commit or swap gives a new token and the counts start again, so a
count is never older than the index it describes. Engines with no token are always asked.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable

# Counts kept per snapshot at most (one entry is a short string and an int); the oldest go first.
MAX_ENTRIES = 4096


class MatchCounts:
    """A bounded memo of ``{query key: total}`` for the current index snapshot only."""

    def __init__(self, max_entries: int = MAX_ENTRIES) -> None:
        self.max_entries = max_entries
        self._lock = threading.Lock()
        self._snapshot: Hashable | None = None
        self._counts: dict[str, int] = {}

    def get(self, snapshot: Hashable | None, key: str, count: Callable[[], int]) -> int:
        """The total for ``key`` under ``snapshot`` (taken before ``count`` searches), counting it
        with ``count`` when not known; with no snapshot, always counted."""
        if snapshot is None:
            return count()
        with self._lock:
            if snapshot == self._snapshot and key in self._counts:
                return self._counts[key]
        total = count()
        with self._lock:
            if snapshot != self._snapshot:
                # Another snapshot's counts are dropped (tokens are opaque: the last one seen is
                # taken as current). A count kept under a token was made on that state or a newer
                # one, never an older one, since the token was taken before searching.
                self._snapshot, self._counts = snapshot, {}
            while len(self._counts) >= self.max_entries:
                del self._counts[next(iter(self._counts))]
            self._counts[key] = total
        return total
