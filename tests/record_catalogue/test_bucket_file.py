"""The rate-limit buckets several API processes share beside a SQLite catalogue (``BucketFile``)."""

from __future__ import annotations

import multiprocessing
import time
from pathlib import Path

import pytest

from record_catalogue import bucket_file
from record_catalogue.bucket_file import FILE_BYTES, PROBE, SLOTS, BucketFile


class Clock:
    """``time.time`` as the module reads it, moved by hand."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.now = 1_800_000_000.0
        monkeypatch.setattr(bucket_file.time, "time", lambda: self.now)


def test_a_bucket_allows_its_limit_then_says_how_long_to_wait(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    clock = Clock(monkeypatch)
    buckets = BucketFile(tmp_path / "catalogue.db-ratelimits")
    assert [buckets.take("ip:a", 3) for _ in range(3)] == [0.0, 0.0, 0.0]
    assert buckets.take("ip:a", 3) == pytest.approx(20.0)  # 3 a minute: a token every 20 s
    assert buckets.waiting("ip:a", 3) == pytest.approx(20.0)
    assert buckets.take("ip:b", 3) == 0.0  # each client its own bucket
    clock.now += 10
    assert buckets.take("ip:a", 3) == pytest.approx(10.0)  # half a token so far; a refused take costs nothing
    clock.now += 10
    assert buckets.waiting("ip:a", 3) == 0.0
    assert buckets.take("ip:a", 3) == 0.0
    assert buckets.take("ip:a", 3) > 0
    clock.now += 3600
    assert [buckets.take("ip:a", 3) for _ in range(4)][-2:] == [0.0, pytest.approx(20.0)]  # full, not more


def test_two_openers_of_the_file_share_every_bucket(tmp_path: Path) -> None:
    path = tmp_path / "catalogue.db-ratelimits"
    first, second = BucketFile(path), BucketFile(path)
    outcomes = [(first if n % 2 else second).take("ip:shared", 4) for n in range(6)]
    assert outcomes[:4] == [0.0] * 4 and all(wait > 0 for wait in outcomes[4:])
    assert first.waiting("ip:shared", 4) > 0 and second.waiting("ip:other", 4) == 0.0
    assert path.stat().st_size == FILE_BYTES


def _take_many(path: str, client: str, attempts: int, per_minute: int, start: float) -> int:
    buckets = BucketFile(Path(path))
    while time.time() < start:  # all processes begin together
        time.sleep(0.001)
    return sum(buckets.take(client, per_minute) == 0.0 for _ in range(attempts))


def test_processes_taking_at_once_are_held_to_one_limit(tmp_path: Path) -> None:
    """Four processes hammer one client's bucket: the tokens granted are the limit (plus what the
    bucket refilled meanwhile), never the limit per process or a lost update's extra."""
    path = str(tmp_path / "catalogue.db-ratelimits")
    per_minute, processes, attempts = 6000, 4, 4000
    BucketFile(Path(path)).waiting("warm", 1)  # the table made once before the race
    start = time.time() + 1.0
    with multiprocessing.get_context("spawn").Pool(processes) as pool:
        results = [
            pool.apply_async(_take_many, (path, "ip:busy", attempts, per_minute, start)) for _ in range(processes)
        ]
        granted = [result.get(timeout=120) for result in results]
    elapsed = time.time() - start
    refilled = elapsed * per_minute / 60.0
    assert sum(granted) >= per_minute
    assert sum(granted) <= per_minute + refilled + 1, (granted, elapsed)
    assert sum(1 for count in granted if count > 0) >= 2, granted  # it really was a race


def _colliding(count: int) -> list[str]:
    """Clients whose probe windows start at the same slot."""
    home = bucket_file._key("ip:home") % SLOTS
    found = ["ip:home"]
    n = 0
    while len(found) < count:
        n += 1
        client = f"ip:{n}"
        if bucket_file._key(client) % SLOTS == home:
            found.append(client)
    return found


def test_a_full_window_reuses_buckets_that_refilled_else_evicts_the_stalest(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock = Clock(monkeypatch)
    buckets = BucketFile(tmp_path / "catalogue.db-ratelimits")
    clients = _colliding(PROBE + 2)

    def take(client: str) -> float:
        clock.now += 0.01  # every take later than the one before: "stalest" is well defined
        return buckets.take(client, 1)

    assert all(take(client) == 0.0 for client in clients[:PROBE])
    assert all(take(client) > 0 for client in clients[:PROBE])  # every one of them kept
    # One more client while all are recent: the stalest (the first) is evicted, the others keep
    # their empty buckets.
    assert take(clients[PROBE]) == 0.0
    assert take(clients[0]) == 0.0  # evicted: it starts full again (evicting the next stalest)
    assert all(take(client) > 0 for client in clients[2 : PROBE + 1])
    # A minute on, every bucket has refilled: a new client takes a slot, nobody is refused.
    clock.now += 61
    assert take(clients[PROBE + 1]) == 0.0
    assert all(take(client) == 0.0 for client in clients)


def test_a_file_that_is_not_a_bucket_table_is_made_anew(tmp_path: Path) -> None:
    path = tmp_path / "catalogue.db-ratelimits"
    for junk in (b"", b"not a table", b"CHMRATE1" + b"\xff" * (FILE_BYTES - 8), b"\x00" * FILE_BYTES):
        path.write_bytes(junk)
        buckets = BucketFile(path)
        assert buckets.take("ip:a", 2) == 0.0 and buckets.take("ip:a", 2) == 0.0 and buckets.take("ip:a", 2) > 0
        assert path.stat().st_size == FILE_BYTES
        buckets.close()


def test_a_file_cut_short_under_a_running_process_fails_one_take_then_is_made_anew(tmp_path: Path) -> None:
    path = tmp_path / "catalogue.db-ratelimits"
    buckets = BucketFile(path)
    assert buckets.take("ip:a", 1) == 0.0 and buckets.take("ip:a", 1) > 0
    with path.open("r+b") as cut:
        cut.truncate(100)
    with pytest.raises(OSError, match="shorter than a bucket table"):
        buckets.take("ip:a", 1)
    assert buckets.take("ip:a", 1) == 0.0 and path.stat().st_size == FILE_BYTES


def test_a_clock_far_ahead_when_a_bucket_was_written_does_not_hold_it_empty(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock = Clock(monkeypatch)
    buckets = BucketFile(tmp_path / "catalogue.db-ratelimits")
    buckets.take("ip:a", 1)
    clock.now -= 30  # a small step back: no refill meanwhile, still limited
    assert buckets.take("ip:a", 1) > 0
    clock.now -= 86_400  # the clock was a day ahead: the bucket starts full
    assert buckets.take("ip:a", 1) == 0.0


def test_a_file_that_cannot_be_opened_is_an_os_error(tmp_path: Path) -> None:
    (tmp_path / "catalogue.db-ratelimits").mkdir()
    with pytest.raises(OSError):
        BucketFile(tmp_path / "catalogue.db-ratelimits").take("ip:a", 1)
