"""``record_catalogue.dialect`` and the catalogue's error triage: the choices made per database.

The locks, upserts and LIKE/ILIKE choices run in the catalogue, curation and worker suites on
SQLite and PostgreSQL; these are the pure decisions the worker and the CLI take from a DSN or an
exception, checked directly.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import create_engine
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError

from record_catalogue.db import CatalogueUnavailable, catalogue_unreachable, connection_trouble
from record_catalogue.dialect import is_postgresql, listen, listen_conninfo, sqlite_file


def test_the_sqlite_file_of_a_dsn(tmp_path: Path) -> None:
    path = tmp_path / "catalogue.db"
    assert sqlite_file(f"sqlite:///{path}") == str(path)
    assert sqlite_file("sqlite://") is None  # in memory: no file to put a lock beside
    assert sqlite_file("sqlite:///:memory:") is None
    assert sqlite_file("postgresql+psycopg://chm:secret@db:5432/chm") is None


def test_a_postgresql_catalogue_is_listened_to_with_a_plain_libpq_url() -> None:
    assert listen_conninfo("postgresql+psycopg://chm:s%40cret@db:5432/chm") == "postgresql://chm:s%40cret@db:5432/chm"
    assert listen_conninfo("sqlite:///data/catalogue.db") is None  # SQLite workers poll


def test_only_a_channel_name_is_listened_to() -> None:
    class Connection:
        def __init__(self) -> None:
            self.sent: list[str] = []

        def execute(self, statement: str) -> None:
            self.sent.append(statement)

    connection = Connection()
    listen(connection, "chm_translate_work")
    assert connection.sent == ["LISTEN chm_translate_work"]
    with pytest.raises(ValueError, match="not a channel name"):
        listen(connection, "x; DROP TABLE records")
    assert connection.sent == ["LISTEN chm_translate_work"]


def test_the_dialect_of_an_engine() -> None:
    assert not is_postgresql(create_engine("sqlite://"))


def test_what_the_worker_waits_for_and_what_it_blames_on_the_batch() -> None:
    class Driver(Exception):
        pass

    lost = DBAPIError("SELECT 1", {}, Driver("server closed the connection"), connection_invalidated=True)
    assert connection_trouble(OperationalError("SELECT 1", {}, Driver("could not connect"))) == "unreachable"
    assert connection_trouble(CatalogueUnavailable("catalogue at x is unreachable")) == "unreachable"
    assert connection_trouble(lost) == "connection lost"
    assert connection_trouble(IntegrityError("INSERT", {}, Driver("duplicate key"))) is None  # the data's fault
    assert connection_trouble(ValueError("a model broke")) is None
    assert catalogue_unreachable(OperationalError("SELECT 1", {}, Driver("gone")))
    assert not catalogue_unreachable(lost)  # a dropped connection on release: raised, as before
