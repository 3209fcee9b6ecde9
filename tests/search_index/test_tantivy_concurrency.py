"""The embedded index written by several threads of one process at once (the API's pushes, the
translate worker's re-indexing): each commit (``refresh``) consumes the writer it commits, and a
thread still holding that writer used to fail with ``IndexWriter was consumed``."""

from __future__ import annotations

import threading
from pathlib import Path

from search_index.base import SearchQuery
from search_index.tantivy_backend import TantivyBackend

THREADS, ROUNDS, PER_ROUND = 4, 25, 3


def test_bulk_and_refresh_from_many_threads_lose_nothing(tmp_path: Path) -> None:
    backend = TantivyBackend(tmp_path / "index")
    backend.ensure_index()
    start = threading.Barrier(THREADS)
    failures: list[BaseException] = []

    def write(thread: int) -> None:
        start.wait()
        try:
            for round_ in range(ROUNDS):
                docs = [
                    {
                        "id": f"T{thread}-{round_}-{n}",
                        "realm": "CHM",
                        "schema": "nationalTarget",
                        "original_language": "en",
                        "title": {"en": f"Protected areas round {round_}"},
                    }
                    for n in range(PER_ROUND)
                ]
                result = backend.bulk(iter(docs))
                assert result.errors == [] and result.indexed == PER_ROUND
                backend.delete([f"T{thread}-{round_}-0"])
                backend.refresh()
        except BaseException as exc:  # collected: an exception in a thread would pass unnoticed
            failures.append(exc)

    threads = [threading.Thread(target=write, args=(n,)) for n in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    try:
        assert [f"{type(f).__name__}: {f}" for f in failures] == []
        backend.refresh()
        assert backend.count() == THREADS * ROUNDS * (PER_ROUND - 1)
        assert backend.search(SearchQuery(text="protected", lang="en", size=1)).total == backend.count()
    finally:
        backend.close()
