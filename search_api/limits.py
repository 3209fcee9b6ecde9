"""Rate limits: a token bucket per API key, or per IP address for anonymous callers.

``RateLimiter`` keeps the buckets in process memory (one API process, SQLite); ``ClientLimits``
puts them in a PostgreSQL catalogue so every API process enforces one limit per client, falling
back to this process's buckets while the catalogue fails. The middleware and the routes that read
their key from the body (the LibreTranslate-compatible set) take tokens from the same buckets.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass

from record_catalogue.db import CatalogueFailed, CatalogueUnavailable, one_line
from record_catalogue.errors import retry_after_seconds
from record_catalogue.rate_limits import SharedBuckets
from search_api.services import Services

log = logging.getLogger(__name__)


@dataclass
class _Bucket:
    tokens: float
    updated: float

    def tokens_at(self, now: float, per_minute: int) -> float:
        """The tokens by ``now``: refilled at ``per_minute`` a minute since ``updated``, up to ``per_minute``."""
        return min(float(per_minute), self.tokens + (now - self.updated) * (per_minute / 60.0))


def _wait(tokens: float, per_minute: int) -> float:
    """0 with a token to take, else the seconds until there is one."""
    return 0.0 if tokens >= 1.0 else (1.0 - tokens) / (per_minute / 60.0)


class RateLimiter:
    """Allows ``per_minute`` requests per client on average, with bursts up to that many."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._buckets: dict[str, _Bucket] = {}

    def take(self, client: str, per_minute: int) -> float:
        """0 if the request may go ahead, else the seconds to wait before retrying."""
        now = time.monotonic()
        with self._lock:
            bucket = self._buckets.get(client)
            if bucket is None:
                if len(self._buckets) > 100_000:
                    self._buckets.clear()
                bucket = self._buckets[client] = _Bucket(tokens=float(per_minute), updated=now)
            bucket.tokens, bucket.updated = bucket.tokens_at(now, per_minute), now
            wait = _wait(bucket.tokens, per_minute)
            if wait == 0.0:
                bucket.tokens -= 1.0
            return wait

    def waiting(self, client: str, per_minute: int) -> float:
        """What ``take`` would answer, without taking: 0 while the client has a token left."""
        now = time.monotonic()
        with self._lock:
            bucket = self._buckets.get(client)
            if bucket is None:
                return 0.0
            tokens = bucket.tokens_at(now, per_minute)
        return _wait(tokens, per_minute)

    @staticmethod
    def retry_after(seconds: float) -> str:
        return str(retry_after_seconds(seconds))


class ClientLimits:
    """The app's buckets: shared through a PostgreSQL catalogue, else this process's own.

    ``everywhere``: shared through a SQLite catalogue too (the failed-key buckets, written only
    when a key fails, so that several API processes on one SQLite file hold an address to one
    limit).
    """

    def __init__(self, services: Services, *, everywhere: bool = False) -> None:
        self.services = services
        self.local = RateLimiter()
        self.shares = everywhere or services.settings.catalogue_dsn.startswith("postgresql")
        self._shared: SharedBuckets | None = None

    def take(self, client: str, per_minute: int) -> float:
        """0 if the request may go ahead, else the seconds to wait (may query the catalogue: call
        it from a worker thread)."""
        if not self.shares:
            return self.local.take(client, per_minute)
        try:
            if self._shared is None:
                self._shared = SharedBuckets(self.services.catalogue)
            return self._shared.take(client, per_minute)
        except (CatalogueUnavailable, CatalogueFailed) as exc:
            log.warning("shared rate limits unavailable (%s); limiting in this process", one_line(exc))
            return self.local.take(client, per_minute)

    def waiting(self, client: str, per_minute: int) -> float:
        """What ``take`` would answer, without taking (may query the catalogue, as ``take``)."""
        if not self.shares:
            return self.local.waiting(client, per_minute)
        try:
            if self._shared is None:
                self._shared = SharedBuckets(self.services.catalogue)
            return max(self._shared.waiting(client, per_minute), self.local.waiting(client, per_minute))
        except (CatalogueUnavailable, CatalogueFailed) as exc:
            log.warning("shared rate limits unavailable (%s); limiting in this process", one_line(exc))
            return self.local.waiting(client, per_minute)
