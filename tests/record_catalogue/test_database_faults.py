"""The database's errors become the project's inside the catalogue, so that no layer above it
needs SQLAlchemy to tell another writer's lock, the data's fault and the catalogue's own failure
apart. The errors here are real ones, raised by a real SQLite database."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import IntegrityError, OperationalError, SQLAlchemyError

from record_catalogue.db import (
    DATABASE_ERRORS,
    CatalogueFailed,
    CatalogueLocked,
    CatalogueUnavailable,
    RowsRefused,
    database_error,
    database_faults,
    locked_out,
    raised_by_database,
    translating_faults,
)
from record_catalogue.dialect import in_memory
from record_catalogue.store import Catalogue


@pytest.fixture
def database(tmp_path: Path) -> Iterator[str]:
    path = tmp_path / "faults.db"
    with sqlite3.connect(path) as connection:
        connection.execute("CREATE TABLE t (id INTEGER PRIMARY KEY)")
        connection.execute("INSERT INTO t VALUES (1)")
    yield f"sqlite:///{path}"


def _raised(dsn: str, statement: str, *, hold_lock: bool = False) -> SQLAlchemyError:
    """The error SQLAlchemy raises for ``statement`` (with another connection holding the write lock)."""
    holder = sqlite3.connect(dsn.removeprefix("sqlite:///"), isolation_level=None)
    if hold_lock:
        holder.execute("BEGIN IMMEDIATE")
    engine = create_engine(dsn, connect_args={"timeout": 0})
    try:
        with engine.begin() as connection:
            connection.execute(text(statement))
    except SQLAlchemyError as exc:
        return exc
    finally:
        engine.dispose()
        holder.close()
    raise AssertionError(f"{statement} did not fail")


def test_another_writers_lock_is_catalogue_locked(database: str) -> None:
    error = database_error(_raised(database, "INSERT INTO t VALUES (2)", hold_lock=True))
    assert isinstance(error, CatalogueLocked) and "locked by another writer" in str(error)
    assert (error.api_status, error.api_code, error.exit_code, error.outcome.retry_after) == (
        503,
        "catalogue_busy",
        3,
        2,
    )


def test_the_databases_own_failure_is_catalogue_failed_naming_it(database: str) -> None:
    error = database_error(_raised(database, "SELECT * FROM no_such_table"))
    assert isinstance(error, CatalogueFailed)
    assert str(error) == "OperationalError: (sqlite3.OperationalError) no such table: no_such_table; try again"
    assert error.fault.startswith("OperationalError: ") and "no such table" in error.fault
    assert (error.api_status, error.api_code, error.exit_code, error.outcome.retry_after) == (
        503,
        "catalogue_error",
        3,
        30,
    )


def test_a_project_error_passes_unchanged() -> None:
    unavailable = CatalogueUnavailable("cannot connect")
    assert database_error(unavailable) is unavailable


def test_faults_raised_inside_the_block_or_the_function_come_out_translated(database: str) -> None:
    engine = create_engine(database)

    @translating_faults
    def count_missing() -> int:
        with engine.connect() as connection:
            return int(connection.execute(text("SELECT count(*) FROM no_such_table")).scalar_one())

    with pytest.raises(CatalogueFailed) as raised:
        count_missing()
    assert isinstance(raised.value.__cause__, OperationalError)  # the original stays attached, for the log
    with pytest.raises(CatalogueFailed), database_faults(), engine.connect() as connection:
        connection.execute(text("SELECT * FROM no_such_table"))
    with pytest.raises(ValueError, match="not the database's"), database_faults():
        raise ValueError("not the database's")  # anything else passes through
    engine.dispose()
    assert all(issubclass(kind, Exception) for kind in DATABASE_ERRORS)


def test_store_batch_tells_the_datas_fault_from_the_catalogues(
    database: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    duplicate = _raised(database, "INSERT INTO t VALUES (1)")
    assert isinstance(duplicate, IntegrityError)
    missing = _raised(database, "SELECT * FROM no_such_table")
    locked = _raised(database, "INSERT INTO t VALUES (3)", hold_lock=True)
    catalogue = Catalogue(f"sqlite:///{tmp_path / 'catalogue.db'}")
    try:
        for fault, expected, message in [
            (duplicate, RowsRefused, "not stored: (sqlite3.IntegrityError) UNIQUE constraint failed: t.id"),
            (missing, CatalogueUnavailable, "the catalogue failed while storing records: OperationalError: "),
            (locked, CatalogueLocked, "the catalogue is locked by another writer"),
        ]:

            def failing(*_args: object, fault: SQLAlchemyError = fault) -> None:
                raise fault

            monkeypatch.setattr(catalogue, "_store_batch", failing)
            with pytest.raises(expected) as raised:
                catalogue.store_batch([], [])
            assert str(raised.value).startswith(message)
    finally:
        catalogue.close()


def test_in_memory_databases_are_told_apart(tmp_path: Path) -> None:
    assert in_memory("sqlite://") and in_memory("sqlite:///:memory:")
    assert not in_memory(f"sqlite:///{tmp_path / 'c.db'}")
    assert not in_memory("postgresql+psycopg://chm:secret@db:5432/chm")


def test_a_writer_tells_the_databases_errors_from_the_catalogues_verdicts(database: str) -> None:
    """A batch the database failed is tried again record by record; a verdict the catalogue
    reached after waiting (``retrying``: another writer's lock) stops the writer at once."""
    fault = _raised(database, "SELECT * FROM no_such_table")
    with pytest.raises(CatalogueFailed) as raised, database_faults():
        raise fault
    assert raised_by_database(raised.value)
    assert not raised_by_database(locked_out(fault))  # as retrying raises it: from None
    assert not raised_by_database(ValueError("x"))
