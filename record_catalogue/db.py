"""Connecting to the catalogue and bringing its schema up to date (Alembic, on every start)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from importlib import resources
from pathlib import Path
from typing import TypeVar

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, event, make_url, text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

T = TypeVar("T")

IN_LIST_SIZE = 500  # values in one IN (...) list: within what every database accepts


def in_chunks(values: Sequence[T], size: int = IN_LIST_SIZE) -> Iterator[Sequence[T]]:
    """``values`` in slices small enough for one ``IN (...)`` list each."""
    for start in range(0, len(values), size):
        yield values[start : start + size]


class CatalogueUnavailable(Exception):
    """The catalogue database cannot be reached or migrated; the message says what to try."""


def make_engine(dsn: str) -> Engine:
    """An engine; SQLite gets WAL and a busy timeout so the API can read while ingest writes."""
    if dsn.startswith("sqlite"):
        database = make_url(dsn).database
        if database and database != ":memory:":
            try:
                Path(database).parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise CatalogueUnavailable(
                    f"cannot create the catalogue's directory for {database}: {exc.strerror}; "
                    "check CHM_DATA_DIR or CHM_CATALOGUE_URL"
                ) from None
        engine = create_engine(dsn, connect_args={"timeout": 30, "check_same_thread": False})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection, _record):  # type: ignore[no-untyped-def]
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.close()

        return engine
    return create_engine(dsn, pool_pre_ping=True)


def alembic_config() -> Config:
    """Alembic configured in code: no alembic.ini to keep in step."""
    config = Config()
    config.set_main_option("script_location", str(resources.files("record_catalogue") / "migrations"))
    return config


def migrate(engine: Engine) -> None:
    """Apply every pending migration."""
    config = alembic_config()
    try:
        with engine.begin() as connection:
            config.attributes["connection"] = connection
            command.upgrade(config, "head")
    except SQLAlchemyError as exc:
        raise CatalogueUnavailable(
            f"catalogue at {engine.url.render_as_string(hide_password=True)} cannot be migrated: "
            f"{exc.__class__.__name__}: {str(exc).splitlines()[0]}; check CHM_CATALOGUE_URL"
        ) from None


def check(engine: Engine) -> None:
    """Raise CatalogueUnavailable unless a trivial query answers."""
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except SQLAlchemyError as exc:
        raise CatalogueUnavailable(
            f"catalogue at {engine.url.render_as_string(hide_password=True)} is unreachable: "
            f"{str(exc).splitlines()[0]}; check CHM_CATALOGUE_URL"
        ) from None


def session_factory(engine: Engine) -> sessionmaker[Session]:
    """Sessions that keep loaded objects usable after commit."""
    return sessionmaker(engine, expire_on_commit=False)
