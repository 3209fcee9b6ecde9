"""A PostgreSQL catalogue locked by another writer answers a quick 503, as SQLite's does (issue 13,
item 5: "catalogue locked"). The API's connections carry ``lock_timeout`` = ``CHM_API_BUSY_TIMEOUT``;
another connection holds the lock a keyed request needs (a row lock on the record a push updates,
a table lock that refuses new rows): the push answers 503 ``catalogue_busy``/``locked`` with
``Retry-After`` while the holder still holds it, and keyed reads go on. Before: the lock timeout
was run again eight times as if it were a deadlock (~4 s at a 0.3 s timeout) and answered as
"busy with concurrent writers" with the wrong ``Retry-After``; met while copying a new record
(psycopg's own cursor), it escaped as a bare driver error: a 500.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from fastapi.testclient import TestClient

from record_catalogue.keys import KeyStore
from record_catalogue.settings import Settings, load_settings
from record_catalogue.store import Catalogue
from search_api.app import create_app
from tests.conftest import catalogue_database

BUSY_TIMEOUT = 0.3


def record(identifier: str, title: str) -> dict[str, object]:
    return {"header": {"identifier": identifier, "schema": "absPermit"}, "title": {"en": title}, "government": "pe"}


@pytest.fixture
def stack(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[tuple[Settings, str, str]]:
    """A PostgreSQL catalogue with one pushed record, an ingest key, and a libpq DSN for the holder."""
    with catalogue_database("postgresql", request) as url:
        assert url is not None
        settings = load_settings(data_dir=tmp_path / "data", catalogue_url=url, api_busy_timeout=BUSY_TIMEOUT)
        catalogue = Catalogue(settings.catalogue_dsn)
        key = KeyStore(catalogue).create("busy test", "ingest")
        libpq = catalogue.engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
        catalogue.close()
        yield settings, key, libpq


def test_the_api_waits_for_locks_its_busy_timeout(stack: tuple[Settings, str, str]) -> None:
    settings, key, _libpq = stack
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        assert client.post("/api/v1/records", json=record("PG-1", "one"), headers={"X-API-Key": key}).status_code == 200
        engine = client.app.state.services.catalogue.engine  # type: ignore[attr-defined]
        with engine.connect() as connection:
            assert connection.exec_driver_sql("SHOW lock_timeout").scalar() == f"{round(BUSY_TIMEOUT * 1000)}ms"


@pytest.mark.parametrize(
    ("hold", "pushed"),
    [
        # a writer changing that record: the push's update waits for the row
        ("SELECT id FROM records WHERE id = 'PG-1' FOR UPDATE", record("PG-1", "one, changed")),
        # a writer refusing new rows meanwhile (readers go on): the push's COPY of a new record waits
        ("LOCK TABLE records IN SHARE ROW EXCLUSIVE MODE", record("PG-2", "two")),
    ],
    ids=["row", "table"],
)
def test_a_push_under_another_writers_lock_is_a_quick_503_busy(
    stack: tuple[Settings, str, str], hold: str, pushed: dict[str, object]
) -> None:
    settings, key, libpq = stack
    headers = {"X-API-Key": key}
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        assert client.post("/api/v1/records", json=record("PG-1", "one"), headers=headers).json()["created"] == 1
        with psycopg.connect(libpq) as holder:
            holder.execute(hold)  # in a transaction psycopg opened: held until the block ends
            push = client.post("/api/v1/records", json=pushed, headers=headers)
            assert push.status_code == 503, push.text
            assert push.headers["content-type"] == "application/json"
            assert push.json()["error"]["code"] == "catalogue_busy" and push.headers["retry-after"] == "2"
            assert "locked by another writer" in push.json()["error"]["message"]
            read = client.get("/api/v1/records/PG-1", headers=headers)
            assert read.status_code == 200 and read.json()["title"]  # readers go on meanwhile
            holder.rollback()
        again = client.post("/api/v1/records", json=pushed, headers=headers)
        assert again.status_code == 200 and again.json()["created"] + again.json()["updated"] == 1, again.text
