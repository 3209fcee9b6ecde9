"""Faults answer 503 with the JSON error body, anything unforeseen a JSON 500 with a request id
(issue 13, item 5). Before: a locked SQLite catalogue made every keyed request wait 30 s and fail,
an immutable catalogue file failed keyed GETs (the key's "best effort" last-use write raised), and
an unhandled exception was Starlette's plain-text "Internal Server Error"."""

from __future__ import annotations

import contextlib
import errno
import logging
import os
import sqlite3
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from record_catalogue.keys import KeyStore
from record_catalogue.settings import Settings, load_settings
from record_catalogue.store import Catalogue
from search_api.app import create_app
from search_index.base import SearchQuery

RECORD = {"header": {"identifier": "FAULT-1", "schema": "absPermit"}, "title": {"en": "x"}, "government": "pe"}


@contextlib.contextmanager
def read_only(path: Path) -> Iterator[None]:
    """``path`` made unwritable: immutable for root (who ignores permissions), read-only otherwise."""
    if os.geteuid() == 0:
        made = subprocess.run(["chattr", "+i", str(path)], capture_output=True, text=True)
        if made.returncode != 0:
            pytest.fail(f"cannot make {path} immutable as root: {made.stderr.strip()}")
        try:
            yield
        finally:
            subprocess.run(["chattr", "-i", str(path)], check=True)
    else:
        path.chmod(0o444)
        try:
            yield
        finally:
            path.chmod(0o644)


@pytest.fixture
def sqlite_stack(tmp_path: Path) -> tuple[Settings, str]:
    """A SQLite catalogue in a directory of its own (so that it alone can be made unwritable), and an ingest key."""
    (tmp_path / "catalogue").mkdir()
    settings = load_settings(
        data_dir=tmp_path / "data", catalogue_url=f"sqlite:///{tmp_path / 'catalogue' / 'catalogue.sqlite3'}"
    )
    catalogue = Catalogue(settings.catalogue_dsn)
    key = KeyStore(catalogue).create("faults test", "ingest")
    catalogue.close()
    return settings, key


def test_a_read_only_catalogue_keeps_keyed_reads_and_makes_writes_503(
    sqlite_stack: tuple[Settings, str], caplog: pytest.LogCaptureFixture
) -> None:
    settings, key = sqlite_stack
    path = Path(settings.catalogue_dsn.removeprefix("sqlite:///"))
    with read_only(path), TestClient(create_app(settings), raise_server_exceptions=False) as client:
        keyed = client.get("/api/v1/languages", headers={"X-API-Key": key})
        assert keyed.status_code == 200, keyed.text
        push = client.post("/api/v1/records", json=RECORD, headers={"X-API-Key": key})
        assert push.status_code == 503 and push.json()["error"]["code"].startswith("catalogue_")
        assert (
            push.json()["error"]["code"] == "catalogue_read_only"
            and "catalogue.sqlite3" in push.json()["error"]["message"]
        )


def test_a_locked_catalogue_does_not_hold_up_keyed_reads(sqlite_stack: tuple[Settings, str]) -> None:
    """Another writer holds the catalogue: reads go on (WAL), and a key's last-use write waits aside."""
    settings, key = sqlite_stack
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        holder = sqlite3.connect(settings.catalogue_dsn.removeprefix("sqlite:///"), timeout=1)
        try:
            holder.execute("BEGIN EXCLUSIVE")
            keyed = client.get("/api/v1/languages", headers={"X-API-Key": key})
            assert keyed.status_code == 200, keyed.text
            assert client.get("/api/v1/languages", headers={"X-API-Key": "chm_wrong"}).status_code == 401
        finally:
            holder.rollback()
            holder.close()


def test_a_push_under_another_writers_lock_is_a_quick_503_busy(tmp_path: Path) -> None:
    """Another writer holds the catalogue's exclusive lock: a push waits CHM_API_BUSY_TIMEOUT (not
    the commands' 30 s) and answers 503 catalogue_busy with Retry-After; reads go on meanwhile.
    Before: the push waited 30 s and answered catalogue_unavailable, "try again in 30 s"."""
    (tmp_path / "catalogue").mkdir()
    path = tmp_path / "catalogue" / "catalogue.sqlite3"
    settings = load_settings(data_dir=tmp_path / "data", catalogue_url=f"sqlite:///{path}", api_busy_timeout=0.2)
    catalogue = Catalogue(settings.catalogue_dsn)
    key = KeyStore(catalogue).create("busy test", "ingest")
    catalogue.close()
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        engine = client.app.state.services.catalogue.engine  # type: ignore[attr-defined]
        with engine.connect() as connection:  # the API's connections wait the API's timeout
            assert connection.exec_driver_sql("PRAGMA busy_timeout").scalar() == 200
        holder = sqlite3.connect(path, timeout=1)
        try:
            holder.execute("BEGIN EXCLUSIVE")
            push = client.post("/api/v1/records", json=RECORD, headers={"X-API-Key": key})
            assert push.status_code == 503, push.text
            assert push.json()["error"]["code"] == "catalogue_busy" and push.headers["retry-after"] == "2"
            assert "locked by another writer" in push.json()["error"]["message"]
            assert client.get("/api/v1/records/FAULT-1", headers={"X-API-Key": key}).status_code == 404
        finally:
            holder.rollback()
            holder.close()
        assert client.post("/api/v1/records", json=RECORD, headers={"X-API-Key": key}).json()["created"] == 1


@pytest.fixture
def failing_search(loaded_settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Iterator[TestClient]:
    """The app with its engine's search raising what the test sets in ``client.failure``."""
    with TestClient(create_app(loaded_settings), raise_server_exceptions=False) as test_client:
        backend = test_client.app.state.services.backend  # type: ignore[attr-defined]

        def search(_query: SearchQuery) -> Any:
            raise test_client.failure  # type: ignore[attr-defined]

        monkeypatch.setattr(backend, "search", search)
        yield test_client


def test_an_unexpected_error_is_a_json_500_with_a_request_id(
    failing_search: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    failing_search.failure = RuntimeError("something nobody foresaw")  # type: ignore[attr-defined]
    with caplog.at_level(logging.ERROR, logger="search_api.errors"):
        response = failing_search.get("/api/v1/search", params={"q": "forest"})
    assert response.status_code == 500 and response.headers["content-type"] == "application/json"
    error = response.json()["error"]
    assert error["code"] == "internal_error" and error["request_id"] == response.headers["x-request-id"]
    assert error["request_id"] in error["message"] and "nobody foresaw" not in error["message"]
    [logged] = [r for r in caplog.records if error["request_id"] in r.getMessage()]
    assert logged.exc_info is not None and "something nobody foresaw" in caplog.text  # with its traceback


def test_a_full_disk_is_a_503(failing_search: TestClient) -> None:
    failing_search.failure = OSError(errno.ENOSPC, "No space left on device")  # type: ignore[attr-defined]
    response = failing_search.get("/api/v1/search", params={"q": "forest"})
    assert response.status_code == 503 and response.json()["error"]["code"] == "storage_unavailable"
    assert response.headers["retry-after"] == "30"


def test_every_response_has_a_request_id(client: TestClient) -> None:
    ids = {client.get("/api/v1/languages").headers["x-request-id"] for _ in range(3)}
    assert len(ids) == 3


def _renamed(settings: Settings, table: str) -> None:
    """The catalogue loses ``table`` under the running API (a real database failure, not the request's)."""
    with sqlite3.connect(settings.catalogue_dsn.removeprefix("sqlite:///")) as connection:
        connection.execute(f"ALTER TABLE {table} RENAME TO {table}_gone")


def test_a_database_failure_no_route_handles_is_a_503_from_the_error_table(sqlite_stack: tuple[Settings, str]) -> None:
    """The catalogue makes the project's error of it (CatalogueFailed); the one handler answers
    with the table's row: 503 catalogue_error, Retry-After 30, the database's own words."""
    settings, _key = sqlite_stack
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        assert client.get("/api/v1/records/FAULT-1").status_code == 404  # the catalogue opened, and answering
        _renamed(settings, "records")
        response = client.get("/api/v1/records/FAULT-1")
    assert response.status_code == 503, response.text
    assert response.headers["retry-after"] == "30"
    error = response.json()["error"]
    assert error["code"] == "catalogue_error" and error["request_id"]
    assert (
        error["message"].startswith("catalogue failed: OperationalError: ")
        and "no such table: records" in error["message"]
    )
    assert error["message"].endswith("; try again")


def test_a_key_the_catalogue_cannot_check_is_a_503_from_the_error_table(sqlite_stack: tuple[Settings, str]) -> None:
    """The rate-limit middleware answers outside the app's handlers, but from the same table row
    (it made its own 503 before, with a code and Retry-After of its own)."""
    settings, key = sqlite_stack
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        assert client.get("/api/v1/languages").status_code == 200
        _renamed(settings, "api_keys")
        response = client.get("/api/v1/languages", headers={"X-API-Key": key})
    assert response.status_code == 503, response.text
    assert response.headers["retry-after"] == "30"
    error = response.json()["error"]
    assert error["code"] == "catalogue_error"
    assert error["message"].startswith("the API key cannot be checked: catalogue failed: OperationalError: ")
    assert "no such table: api_keys" in error["message"]
