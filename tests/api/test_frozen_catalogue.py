"""A SQLite catalogue made immutable under a running server (issue 13, item 5), as root does it
with ``chattr +i`` (a read-only file for other users): a real `chm-search serve` process.

Before: with the database file immutable, pushes kept answering 200 (SQLite wrote them to the
``-wal`` file, never to be checkpointed into the frozen file); with its ``-wal`` and ``-shm`` files
immutable too, the server's next read was killed by SIGBUS (SQLite's shared memory is mapped
read-write).
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from devtools.commands import clean_environment
from devtools.served import SERVE, serving
from devtools.served import Server as Served
from record_catalogue.keys import KeyStore
from record_catalogue.settings import load_settings
from record_catalogue.store import Catalogue


def _record(n: int) -> dict[str, Any]:
    return {"header": {"identifier": f"FROZEN-{n}", "schema": "absPermit"}, "title": {"en": f"permit {n}"}}


@contextlib.contextmanager
def frozen(*paths: Path) -> Iterator[None]:
    """``paths`` unwritable: immutable for root (who ignores permissions), read-only otherwise."""
    os.sync()  # SQLite's shared-memory pages written back: the next write to one faults
    if os.geteuid() == 0:
        made = subprocess.run(["chattr", "+i", *map(str, paths)], capture_output=True, text=True)
        if made.returncode != 0:
            pytest.fail(f"cannot make the catalogue immutable as root: {made.stderr.strip()}")
    else:
        for path in paths:
            path.chmod(0o444)
    try:
        yield
    finally:
        if os.geteuid() == 0:
            subprocess.run(["chattr", "-i", *map(str, paths)], check=True)
        else:
            for path in paths:
                path.chmod(0o644)


class Server:
    """``chm-search serve`` on a data directory, called with an ingest key."""

    def __init__(self, data: Path, key: str, running: Served) -> None:
        self.data, self.key, self.url, self.process = data, key, running.url, running.process

    def call(self, method: str, path: str, body: Any = None) -> tuple[int, Any]:
        """``(status, JSON body)``; status 0 when nothing answered (the process is gone)."""
        request = urllib.request.Request(
            f"{self.url}{path}",
            method=method,
            data=None if body is None else json.dumps(body).encode(),
            headers={"X-API-Key": self.key, "Content-Type": "application/json"},
        )
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return int(response.status), json.loads(response.read() or b"null")
        except urllib.error.HTTPError as exc:
            return int(exc.code), json.loads(exc.read() or b"null")
        except OSError:
            return 0, None


@contextlib.contextmanager
def started(data: Path, key: str, **settings: str) -> Iterator[Server]:
    environment = clean_environment(CHM_DATA_DIR=str(data), **settings)
    with serving(SERVE, environment, any_answer=True) as running:
        yield Server(data, key, running)


def test_a_connection_opened_while_frozen_does_not_refuse_writes_once_thawed(tmp_path: Path) -> None:
    """SQLite opens a database it cannot write read-only and keeps it so: a connection the pool
    opened during the freeze (a new API process's first read, the pool growing) must not be lent
    out for writes afterwards (it answered "attempt to write a readonly database", a 503)."""
    catalogue = Catalogue(load_settings(data_dir=tmp_path / "data").catalogue_dsn)
    keys = KeyStore(catalogue)
    keys.create("before", "ingest")
    with frozen(tmp_path / "data" / "catalogue.sqlite3"):
        catalogue.engine.dispose()  # the next statement opens a connection, while frozen
        assert [info.name for info in keys.list()] == ["before"]  # reads go on
    keys.create("after", "ingest")
    assert [info.name for info in keys.list()] == ["before", "after"]
    catalogue.close()


def _ingest_key(data: Path) -> str:
    catalogue = Catalogue(load_settings(data_dir=data).catalogue_dsn)
    key = KeyStore(catalogue).create("frozen test", "ingest")
    catalogue.close()
    return key


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    """The server as it runs by default (one API process per core)."""
    data = tmp_path / "data"
    with started(data, _ingest_key(data)) as server:
        yield server


@pytest.fixture
def one_process(tmp_path: Path) -> Iterator[Server]:
    """One API process: every answer comes from the process whose connections mapped SQLite's
    shared memory read-write (another process that first opens the catalogue frozen reads it)."""
    data = tmp_path / "data"
    with started(data, _ingest_key(data), CHM_WORKERS="1") as server:
        yield server


def test_an_immutable_database_file_keeps_reads_and_refuses_writes_naming_it(server: Server) -> None:
    assert server.call("POST", "/api/v1/records", _record(1))[0] == 200
    database = server.data / "catalogue.sqlite3"
    with frozen(database):
        assert server.call("GET", "/api/v1/records/FROZEN-1")[0] == 200
        assert server.call("GET", "/api/v1/search?q=permit")[0] == 200
        status, body = server.call("POST", "/api/v1/records", _record(2))
        assert status == 503, body
        assert body["error"]["code"] == "catalogue_read_only"
        assert "catalogue.sqlite3" in body["error"]["message"] and "read-only" in body["error"]["message"]
        assert server.call("GET", "/api/v1/records/FROZEN-2")[0] == 404
    assert server.process.poll() is None
    assert server.call("POST", "/api/v1/records", _record(2))[0] == 200  # writable again: writes go on


def test_catalogue_files_frozen_under_the_server_are_a_503_not_a_sigbus(one_process: Server) -> None:
    server = one_process
    assert server.call("POST", "/api/v1/records", _record(1))[0] == 200
    assert server.call("GET", "/api/v1/records/FROZEN-1")[0] == 200
    # Another process writes last (a command's run), so the server's next read takes a new read
    # mark in SQLite's shared memory: a write into the mapping.
    catalogue = Catalogue(load_settings(data_dir=server.data).catalogue_dsn)
    KeyStore(catalogue).create("another writer", "curator")
    catalogue.close()
    files = [server.data / name for name in ("catalogue.sqlite3", "catalogue.sqlite3-wal", "catalogue.sqlite3-shm")]
    assert all(path.exists() for path in files)
    with frozen(*files):
        for _ in range(3):
            status, body = server.call("GET", "/api/v1/records/FROZEN-1")
            assert status == 503, (status, body, server.process.poll())
            assert body["error"]["code"] == "catalogue_read_only" and "restart" in body["error"]["message"]
        assert server.call("POST", "/api/v1/records", _record(2))[0] == 503
        assert server.process.poll() is None  # alive (before: killed by SIGBUS)
        # A process started on the frozen catalogue reads it.
        with started(server.data, server.key) as fresh:
            status, body = fresh.call("GET", "/api/v1/records/FROZEN-1")
            assert status == 200 and body["id"] == "FROZEN-1"
            assert fresh.call("POST", "/api/v1/records", _record(3))[0] == 503
