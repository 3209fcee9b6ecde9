"""``SnapshotMemo``: answers kept for one index snapshot, bounded, least recently used first out."""

from __future__ import annotations

from collections.abc import Callable

from search_index.snapshot_memo import SnapshotMemo


def _made(log: list[str], key: str, answer: int) -> Callable[[], int]:
    def make() -> int:
        log.append(key)
        return answer

    return make


def test_an_answer_is_kept_for_its_snapshot_only() -> None:
    memo: SnapshotMemo[int] = SnapshotMemo(8)
    log: list[str] = []
    assert memo.get("s1", "a", _made(log, "a", 1)) == 1
    assert memo.get("s1", "a", _made(log, "a", 2)) == 1  # remembered
    assert memo.peek("s1", "a") == 1
    assert memo.get("s2", "a", _made(log, "a", 3)) == 3  # a new snapshot: made again
    assert memo.peek("s1", "a") is None  # the old snapshot's answers are gone
    assert memo.get("s2", "a", _made(log, "a", 4)) == 3
    assert log == ["a", "a"]
    assert (memo.hits, memo.misses) == (2, 2)


def test_without_a_snapshot_or_room_nothing_is_kept() -> None:
    log: list[str] = []
    memo: SnapshotMemo[int] = SnapshotMemo(8)
    assert memo.get(None, "a", _made(log, "a", 1)) == 1
    assert memo.get(None, "a", _made(log, "a", 2)) == 2
    assert memo.peek(None, "a") is None
    off: SnapshotMemo[int] = SnapshotMemo(0)
    assert off.get("s", "a", _made(log, "a", 3)) == 3
    assert off.get("s", "a", _made(log, "a", 4)) == 4
    assert log == ["a", "a", "a", "a"]


def test_the_least_recently_used_answer_goes_first() -> None:
    memo: SnapshotMemo[int] = SnapshotMemo(2)
    log: list[str] = []
    memo.get("s", "a", _made(log, "a", 1))
    memo.get("s", "b", _made(log, "b", 2))
    memo.get("s", "a", _made(log, "a", 9))  # used again: "b" is now the oldest
    memo.get("s", "c", _made(log, "c", 3))
    assert memo.peek("s", "a") == 1
    assert memo.peek("s", "b") is None
    assert memo.peek("s", "c") == 3
    assert log == ["a", "b", "c"]
