"""How much translation is left, how fast it goes, and when it will be done: for the CLI and health.

Counted from the catalogue itself (what the workers would do), not from the work queue alone: a
field version is *to translate* when a configured language has no version of it (or only a
``stale`` one, whose source text changed); *failed* (the gate refused the machine's output) and
*pending* (no model for the pair) are counted apart, since no worker run changes them until a
model or a curator does. A field with originals in two languages counts once per source
language. The rate is what the workers stored over the last ``window`` seconds (field versions
and model segments), and the ETA divides what is left by it.

The counting queries are aggregates over ``field_texts`` (index-backed anti-joins,
``record_catalogue.backlog_counts``); the health route calls :func:`cached_backlog`, which keeps a
result for a few seconds.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from record_catalogue.backlog_counts import count_backlog
from record_catalogue.db import Sessions

WINDOW_SECONDS = 600.0
CACHE_SECONDS = 10.0


@dataclass(frozen=True)
class PairBacklog:
    """Field versions left to translate from ``source`` into ``target``."""

    source: str
    target: str
    to_translate: int


@dataclass
class BacklogStatus:
    """The backlog per pair, what is stuck, the workers, the rate and the ETA."""

    pairs: list[PairBacklog] = field(default_factory=list)
    failed: dict[str, int] = field(default_factory=dict)  # by target language
    pending: dict[str, int] = field(default_factory=dict)  # by target language (no model)
    queued_records: int = 0
    leased_records: int = 0
    held_back_records: int = 0
    workers: int = 0
    fields_per_second: float = 0.0
    segments_per_second: float = 0.0
    window_seconds: float = WINDOW_SECONDS

    @property
    def to_translate(self) -> int:
        return sum(pair.to_translate for pair in self.pairs)

    @property
    def eta_seconds(self) -> float | None:
        """Seconds until the backlog is done at the current rate; None when nothing is moving."""
        if self.to_translate == 0:
            return 0.0
        if self.fields_per_second <= 0:
            return None
        return self.to_translate / self.fields_per_second

    def eta_text(self) -> str:
        eta = self.eta_seconds
        if eta is None:
            return "unknown (no translation stored in the last " + _duration(self.window_seconds) + ")"
        return "done" if eta == 0 else _duration(eta)

    def summary(self) -> str:
        return (
            f"{self.to_translate} field versions to translate, {self.queued_records} records queued "
            f"({self.leased_records} held by {self.workers} workers); "
            f"{self.fields_per_second * 60:.1f} fields/min, ETA {self.eta_text()}"
        )

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["to_translate"] = self.to_translate
        data["eta_seconds"] = self.eta_seconds
        return data


def _duration(seconds: float) -> str:
    seconds = round(seconds)
    if seconds < 120:
        return f"{seconds}s"
    minutes = seconds // 60
    if minutes < 120:
        return f"{minutes} min"
    hours = minutes // 60
    return f"{hours} h {minutes % 60:02d} min" if hours < 48 else f"{hours // 24} days {hours % 24} h"


def backlog_status(sessions: Sessions, languages: Sequence[str], window: float = WINDOW_SECONDS) -> BacklogStatus:
    """The backlog of a catalogue for the configured ``languages``."""
    counts = count_backlog(sessions, languages, window)
    return BacklogStatus(
        pairs=[PairBacklog(*pair) for pair in sorted(counts.to_translate)],
        failed=counts.failed,
        pending=counts.pending,
        queued_records=counts.queued_records,
        leased_records=counts.leased_records,
        held_back_records=counts.held_back_records,
        workers=counts.workers,
        fields_per_second=counts.fields_done / window,
        segments_per_second=counts.segments_done / window,
        window_seconds=window,
    )


_cache: dict[tuple[str, tuple[str, ...]], tuple[float, BacklogStatus]] = {}
_cache_lock = threading.Lock()


def cached_backlog(sessions: Sessions, key: str, languages: Sequence[str]) -> BacklogStatus:
    """:func:`backlog_status`, kept for CACHE_SECONDS per catalogue (health checks come often)."""
    cache_key = (key, tuple(languages))
    with _cache_lock:
        hit = _cache.get(cache_key)
        if hit is not None and time.monotonic() - hit[0] < CACHE_SECONDS:
            return hit[1]
    status = backlog_status(sessions, languages)
    with _cache_lock:
        _cache[cache_key] = (time.monotonic(), status)
    return status
