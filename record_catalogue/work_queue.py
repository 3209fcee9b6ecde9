"""The shared backlog: leases on records to translate, and claims on sentences being translated.

Why leases rather than locks held while translating: a batch takes seconds to minutes on a CPU,
and a transaction (or a connection) held that long would block ingest and die with the worker's
connection. So a worker takes a batch of ``translation_work`` rows in a short transaction
(``SELECT … FOR UPDATE SKIP LOCKED`` on PostgreSQL: two workers never take the same rows, nor
wait for each other), marks them leased until ``now + lease``, and renews the lease while it
works (a heartbeat thread). A worker killed with ``kill -9`` stops renewing; when its leases run
out the rows are free again and another worker takes them over. Rows are deleted only once the
record's translations are committed, and only if no change arrived meanwhile (``generation``).

Sentences: two records in two workers' batches often share sentences. Before asking the model,
a worker claims each sentence it is about to translate (one row per segment and model in
``translation_claims``, inserted if absent or taken over if expired). Sentences another worker
holds are not translated again: the worker translates its own first, then waits for the
other's answer to reach the translation memory, or takes the claim over if it runs out. So a
sentence is translated once across all workers, unless its worker dies before storing it.

SQLite allows one worker (a lock file beside the database says which process holds it): the
same code runs, and there is nobody to share with.

The translate worker (``translate.worker``) uses these classes and never sees a statement.
"""

from __future__ import annotations

import fcntl
import os
import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from sqlalchemy import and_, delete, func, or_, select, update
from sqlalchemy.orm import Session, sessionmaker

from record_catalogue.db import in_chunks, retrying
from record_catalogue.dialect import insert_ignore, listen, listen_conninfo, sqlite_file
from record_catalogue.errors import Locked
from record_catalogue.memory_store import text_hash
from record_catalogue.work_models import TranslationClaim, TranslationWork

CHANNEL = "chm_translate_work"
DEFAULT_LEASE_SECONDS = 120.0
FIRST_RETRY_SECONDS = 30.0  # a record that failed waits this long, doubling with each failure...
LONGEST_RETRY_SECONDS = 3600.0  # ...up to this: another worker (or a fixed model) may succeed


def worker_name() -> str:
    """Who holds a lease: host, process and a random part (a restarted process is someone else)."""
    return f"{socket.gethostname()[:60]}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


class WorkerLockError(Locked):
    """Another worker already runs on this SQLite catalogue; the message says which and what to do."""


@contextmanager
def single_worker(dsn: str) -> Iterator[None]:
    """On SQLite, hold the catalogue's one worker slot (a lock file beside the database).

    SQLite has one writer at a time, so a second worker would only wait for the first; and it
    has no ``SKIP LOCKED`` to share rows. The second process is told so at once instead.
    """
    database = sqlite_file(dsn)
    if database is None:
        yield
        return
    path = Path(f"{database}.translate-lock")
    handle: IO[str] = open(path, "a+")  # noqa: SIM115 - held across the yield
    try:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip() or "another process"
            raise WorkerLockError(
                f"a translate worker already runs on this SQLite catalogue ({holder}); SQLite allows one "
                "worker: wait for it to finish, or use a PostgreSQL catalogue (CHM_CATALOGUE_URL) to run "
                "several"
            ) from None
        handle.seek(0)
        handle.truncate()
        handle.write(f"pid {os.getpid()} on {socket.gethostname()}")
        handle.flush()
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
    finally:
        handle.close()


@dataclass(frozen=True)
class Lease:
    """A record taken from the backlog, and the generation it had when taken."""

    record_id: str
    generation: int


class Backlog:
    """Leases on ``translation_work`` rows for one worker (``name``)."""

    def __init__(self, sessions: sessionmaker[Session], name: str, lease_seconds: float = DEFAULT_LEASE_SECONDS):
        self.sessions = sessions
        self.name = name
        self.lease_seconds = lease_seconds

    def take(self, limit: int) -> list[Lease]:
        """Lease up to ``limit`` free rows (never leased, or whose lease ran out), oldest first.

        Rows this worker still holds come back too: a batch interrupted by the catalogue going away
        is taken up again as soon as it answers, not after the lease runs out.
        """

        def attempt() -> list[Lease]:
            now = time.time()
            with self.sessions.begin() as session:
                stmt = (
                    select(TranslationWork.record_id, TranslationWork.generation)
                    .where(
                        or_(
                            TranslationWork.leased_until.is_(None),
                            TranslationWork.leased_until < now,
                            TranslationWork.leased_by == self.name,  # ours still: a batch cut short by an error
                        )
                    )
                    .order_by(TranslationWork.queued_at, TranslationWork.record_id)
                    .limit(limit)
                    .with_for_update(skip_locked=True)
                )
                rows = session.execute(stmt).all()
                if not rows:
                    return []
                ids = [row.record_id for row in rows]
                session.execute(
                    update(TranslationWork)
                    .where(TranslationWork.record_id.in_(ids))
                    .values(
                        leased_by=self.name,
                        leased_until=now + self.lease_seconds,
                        attempts=TranslationWork.attempts + 1,
                    )
                )
                return [Lease(row.record_id, row.generation) for row in rows]

        return retrying(attempt)

    def renew(self) -> None:
        """Push this worker's leases and sentence claims ``lease_seconds`` further (the heartbeat)."""
        until = time.time() + self.lease_seconds

        def attempt() -> None:
            with self.sessions.begin() as session:
                session.execute(
                    update(TranslationWork).where(TranslationWork.leased_by == self.name).values(leased_until=until)
                )
                session.execute(
                    update(TranslationClaim).where(TranslationClaim.worker == self.name).values(expires=until)
                )

        retrying(attempt)

    def done(self, leases: Sequence[Lease]) -> None:
        """Delete the rows whose work is committed; a row changed meanwhile is released for another pass."""

        def attempt() -> None:
            with self.sessions.begin() as session:
                for lease in leases:
                    session.execute(
                        delete(TranslationWork).where(
                            TranslationWork.record_id == lease.record_id,
                            TranslationWork.leased_by == self.name,
                            TranslationWork.generation == lease.generation,
                        )
                    )
                ids = [lease.record_id for lease in leases]
                for chunk in in_chunks(ids):
                    session.execute(
                        update(TranslationWork)
                        .where(TranslationWork.record_id.in_(chunk), TranslationWork.leased_by == self.name)
                        .values(leased_by=None, leased_until=None, attempts=0)
                    )

        retrying(attempt)

    def failed(self, record_id: str, reason: str) -> None:
        """Give a record back after an error, to be tried again after a pause that doubles each time.

        A change of the record's text (the trigger) clears the pause: new text, new chances.
        """

        def attempt() -> None:
            with self.sessions.begin() as session:
                row = session.get(TranslationWork, record_id, with_for_update=True)
                if row is None or row.leased_by != self.name:
                    return
                row.last_error = reason[:2000]
                row.leased_by = None
                pause = min(FIRST_RETRY_SECONDS * 2 ** max(row.attempts - 1, 0), LONGEST_RETRY_SECONDS)
                row.leased_until = time.time() + pause

        retrying(attempt)

    def release(self) -> None:
        """Give back every row and claim this worker holds (a clean stop: others take them at once)."""

        def attempt() -> None:
            with self.sessions.begin() as session:
                session.execute(
                    update(TranslationWork)
                    .where(TranslationWork.leased_by == self.name)
                    .values(leased_by=None, leased_until=None)
                )
                session.execute(delete(TranslationClaim).where(TranslationClaim.worker == self.name))

        retrying(attempt)

    def held_by_others(self) -> int:
        """Rows other workers hold on a live lease (a draining worker waits for them: they may come back)."""
        now = time.time()
        with self.sessions() as session:
            stmt = (
                select(func.count())
                .select_from(TranslationWork)
                .where(
                    TranslationWork.leased_by.is_not(None),
                    TranslationWork.leased_by != self.name,
                    TranslationWork.leased_until >= now,
                )
            )
            return int(session.scalar(stmt) or 0)

    def enqueue(self, record_ids: Sequence[str]) -> None:
        """Queue records again (e.g. after a model was installed for their pending languages)."""
        now = time.time()

        def attempt() -> None:
            with self.sessions.begin() as session:
                for chunk in in_chunks(sorted(set(record_ids))):
                    values = [{"record_id": rid, "generation": 1, "queued_at": now, "attempts": 0} for rid in chunk]
                    session.execute(insert_ignore(session, TranslationWork, values))

        retrying(attempt)


def clear_rows(sessions: sessionmaker[Session], generations: dict[str, int]) -> None:
    """Delete the queue rows of records a whole-catalogue run finished, if still as it read them
    (same generation, held by no worker)."""

    def attempt() -> None:
        with sessions.begin() as session:
            for record_id, generation in sorted(generations.items()):
                session.execute(
                    delete(TranslationWork).where(
                        TranslationWork.record_id == record_id,
                        TranslationWork.generation == generation,
                        TranslationWork.leased_by.is_(None),
                    )
                )

    retrying(attempt)


class Heartbeat:
    """Renews a worker's leases every third of the lease time, in a thread of its own.

    A renewal that fails (the database restarting) is tried again at the next beat; the leases
    are long enough to survive a few missed beats.
    """

    def __init__(self, backlog: Backlog, on_error: Callable[[Exception], None] | None = None) -> None:
        self.backlog = backlog
        self.on_error = on_error
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="translate-heartbeat", daemon=True)

    def __enter__(self) -> Heartbeat:
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    def _run(self) -> None:
        interval = max(self.backlog.lease_seconds / 3, 0.2)
        while not self._stop.wait(interval):
            try:
                self.backlog.renew()
            except Exception as exc:  # a failed beat is reported and tried again
                if self.on_error is not None:
                    self.on_error(exc)


class SentenceClaims:
    """Claims on sentences about to be translated by one model, shared by every worker."""

    poll_seconds = 0.2

    def __init__(self, sessions: sessionmaker[Session], name: str, lease_seconds: float = DEFAULT_LEASE_SECONDS):
        self.sessions = sessions
        self.name = name
        self.lease_seconds = lease_seconds

    def claim(self, source: str, target: str, engine: str, model_version: str, texts: Sequence[str]) -> list[str]:
        """The texts now claimed by this worker (new claims, expired ones taken over, its own already)."""
        if not texts:
            return []
        by_hash = {text_hash(text): text for text in texts}
        key = and_(
            TranslationClaim.source_language == source,
            TranslationClaim.target_language == target,
            TranslationClaim.engine == engine,
            TranslationClaim.model_version == model_version,
        )

        def attempt() -> list[str]:
            now = time.time()
            until = now + self.lease_seconds
            mine: list[str] = []
            with self.sessions.begin() as session:
                for hashes in in_chunks(sorted(by_hash)):
                    rows = {
                        row.source_hash: row
                        for row in session.scalars(
                            select(TranslationClaim)
                            .where(key, TranslationClaim.source_hash.in_(hashes))
                            .with_for_update(skip_locked=True)
                        )
                    }
                    fresh = [h for h in hashes if h not in rows]
                    taken = [h for h, row in rows.items() if row.worker == self.name or row.expires < now]
                    for h in taken:
                        rows[h].worker = self.name
                        rows[h].expires = until
                    if fresh:
                        values = [
                            {
                                "source_hash": h,
                                "source_language": source,
                                "target_language": target,
                                "engine": engine,
                                "model_version": model_version,
                                "worker": self.name,
                                "expires": until,
                            }
                            for h in fresh
                        ]
                        fresh = self._insert_new(session, values)
                    mine.extend(by_hash[h] for h in (*taken, *fresh))
            return mine

        return retrying(attempt)

    @staticmethod
    def _insert_new(session: Session, values: list[dict[str, object]]) -> list[str]:
        """Insert the claims nobody holds; a row another worker inserted meanwhile stays theirs."""
        stmt = insert_ignore(session, TranslationClaim, values).returning(TranslationClaim.source_hash)
        return [str(h) for h in session.execute(stmt).scalars()]

    def release(self, source: str, target: str, engine: str, model_version: str, texts: Sequence[str]) -> None:
        """Drop this worker's claims on texts whose answers are in the memory now."""
        hashes = sorted({text_hash(text) for text in texts})

        def attempt() -> None:
            with self.sessions.begin() as session:
                for chunk in in_chunks(hashes):
                    session.execute(
                        delete(TranslationClaim).where(
                            TranslationClaim.source_hash.in_(chunk),
                            TranslationClaim.source_language == source,
                            TranslationClaim.target_language == target,
                            TranslationClaim.engine == engine,
                            TranslationClaim.model_version == model_version,
                            TranslationClaim.worker == self.name,
                        )
                    )

        if hashes:
            retrying(attempt)


STOP_CHECK_SECONDS = 0.25  # the longest a listening worker takes to see that it was told to stop


class Waker:
    """How a following worker waits for new work: PostgreSQL ``LISTEN``, or a sleep between polls.

    The triggers that queue work ``NOTIFY chm_translate_work`` on commit, so a listening worker
    wakes at once; ``poll_seconds`` bounds the wait anyway (a notification is lost while the
    listening connection is down, and SQLite has none).
    """

    def __init__(self, conninfo: str | None, poll_seconds: float) -> None:
        self.conninfo = conninfo
        self.poll_seconds = poll_seconds
        self._connection: Any = None

    @classmethod
    def polling(cls, poll_seconds: float) -> Waker:
        return cls(None, poll_seconds)

    @classmethod
    def for_catalogue(cls, dsn: str, poll_seconds: float) -> Waker:
        """LISTEN on a PostgreSQL catalogue, polling on any other."""
        conninfo = listen_conninfo(dsn)
        return cls.polling(poll_seconds) if conninfo is None else cls(conninfo, poll_seconds)

    def _listening(self) -> Any:
        if self._connection is None or self._connection.closed:
            import psycopg

            self._connection = psycopg.connect(self.conninfo or "", autocommit=True, connect_timeout=10)
            listen(self._connection, CHANNEL)
        return self._connection

    def wait(self, stop: threading.Event) -> None:
        """Return when work may have arrived: a notification, ``poll_seconds`` passed, or ``stop`` set.

        ``stop`` (set by SIGTERM) ends the wait within ``STOP_CHECK_SECONDS`` on PostgreSQL too: the
        socket is waited on in slices of that length, so a stopped worker does not sit out the
        rest of ``poll_seconds`` in ``LISTEN`` (``docker stop`` kills after 10 s).
        """
        if self.conninfo is None:
            stop.wait(self.poll_seconds)
            return
        deadline = time.monotonic() + self.poll_seconds
        try:
            connection = self._listening()
            while not stop.is_set():
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return
                for _notice in connection.notifies(timeout=min(remaining, STOP_CHECK_SECONDS), stop_after=1):
                    return
        except Exception:
            self.close()
            stop.wait(max(0.0, deadline - time.monotonic()))

    def close(self) -> None:
        if self._connection is not None:
            try:
                self._connection.close()
            finally:
                self._connection = None
