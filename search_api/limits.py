"""Rate limits: a token bucket per API key, or per IP address for anonymous callers.

``ClientLimits`` makes every API process enforce one limit per client: the buckets live in a
PostgreSQL catalogue (``SharedBuckets``) or, beside a SQLite catalogue, in a file the processes of
one machine share (``BucketFile``); while either fails, this process's own buckets
(``RateLimiter``, also the only ones for an in-memory catalogue) keep limiting. The middleware and
the routes that read their key from the body (the LibreTranslate-compatible set) take tokens from
the same buckets.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass

from record_catalogue.bucket_file import BucketFile
from record_catalogue.db import CatalogueFailed, CatalogueUnavailable, one_line
from record_catalogue.dialect import sqlite_file
from record_catalogue.errors import retry_after_seconds
from record_catalogue.rate_limits import SharedBuckets
from record_catalogue.token_bucket import refilled, seconds_to_token
from search_api.services import Services

log = logging.getLogger(__name__)


@dataclass
class _Bucket:
    tokens: float
    updated: float

    def tokens_at(self, now: float, per_minute: int) -> float:
        """The tokens by ``now``."""
        return refilled(self.tokens, now - self.updated, per_minute)


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
            wait = seconds_to_token(bucket.tokens, per_minute)
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
        return seconds_to_token(tokens, per_minute)

    @staticmethod
    def retry_after(seconds: float) -> str:
        return str(retry_after_seconds(seconds))


class ClientLimits:
    """The app's buckets: shared through a PostgreSQL catalogue or a SQLite catalogue's bucket
    file, else this process's own.

    ``everywhere``: in the catalogue on SQLite too (the failed-key buckets, written only when a
    key fails, so that several API processes on one SQLite file hold an address to one limit).
    """

    def __init__(self, services: Services, *, everywhere: bool = False) -> None:
        self.services = services
        self.local = RateLimiter()
        dsn = services.settings.catalogue_dsn
        #: Whether a take may wait on the catalogue (then the middleware calls it from a thread).
        self.shares = everywhere or dsn.startswith("postgresql")
        self._shared: SharedBuckets | None = None
        database = None if self.shares else sqlite_file(dsn)
        self._file = BucketFile.beside(database) if database else None
        # What the shared buckets raise when they cannot be used (this process's own take over).
        self._failures: tuple[type[Exception], ...] = (
            (OSError,) if self._file is not None else (CatalogueUnavailable, CatalogueFailed)
        )
        self._file_failed = False

    def _buckets(self) -> BucketFile | SharedBuckets | None:
        """The buckets every process shares; None where this process's own are the only ones."""
        if self._file is not None or not self.shares:
            return self._file
        if self._shared is None:
            self._shared = SharedBuckets(self.services.catalogue)
        return self._shared

    def take(self, client: str, per_minute: int) -> float:
        """0 if the request may go ahead, else the seconds to wait (with ``shares``, may query the
        catalogue: call it from a worker thread)."""
        try:
            shared = self._buckets()
            if shared is None:
                return self.local.take(client, per_minute)
            wait = shared.take(client, per_minute)
        except self._failures as exc:
            self._fails(exc)
            return self.local.take(client, per_minute)
        self._file_failed = False
        return wait

    def waiting(self, client: str, per_minute: int) -> float:
        """What ``take`` would answer, without taking (may query the catalogue, as ``take``)."""
        try:
            shared = self._buckets()
            if shared is None:
                return self.local.waiting(client, per_minute)
            wait = shared.waiting(client, per_minute)
        except self._failures as exc:
            self._fails(exc)
            return self.local.waiting(client, per_minute)
        return max(wait, self.local.waiting(client, per_minute))

    def _fails(self, exc: Exception) -> None:
        """Logged: a catalogue failure each time (it comes and goes with the catalogue), the bucket
        file's once a failing spell (a file that cannot be written would fail every request)."""
        if self._file is None:
            log.warning("shared rate limits unavailable (%s); limiting in this process", one_line(exc))
        elif not self._file_failed:
            self._file_failed = True
            log.warning("rate-limit file %s unusable (%s); limiting in this process", self._file.path, exc)

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
