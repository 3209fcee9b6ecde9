"""Token buckets in the catalogue, so that every API process enforces one limit per client.

On PostgreSQL a request takes a token with one statement (an upsert that only succeeds while the
bucket holds a token, in autocommit: one round trip), so two or twenty API processes behind one
address allow a partner its limit once, not once each. Time is the processes' wall clock (Unix
time): the buckets tolerate a clock that goes backwards, and processes on one machine, or on
machines kept in time, agree to well under a second.

SQLite keeps the buckets in each process (``search_api.limits.RateLimiter``): one API process is
what SQLite serves, and a write per request would queue behind ingest's transactions.
"""

from __future__ import annotations

import random
import time

from sqlalchemy import delete, func, select
from sqlalchemy.dialects.postgresql import insert

from record_catalogue.models import Base, RateBucket
from record_catalogue.store import Catalogue

PRUNE_AFTER_SECONDS = 3600.0  # a bucket untouched this long is full again: its row can go
PRUNE_CHANCE = 0.001  # of a request pruning such rows (clients seen once, from many addresses)


def shares_limits(catalogue: Catalogue) -> bool:
    """Whether the buckets can live in this catalogue (PostgreSQL)."""
    return catalogue.engine.dialect.name == "postgresql"


class SharedBuckets:
    """``take`` as ``search_api.limits.RateLimiter`` does it, with the buckets in the catalogue."""

    def __init__(self, catalogue: Catalogue) -> None:
        if not shares_limits(catalogue):
            raise ValueError("shared rate limits need a PostgreSQL catalogue")
        self.catalogue = catalogue
        self.engine = catalogue.engine.execution_options(isolation_level="AUTOCOMMIT")

    def take(self, client: str, per_minute: int, now: float | None = None) -> float:
        """0 if the request may go ahead (a token taken), else the seconds to wait before retrying."""
        now = time.time() if now is None else now
        capacity = float(per_minute)
        rate = per_minute / 60.0
        bucket = Base.metadata.tables[RateBucket.__tablename__]
        stored = bucket.c.tokens + func.greatest(0.0, now - bucket.c.updated) * rate
        available = func.least(capacity, stored)
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
        return max(0.0, (1.0 - float(left if left is not None else capacity)) / rate)
