"""Token buckets in the catalogue, so that every API process enforces one limit per client.

On PostgreSQL a request takes a token with one statement (an upsert that only succeeds while the
bucket holds a token, in autocommit: one round trip), so two or twenty API processes behind one
address allow a partner its limit once, not once each. Time is the processes' wall clock (Unix
time): the buckets tolerate a clock that goes backwards, and processes on one machine, or on
machines kept in time, agree to well under a second.

Beside a SQLite catalogue the request buckets live in a file (``bucket_file.BucketFile``): a
write per request would queue every search behind ingest's transactions. The buckets of failed
key attempts live in the catalogue on both (``SharedBuckets`` works on either): a failure costs a
key lookup anyway, and an attacker guessing keys against several uvicorn workers must get the
limit once, not once per worker.
"""

from __future__ import annotations

import random
import time

from sqlalchemy import ColumnElement, delete, func, select
from sqlalchemy.dialects import postgresql, sqlite

from record_catalogue.db import translating_faults
from record_catalogue.dialect import is_postgresql
from record_catalogue.models import Base, RateBucket
from record_catalogue.store import Catalogue
from record_catalogue.token_bucket import seconds_to_token

PRUNE_AFTER_SECONDS = 3600.0  # a bucket untouched this long is full again: its row can go
PRUNE_CHANCE = 0.001  # of a request pruning such rows (clients seen once, from many addresses)


def shares_limits(catalogue: Catalogue) -> bool:
    """Whether the buckets can live in this catalogue (PostgreSQL)."""
    return is_postgresql(catalogue.engine)


class SharedBuckets:
    """``take`` as ``search_api.limits.RateLimiter`` does it, with the buckets in the catalogue
    (PostgreSQL or SQLite: one upsert each, SQLite's ``max``/``min`` for ``greatest``/``least``)."""

    def __init__(self, catalogue: Catalogue) -> None:
        self.catalogue = catalogue
        self.engine = catalogue.engine.execution_options(isolation_level="AUTOCOMMIT")
        self.postgresql = is_postgresql(catalogue.engine)
        self.bucket = Base.metadata.tables[RateBucket.__tablename__]

    def _available(self, per_minute: int, now: float) -> ColumnElement[float]:
        """The tokens a stored bucket holds at ``now``: refilled at ``per_minute``, at most full."""
        greatest, least = (func.greatest, func.least) if self.postgresql else (func.max, func.min)
        stored = self.bucket.c.tokens + greatest(0.0, now - self.bucket.c.updated) * (per_minute / 60.0)
        return least(float(per_minute), stored)

    @translating_faults
    def waiting(self, client: str, per_minute: int, now: float | None = None) -> float:
        """What ``take`` would answer, without taking: 0 while the client has a token left."""
        now = time.time() if now is None else now
        with self.engine.connect() as connection:
            left = connection.execute(select(self._available(per_minute, now)).where(self.bucket.c.client == client))
            tokens = left.scalar()
        return 0.0 if tokens is None else seconds_to_token(float(tokens), per_minute)

    @translating_faults
    def take(self, client: str, per_minute: int, now: float | None = None) -> float:
        """0 if the request may go ahead (a token taken), else the seconds to wait before retrying."""
        now = time.time() if now is None else now
        capacity = float(per_minute)
        bucket = self.bucket
        available = self._available(per_minute, now)
        insert = postgresql.insert if self.postgresql else sqlite.insert
        stmt = (
            insert(bucket)
            .values(client=client, tokens=capacity - 1.0, updated=now)
            .on_conflict_do_update(
                index_elements=[bucket.c.client],
                set_={"tokens": available - 1.0, "updated": now},
                where=available >= 1.0,
            )
            .returning(bucket.c.tokens)
        )
        with self.engine.connect() as connection:
            if connection.execute(stmt).first() is not None:
                if random.random() < PRUNE_CHANCE:
                    connection.execute(delete(bucket).where(bucket.c.updated < now - PRUNE_AFTER_SECONDS))
                return 0.0
            left = connection.execute(select(available).where(bucket.c.client == client)).scalar()
        return seconds_to_token(float(left if left is not None else capacity), per_minute)
