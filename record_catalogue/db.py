"""Connecting to the catalogue and bringing its schema up to date (Alembic, on every start)."""

from __future__ import annotations

import contextlib
import fcntl
import functools
import random
import threading
import time
from collections.abc import Callable, Collection, Iterator, Sequence
from importlib import resources
from importlib.util import find_spec
from pathlib import Path
from typing import TYPE_CHECKING, ParamSpec, TypeAlias, TypeVar

from sqlalchemy import URL, Engine, create_engine, event, make_url, text
from sqlalchemy.exc import DataError, DBAPIError, DisconnectionError, IntegrityError, OperationalError, SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from record_catalogue.dialect import advisory_xact_lock, is_postgresql, sqlite_file
from record_catalogue.errors import BadInput, Cause, ChmSearchError, Unavailable

if TYPE_CHECKING:
    from alembic.config import Config

T = TypeVar("T")
P = ParamSpec("P")
POSTGRES_EXTRA = "pip install 'chm-search[postgres]'"
# SQLSTATEs of a transaction refused because of other transactions, not because of what it does:
# run again, it succeeds (PostgreSQL: serialization failure, deadlock, lock not available).
TRANSIENT_STATES = frozenset({"40001", "40P01", "55P03"})
LOCK_TIMEOUT = "55P03"  # lock_not_available: a lock held longer than the connection's lock_timeout
UNIQUE_VIOLATION = "23505"  # another writer inserted the same key first: run again, it becomes an update
RETRY_ATTEMPTS = 8
MIGRATION_LOCK_KEY = 0x43484D4D49  # "CHMMI": the advisory lock of processes migrating a PostgreSQL catalogue

# How long a SQLite statement waits for another connection's lock before giving up. Commands
# (ingest, translate) wait long: a writer's batch may hold the lock for seconds, and a command
# that waits loses nothing. The API waits briefly (``CHM_API_BUSY_TIMEOUT``): a client answered
# 503 + Retry-After at once can retry, one kept waiting half a minute holds a connection and a
# worker thread meanwhile.
COMMAND_BUSY_TIMEOUT = 30.0
OPENED_READ_ONLY = "chm_opened_read_only"  # a pooled connection's info key

Sessions: TypeAlias = sessionmaker[Session]
"""How the rest of the project names a catalogue's sessions: it hands them to the catalogue's
functions and classes (``record_catalogue.memory_store``, ``work_queue``…), never opens one."""

IN_LIST_SIZE = 500  # values in one IN (...) list: within what every database accepts


def in_chunks(values: Sequence[T], size: int = IN_LIST_SIZE) -> Iterator[Sequence[T]]:
    """``values`` in slices small enough for one ``IN (...)`` list each."""
    for start in range(0, len(values), size):
        yield values[start : start + size]


class CatalogueUnavailable(Unavailable):
    """The catalogue database cannot be reached or migrated; the message says what to try."""

    cause = Cause.CATALOGUE_UNAVAILABLE


class CatalogueBusy(CatalogueUnavailable):
    """Concurrent transactions kept refusing one (deadlocks, serialization failures) however
    often it was run again; trying later succeeds."""

    cause = Cause.BUSY
    error_code = "catalogue_busy"


def catalogue_unreachable(exc: BaseException) -> bool:
    """Whether ``exc`` says the catalogue cannot be reached now (a restart, a network cut): the
    operation is worth running again in a moment, and nothing about the data was wrong."""
    return isinstance(exc, OperationalError | CatalogueUnavailable)


def connection_trouble(exc: BaseException) -> str | None:
    """How the catalogue failed ``exc``'s operation if the database (not the data) is at fault:
    ``unreachable``, ``connection lost`` (a connection dropped mid-transaction); None otherwise."""
    if catalogue_unreachable(exc):
        return "unreachable"
    if isinstance(exc, DBAPIError) and exc.connection_invalidated:
        return "connection lost"
    return None


def sqlstate(exc: BaseException) -> str | None:
    """The SQLSTATE of a database error (PostgreSQL's drivers give one; SQLite's none)."""
    state = getattr(getattr(exc, "orig", None), "sqlstate", None)
    return state if isinstance(state, str) else None


def input_fault(exc: SQLAlchemyError) -> bool:
    """Whether the data written caused the error (a constraint, a value the column refuses), so
    that the record at fault is reported and the rest goes on; any other database error is the
    catalogue's (unreachable, busy, broken), and stops the operation instead of losing records."""
    return isinstance(exc, IntegrityError | DataError)


def busy_fault(exc: BaseException) -> bool:
    """Whether ``exc`` says another connection's lock refused the statement (SQLite: ``database
    is locked``; PostgreSQL: a lock wait over ``lock_timeout``, a deadlock, a serialization
    failure): nothing was changed, the same request succeeds once the lock is released."""
    if sqlstate(exc) in TRANSIENT_STATES:
        return True
    code = getattr(getattr(exc, "orig", None), "sqlite_errorcode", None)
    return code is not None and code & 0xFF in (5, 6)  # SQLITE_BUSY, SQLITE_LOCKED (and their extended codes)


def one_line(exc: BaseException) -> str:
    """``exc`` as one line: its class and the first line of its message."""
    message = str(exc).splitlines()
    return f"{exc.__class__.__name__}: {message[0]}" if message else exc.__class__.__name__


class CatalogueLocked(CatalogueBusy):
    """Another writer's lock refused a statement: it holds it for one batch or transaction, so a
    client may retry in a few seconds (``Retry-After`` of the table's ``locked`` row)."""

    cause = Cause.LOCKED


class CatalogueFailed(Unavailable):
    """The catalogue's database failed an operation for a reason of its own (a connection lost
    mid-request, the server shutting down, out of disk), not because of the data: the same
    request may succeed later. ``fault`` is the database's own error, in one line."""

    cause = Cause.CATALOGUE_FAILED

    def __init__(self, fault: str) -> None:
        super().__init__(f"{fault}; try again")
        self.fault = fault


class RowsRefused(BadInput):
    """The database refused what was written (a constraint, a value a column cannot hold): the
    record at fault is reported against it, and the rest of the batch goes on."""


# What the catalogue's database raises (SQLAlchemy wraps the drivers' errors in these). Only this
# package names them: the layers above catch the project's errors ``database_error`` makes of
# them, and the API registers its handler for these classes through this name.
DATABASE_ERRORS: tuple[type[Exception], ...] = (SQLAlchemyError,)


def raised_by_database(exc: BaseException) -> bool:
    """Whether ``exc`` was made of an error the database raised (``database_error``,
    ``Catalogue.store_batch``), rather than being the catalogue's own verdict (``retrying``'s
    ``CatalogueLocked`` or ``CatalogueBusy`` after waiting): a writer may try a failed batch again
    record by record in the first case, and stops at once in the second."""
    return isinstance(exc.__cause__, SQLAlchemyError)


def database_error(exc: BaseException) -> ChmSearchError:
    """The project's error for ``exc``, raised by the catalogue's database: another writer's lock
    (``CatalogueLocked``, retry shortly), or the database's own failure (``CatalogueFailed``).
    A project error is returned as it is."""
    if isinstance(exc, ChmSearchError):
        return exc
    if busy_fault(exc):
        return locked_out(exc)
    return CatalogueFailed(one_line(exc))


@contextlib.contextmanager
def database_faults() -> Iterator[None]:
    """Within this block, the database's errors come out as the project's (``database_error``),
    so that callers above the catalogue catch those alone."""
    try:
        yield
    except SQLAlchemyError as exc:
        raise database_error(exc) from exc


def translating_faults(function: Callable[P, T]) -> Callable[P, T]:
    """``function`` raising the project's errors for the database's (``database_faults``): for the
    catalogue's functions the API and the commands call directly."""

    @functools.wraps(function)
    def translated(*args: P.args, **kwargs: P.kwargs) -> T:
        with database_faults():
            return function(*args, **kwargs)

    return translated


def locked_out(exc: BaseException) -> CatalogueBusy:
    """The error for a statement another writer's lock refused (see ``busy_fault``)."""
    return CatalogueLocked(
        "the catalogue is locked by another writer (an ingest, a translate run, a backup?); "
        f"nothing was changed, try again shortly ({one_line(getattr(exc, 'orig', None) or exc)})"
    )


class _Writers:
    """How many ``retrying`` operations this process is running now (see ``retrying``)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.running = 0

    @contextlib.contextmanager
    def one(self) -> Iterator[None]:
        with self._lock:
            self.running += 1
        try:
            yield
        finally:
            with self._lock:
                self.running -= 1


_WRITERS = _Writers()


def retrying(operation: Callable[[], T], *, also: Collection[str] = (), attempts: int = RETRY_ATTEMPTS) -> T:
    """Run ``operation`` (one whole transaction) again when concurrent transactions made the
    database refuse it (deadlock, serialization failure; and the SQLSTATEs in ``also``), with a
    short random back-off; give up with :class:`CatalogueBusy`.

    Why: on PostgreSQL writers really run side by side, and row locks taken by two transactions
    can deadlock however carefully each orders them (an insert waits for another transaction's
    uncommitted row of the same key; foreign keys lock the rows they point to). PostgreSQL then
    aborts one of them; running it again is the documented answer.

    A lock wait over the connection's ``lock_timeout`` (the API's ``CHM_API_BUSY_TIMEOUT``) is
    run again only while another writer of this process is running: the lock is likely its, and
    this process's writers queue for each other (as SQLite's pushes do). Alone, the lock is
    another process's (an ingest, a backup): the caller asked to wait that long once, so it is
    :class:`CatalogueLocked` at once (it used to be run again eight times, then called "busy").
    """
    with _WRITERS.one():
        for attempt in range(attempts):
            try:
                return operation()
            except DBAPIError as exc:
                state = sqlstate(exc)
                if state not in TRANSIENT_STATES and state not in also:
                    raise
                if state == LOCK_TIMEOUT and state not in also:
                    if _WRITERS.running < 2 or attempt + 1 == attempts:
                        raise locked_out(exc) from None
                elif attempt + 1 == attempts:
                    if state in TRANSIENT_STATES:
                        raise CatalogueBusy(
                            f"the catalogue is busy with concurrent writers ({one_line(exc.orig or exc)}); try again"
                        ) from None
                    raise
                time.sleep(random.uniform(0.0, 0.02 * 2**attempt))
    raise AssertionError("unreachable")


def catalogue_url(dsn: str) -> URL:
    """``dsn`` as a URL with an installed driver: ``postgresql://`` means psycopg 3 here (SQLAlchemy's
    own default would be psycopg2), and a missing driver is one clear line, not a traceback."""
    url = make_url(dsn)
    if url.get_backend_name() == "postgresql":
        if "+" not in url.drivername:
            url = url.set(drivername="postgresql+psycopg")
        if url.get_driver_name() == "psycopg" and find_spec("psycopg") is None:
            raise CatalogueUnavailable(
                f"the PostgreSQL catalogue needs the psycopg driver, which is not installed: {POSTGRES_EXTRA}"
            )
    return url


def make_engine(dsn: str, busy_timeout: float | None = None) -> Engine:
    """An engine; SQLite gets WAL so the API can read while ingest writes. ``busy_timeout``: the
    seconds a statement waits for another connection's lock (SQLite's busy timeout, PostgreSQL's
    ``lock_timeout``); unset, SQLite waits ``COMMAND_BUSY_TIMEOUT`` and PostgreSQL as long as it
    takes (its writers hold row locks for one batch, and a migration waits for another's)."""
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
        timeout = COMMAND_BUSY_TIMEOUT if busy_timeout is None else busy_timeout
        engine = create_engine(dsn, connect_args={"timeout": timeout, "check_same_thread": False})
        from record_catalogue.sqlite_files import SqliteFiles  # it needs this module's errors

        files = SqliteFiles(Path(database)) if database and database != ":memory:" else None

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection, record):  # type: ignore[no-untyped-def]
            if files is not None:
                record.info[OPENED_READ_ONLY] = files.connecting()
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute("PRAGMA mmap_size=0")  # never map the database file (see sqlite_files)
            cursor.close()

        if files is not None:
            # A connection opened while the catalogue was frozen stays read-only: once it is
            # writable again, the pool replaces it instead of lending it out (writes would fail
            # with "attempt to write a readonly database" until the pool happened to drop it).
            @event.listens_for(engine, "checkout")
            def _not_stuck_read_only(_dbapi_connection, record, _proxy):  # type: ignore[no-untyped-def]
                if record.info.get(OPENED_READ_ONLY) and files.writable_again():
                    raise DisconnectionError("opened while the catalogue was read-only; it is writable again")

            # Before every statement: refuse what the files, as they are now, cannot take.
            @event.listens_for(engine, "before_cursor_execute")
            def _files_writable(_conn, _cursor, statement, _parameters, _context, _many):  # type: ignore[no-untyped-def]
                files.check(statement)

        return engine
    try:
        waits = {} if busy_timeout is None else {"options": f"-c lock_timeout={max(1, round(busy_timeout * 1000))}"}
        return create_engine(catalogue_url(dsn), pool_pre_ping=True, connect_args=waits)
    except ImportError as exc:  # another driver named in the URL (postgresql+asyncpg://...)
        raise CatalogueUnavailable(
            f"the catalogue's database driver is not installed ({exc}); {POSTGRES_EXTRA}"
        ) from None


def alembic_config() -> Config:
    """Alembic configured in code: no alembic.ini to keep in step."""
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(resources.files("record_catalogue") / "migrations"))
    return config


@contextlib.contextmanager
def _sqlite_migration_lock(engine: Engine) -> Iterator[None]:
    """Processes starting at once on a new SQLite catalogue migrate one after the other: SQLite
    runs DDL outside transactions, and the second would create tables the first just made."""
    database = sqlite_file(engine.url)
    if database is None:
        yield
        return
    try:
        lock = open(f"{database}.migrate-lock", "a")  # noqa: SIM115 - held across the yield
    except OSError:  # an unwritable directory: SQLite itself says so, in the migration's error
        yield
        return
    with lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


@functools.cache
def head_revision() -> str:
    """The newest migration's revision: its file name's number (``0018_….py`` is ``"0018"``; a
    test holds this to Alembic's own head)."""
    versions = resources.files("record_catalogue") / "migrations" / "versions"
    return max(entry.name.split("_", 1)[0] for entry in versions.iterdir() if entry.name[:4].isdigit())


def at_head(engine: Engine) -> bool:
    """Whether the catalogue's schema is already the newest (the usual case on every start):
    then there is nothing to migrate, and Alembic (a tenth of a second to import, and its
    scripts to read) is not loaded at all."""
    try:
        with engine.connect() as connection:
            stored = connection.execute(text("SELECT version_num FROM alembic_version")).scalars().all()
    except SQLAlchemyError:  # a new catalogue (no table yet), or one that cannot be read: migrate says which
        return False
    return stored == [head_revision()]


def migrate(engine: Engine) -> None:
    """Apply every pending migration; processes starting at once take turns (the second finds the
    schema up to date), on PostgreSQL through an advisory lock held by the migrating transaction."""
    if at_head(engine):
        return
    from alembic import command

    config = alembic_config()
    try:
        with _sqlite_migration_lock(engine), engine.begin() as connection:
            if is_postgresql(connection):
                advisory_xact_lock(connection, MIGRATION_LOCK_KEY)
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
