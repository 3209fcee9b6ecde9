"""Rate-limit buckets shared by the API processes of one machine, in a small file beside a SQLite
catalogue.

Why a file and not the catalogue: a request's token must not cost a write to SQLite (the one
writer would queue every search behind ingest's transactions), yet ``chm-search serve --workers N``
must hold a client to one limit, not N. So the buckets live in a fixed-size table in
``<catalogue>-ratelimits``, read and written with ``pread``/``pwrite`` under an exclusive
``flock``: a take is a few system calls (microseconds) and never touches SQLite. Not memory-mapped,
so that a file turned unwritable under a running process gives an ``OSError`` (the caller then
limits in its own process) instead of SIGBUS (see ``sqlite_files``).

The table is open addressing over ``SLOTS`` slots of (client hash, tokens, updated); a client's
slot is found among ``PROBE`` slots from its hash. A bucket untouched for a minute is full again
(every bucket refills to ``per_minute`` at ``per_minute`` a minute), so such a slot is free to
take; only with more than ``PROBE`` clients active in one minute on one probe window is the
stalest evicted (that client starts full again, as the in-process limiter's reset does). Time is
the wall clock, as ``SharedBuckets``' (a clock going back refills nothing meanwhile).
"""

from __future__ import annotations

import errno
import fcntl
import hashlib
import os
import struct
import threading
import time
import weakref
from pathlib import Path

from record_catalogue.token_bucket import refilled, seconds_to_token

MAGIC = b"CHMRATE1"
SLOTS = 1 << 16
PROBE = 32
REFILL_SECONDS = 60.0  # any bucket is full again this long after its last take
_HEADER = struct.Struct("<8sI4x")
_SLOT = struct.Struct("<Qdd")
_WINDOW = struct.Struct("<" + "Qdd" * PROBE)
FILE_BYTES = _HEADER.size + SLOTS * _SLOT.size


def _key(client: str) -> int:
    """The client's 64-bit slot key (never 0: 0 marks an empty slot)."""
    return int.from_bytes(hashlib.blake2b(client.encode(), digest_size=8).digest(), "little") or 1


def _available(tokens: float, updated: float, now: float, per_minute: int) -> float:
    """A stored bucket's tokens at ``now``: refilled at ``per_minute`` a minute, at most full."""
    if updated > now + REFILL_SECONDS:  # written under a clock far ahead of ours: start afresh
        return float(per_minute)
    return refilled(tokens, now - updated, per_minute)


class BucketFile:
    """``take``/``waiting`` as ``search_api.limits.RateLimiter``'s, with the buckets in ``path``.

    Every method may raise ``OSError`` (the file cannot be made, read or written); the caller
    decides what to do meanwhile.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()  # flock is per open file: threads of one process need this too
        self._fd: int | None = None
        self._checked = False  # whether this process has seen the file hold a table

    @classmethod
    def beside(cls, database: str) -> BucketFile:
        """The buckets of the API processes using the SQLite catalogue ``database``."""
        return cls(Path(f"{database}-ratelimits"))

    def _open(self) -> int:
        if self._fd is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)  # as the catalogue makes its folder
            self._fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
            # Apps made and dropped without their shutdown (tests, reloads) must not leak it.
            self._closer = weakref.finalize(self, os.close, self._fd)
        return self._fd

    def _ready(self, fd: int) -> None:
        """Under the lock: make the table if the file is new, short or not ours (then every client
        starts full, as after a restart)."""
        if os.fstat(fd).st_size == FILE_BYTES and os.pread(fd, _HEADER.size, 0) == _HEADER.pack(MAGIC, SLOTS):
            return
        os.ftruncate(fd, 0)
        os.ftruncate(fd, FILE_BYTES)
        os.pwrite(fd, _HEADER.pack(MAGIC, SLOTS), 0)

    def _update(self, client: str, per_minute: int, take: bool) -> float:
        key = _key(client)
        first = key % SLOTS
        with self._lock:
            fd = self._open()
            fcntl.flock(fd, fcntl.LOCK_EX)
            try:
                # Read under the lock: a time read before it could be older than what the
                # process ahead of us wrote, and moving ``updated`` back refills twice.
                now = time.time()
                if not self._checked:
                    self._ready(fd)
                    self._checked = True
                window = self._read(fd, first)
                keys, updates = window[0::3], window[2::3]
                if key not in keys:
                    if not take:
                        return 0.0  # no bucket: full
                    # A free slot (empty, or untouched long enough to be full), else the stalest.
                    mine = min(range(PROBE), key=lambda i: (keys[i] != 0, updates[i]))
                    tokens = float(per_minute)
                else:
                    mine = keys.index(key)
                    updated = updates[mine]
                    tokens = _available(window[3 * mine + 1], updated, now, per_minute)
                    if now < updated <= now + REFILL_SECONDS:
                        now = updated  # the clock stepped back a little: never move a bucket back
                wait = seconds_to_token(tokens, per_minute)
                if take:
                    if wait == 0.0:
                        tokens -= 1.0
                    slot = (first + mine) % SLOTS
                    os.pwrite(fd, _SLOT.pack(key, tokens, now), _HEADER.size + slot * _SLOT.size)
                return wait
            finally:
                fcntl.flock(fd, fcntl.LOCK_UN)

    def _read(self, fd: int, first: int) -> tuple[float, ...]:
        """The ``PROBE`` slots from ``first``, wrapping round the table's end, as one flat tuple
        (key, tokens, updated, key, …)."""
        head = min(PROBE, SLOTS - first)
        data = os.pread(fd, head * _SLOT.size, _HEADER.size + first * _SLOT.size)
        if head < PROBE:
            data += os.pread(fd, (PROBE - head) * _SLOT.size, _HEADER.size)
        if len(data) != _WINDOW.size:  # cut short by something else: check the file again next time
            self._checked = False
            raise OSError(errno.EIO, f"{self.path} is shorter than a bucket table")
        return _WINDOW.unpack(data)

    def take(self, client: str, per_minute: int) -> float:
        """0 if the request may go ahead (a token taken), else the seconds to wait before retrying."""
        return self._update(client, per_minute, take=True)

    def waiting(self, client: str, per_minute: int) -> float:
        """What ``take`` would answer, without taking: 0 while the client has a token left."""
        return self._update(client, per_minute, take=False)

    def close(self) -> None:
        with self._lock:
            if self._fd is not None:
                self._closer()
                self._fd = None
                self._checked = False
