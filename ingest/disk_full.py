"""Telling a full disk from other failures, so that ingest can say so in one line (exit 4).

A full disk surfaces in many shapes: ``OSError`` ENOSPC from Python, SQLite's "database or
disk is full", Tantivy's "an index writer was killed" (its writer thread's I/O error is not
passed on), a file-size limit's EFBIG. The exception is checked first; then the places ingest
writes to are asked how much room they have left, which is what an operator needs to hear.
"""

from __future__ import annotations

import errno
import os
from collections.abc import Iterator, Sequence
from pathlib import Path

FULL_ERRNOS = {errno.ENOSPC, errno.EDQUOT, errno.EFBIG}
FULL_MESSAGES = ("database or disk is full", "no space left on device", "disk quota exceeded", "file too large")
LOW_WATER = 1024 * 1024  # bytes free under which a write failure is taken for a full disk


def _chain(exc: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        current = current.__cause__ or current.__context__


def disk_full(exc: BaseException, places: Sequence[Path]) -> str | None:
    """Why ``exc`` is a full disk (one line naming the place and what is free), or None."""
    said = next(
        (
            e
            for e in _chain(exc)
            if (isinstance(e, OSError) and e.errno in FULL_ERRNOS)
            or any(message in str(e).lower() for message in FULL_MESSAGES)
        ),
        None,
    )
    for place in places:
        free = free_bytes(place)
        if free is not None and (free < LOW_WATER or said is not None):
            cause = f" ({_first_line(said)})" if said is not None else ""
            return f"no space left where {place} is: {free:,} bytes free{cause}"
    if said is not None:
        return _first_line(said)
    return None


def free_bytes(place: Path) -> int | None:
    """Bytes an unprivileged writer may still use on the file system holding ``place``; None if
    ``place`` does not exist or lies on a file system without blocks (``/proc``: nothing is
    written there, and it always reports 0 free)."""
    try:
        stats = os.statvfs(place)
    except OSError:
        return None
    if stats.f_blocks == 0:
        return None
    return stats.f_bavail * stats.f_frsize


def _first_line(exc: BaseException) -> str:
    lines = str(exc).strip().splitlines()
    return lines[0] if lines else exc.__class__.__name__
