"""Answers remembered for as long as the index stays as it is.

Some answers cost a pass over every record a query matches and recur across readers' requests:
the facet counts and total of a query (the same query asked again, the landing page's browse, a
facet clicked and unclicked), how many records a vocabulary widening finds on its own. Each is
kept under the engine's snapshot token (``SearchBackend.snapshot``: any commit or swap gives a
new one) and forgotten when the token changes, so an answer is never older than the index it
describes. Without a token (engines that have none, a cursor's older snapshot) nothing is kept.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

V = TypeVar("V")


class SnapshotMemo(Generic[V]):
    """A bounded memo of ``{key: answer}`` for the current snapshot only; the least recently used
    answers go first when it is full."""

    def __init__(self, max_entries: int) -> None:
        self.max_entries = max_entries
        self._lock = threading.Lock()
        self._snapshot: Hashable | None = None
        self._answers: dict[Hashable, V] = {}
        self.hits = 0
        self.misses = 0

    def peek(self, snapshot: Hashable | None, key: Hashable) -> V | None:
        """The answer for ``key`` if it is known under ``snapshot``, else None (nothing made)."""
        if snapshot is None:
            return None
        with self._lock:
            return self._answers.get(key) if snapshot == self._snapshot else None

    def get(self, snapshot: Hashable | None, key: Hashable, compute: Callable[[], V]) -> V:
        """The answer for ``key`` under ``snapshot`` (taken before ``compute`` reads the index),
        made with ``compute`` when not known; with no snapshot (or no room), always made."""
        if snapshot is None or self.max_entries <= 0:
            return compute()
        with self._lock:
            if snapshot == self._snapshot and key in self._answers:
                self.hits += 1
                answer = self._answers.pop(key)
                self._answers[key] = answer  # now the most recently used
                return answer
            self.misses += 1
        answer = compute()
        with self._lock:
            if snapshot != self._snapshot:
                # Another snapshot's answers are dropped (tokens are opaque: the last one seen is
                # taken as current). An answer kept under a token was made on that state or a
                # newer one, never an older one, since the token was taken before reading.
                self._snapshot, self._answers = snapshot, {}
            self._answers.pop(key, None)
            while len(self._answers) >= self.max_entries:
                del self._answers[next(iter(self._answers))]
            self._answers[key] = answer
        return answer
