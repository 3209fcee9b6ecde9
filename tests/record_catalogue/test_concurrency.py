"""Several writers on one catalogue at once, on SQLite and PostgreSQL: nothing lost, no 500.

On PostgreSQL writers really run side by side (row locks, not one database lock), which is where
concurrent pushes used to deadlock (``mark_indexed`` against upserts), lose a record (two
transactions inserting the same new id) and answer 500.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from analyzers.detect import LanguageDetector
from ingest.pipeline import Pipeline
from ingest.sources.cbd_json import record_from_json
from record_catalogue.keys import KeyStore
from record_catalogue.settings import Settings
from record_catalogue.store import Catalogue
from search_api.app import create_app
from search_index.tantivy_backend import TantivyBackend

POOL = 300  # distinct ids, every push takes PUSH_SIZE of them in its own order


def cbd_record(n: int, revision: int) -> dict[str, Any]:
    """A CBD-format record whose title changes with ``revision`` (an update when it does)."""
    return {
        "header": {"identifier": f"PUSH-{n:04d}", "schema": "nationalTarget", "languages": ["en"]},
        "government": {"identifier": "br"},
        "title": {"en": f"National target {n} on protected areas and forests, revision {revision}"},
    }


def pushes(client: int, count: int, size: int) -> Iterator[list[dict[str, Any]]]:
    rng = random.Random(client)
    for push in range(count):
        ids = rng.sample(range(POOL), size)
        yield [cbd_record(n, (client + push) % 3) for n in ids]


@pytest.fixture
def push_app(settings: Settings) -> Iterator[tuple[TestClient, dict[str, str]]]:
    catalogue = Catalogue(settings.catalogue_dsn)
    key = KeyStore(catalogue).create("Brazil CHM", "ingest")
    catalogue.close()
    # A server error is an answer (500) here, as a partner would get it, not an exception.
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        yield client, {"X-API-Key": key}


def test_concurrent_pushes_lose_nothing_and_never_answer_500(
    push_app: tuple[TestClient, dict[str, str]], settings: Settings
) -> None:
    """6 clients x 8 pushes of 200 overlapping ids in their own orders (issue 12's trial)."""
    client, headers = push_app
    clients, count, size = 6, 8, 200
    start = threading.Barrier(clients)
    answers: list[tuple[int, dict[str, Any]]] = []
    lock = threading.Lock()

    def push_all(number: int) -> None:
        start.wait()
        for body in pushes(number, count, size):
            response = client.post("/api/v1/records", json=body, headers=headers)
            json = response.headers.get("content-type", "").startswith("application/json")
            with lock:
                answers.append((response.status_code, response.json() if json else {"text": response.text}))

    threads = [threading.Thread(target=push_all, args=(n,)) for n in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    statuses = sorted(status for status, _ in answers)
    assert len(answers) == clients * count
    assert statuses == [200] * len(answers), [body for status, body in answers if status != 200][:3]
    for _, body in answers:
        assert body["errors"] == [], body["errors"][:3]
        assert body["created"] + body["updated"] + body["unchanged"] == size
    pushed = {doc["header"]["identifier"] for c in range(clients) for body in pushes(c, count, size) for doc in body}
    catalogue = Catalogue(settings.catalogue_dsn)
    try:
        assert catalogue.count() == len(pushed)
        assert catalogue.ids_needing_index() == []
        stored = {row.id: row for row in catalogue.iter_records()}
        assert set(stored) == pushed
        for row in stored.values():
            created = [e for e in catalogue.audit_trail(row.id) if e.action == "record.created"]
            assert len(created) == 1, (row.id, len(created))
    finally:
        catalogue.close()
    found = client.get("/api/v1/search", params={"q": "", "size": 1}).json()
    assert found["total"] == len(pushed)


def test_two_ingest_runs_at_once(settings: Settings, tmp_path: Path) -> None:
    """Two pipelines with their own catalogue connections, over overlapping input, side by side."""
    backend = TantivyBackend(settings.index_dir)  # one process's index object (Tantivy: one writer)
    backend.ensure_index()
    catalogues = [Catalogue(settings.catalogue_dsn) for _ in range(2)]
    detector = LanguageDetector(settings.languages)
    reports = []
    failures: list[BaseException] = []
    start = threading.Barrier(2)

    def run(number: int) -> None:
        pipeline = Pipeline(catalogues[number], backend, detector, settings.languages, batch_size=50)
        docs = [doc for body in pushes(number, 4, 200) for doc in body]
        items = [record_from_json(doc, f"run-{number}", f"item {n}") for n, doc in enumerate(docs)]
        start.wait()
        try:
            reports.append(pipeline.run(items))
        except BaseException as exc:  # reported by the assertion below, with its type
            failures.append(exc)

    threads = [threading.Thread(target=run, args=(n,)) for n in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    try:
        assert failures == []
        assert [r.errors for r in reports] == [0, 0], [e.reason[:300] for e in catalogues[0].errors()]
        expected = {
            doc["header"]["identifier"] for number in range(2) for body in pushes(number, 4, 200) for doc in body
        }
        assert catalogues[0].count() == len(expected)
        assert catalogues[0].ids_needing_index() == []
        assert backend.count() == len(expected)
    finally:
        for catalogue in catalogues:
            catalogue.close()
        backend.close()


def test_two_ingest_commands_at_once(settings: Settings, tmp_path: Path) -> None:
    """Two ``chm-search ingest`` processes over the same records, side by side: both finish, every
    record is stored once and indexed. The embedded index admits one writing process at a time:
    the second waits for the first (it used to stop with "being written by another process")."""
    from devtools.corpus import write_jsonl
    from tests.commands import run

    first = write_jsonl(tmp_path / "first.jsonl", 500, seed=11)
    second = write_jsonl(tmp_path / "second.jsonl", 500, seed=12)
    on = {"CHM_CATALOGUE_URL": settings.catalogue_dsn}
    orders = [(first, second), (second, first)]  # each has new records to index while the other writes
    # Another process writes the index when both runs come to it: this test holds its writer
    # until the runs have stored every record (or a minute has passed).
    holder = TantivyBackend(settings.index_dir)
    holder.ensure_index()
    holder.bulk([{"id": "HOLD", "realm": "CHM", "schema": "nationalTarget", "original_language": "en"}])
    catalogue = Catalogue(settings.catalogue_dsn)

    def release() -> None:
        deadline = time.monotonic() + 60
        while catalogue.count() < 1000 and time.monotonic() < deadline:
            time.sleep(0.5)
        holder.delete(["HOLD"])
        holder.refresh()
        holder.close()

    with ThreadPoolExecutor(3) as pool:
        released = pool.submit(release)
        runs = list(pool.map(lambda paths: run(tmp_path, "ingest", *map(str, paths), **on), orders))
        released.result()
    catalogue.close()
    for done in runs:
        assert done.returncode == 0, done.stderr[-2000:]
        assert "0 errors" in done.stdout
    catalogue = Catalogue(settings.catalogue_dsn)
    backend = TantivyBackend(settings.index_dir)
    try:
        assert catalogue.count() == 1000 and catalogue.ids_needing_index() == []
        assert backend.count() == 1000
    finally:
        backend.close()
        catalogue.close()
