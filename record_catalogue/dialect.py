"""What differs between the catalogue's two databases (SQLite, PostgreSQL), in one place.

Why one module: the rest of the catalogue (and nothing outside it) writes portable statements;
where SQLite and PostgreSQL need different SQL — locks, ``INSERT … ON CONFLICT``, LIKE against
ILIKE, the position of a substring, window counts, ``LISTEN`` — the choice is made here, so a
third database (or a change of plan on one of them) is one module's work.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from sqlalchemy import (
    URL,
    ColumnElement,
    Connection,
    Dialect,
    Engine,
    Select,
    and_,
    func,
    literal_column,
    make_url,
    or_,
    select,
    table,
    text,
)
from sqlalchemy.orm import InstrumentedAttribute, Session

POSTGRESQL = "postgresql"
SQLITE = "sqlite"
TRANSLATION_WRITERS_LOCK = 0x43484D5452  # "CHMTR": the advisory lock of translation writers on PostgreSQL
ENCODED_DIALECTS = (SQLITE, POSTGRESQL)  # rows are encoded for their drivers (``bulk_insert``)


def dialect_of(bind: Session | Engine | Connection) -> str:
    """The database's name (``sqlite``, ``postgresql``) behind a session, engine or connection."""
    if isinstance(bind, Session):
        return bind.get_bind().dialect.name
    return bind.dialect.name


def is_postgresql(bind: Session | Engine | Connection) -> bool:
    return dialect_of(bind) == POSTGRESQL


def one_writer_at_a_time(bind: Session | Engine | Connection) -> bool:
    """Whether the database takes one writing transaction at a time (SQLite's write lock), so
    that a process does best to queue its own writers rather than wait on the database's lock."""
    return dialect_of(bind) == SQLITE


def advisory_xact_lock(bind: Session | Connection, key: int) -> None:
    """PostgreSQL: wait for the transaction-scoped advisory lock ``key`` (released at commit)."""
    bind.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": key})


@contextmanager
def session_advisory_lock(engine: Engine, key: int) -> Iterator[bool]:
    """PostgreSQL: try the session-level advisory lock ``key`` on a connection of its own, without
    waiting; yield whether it was taken, and release it when the block ends. The server releases it
    too if the process dies, however it dies."""
    with engine.connect() as connection:
        taken = bool(connection.execute(text("SELECT pg_try_advisory_lock(:key)"), {"key": key}).scalar())
        connection.commit()
        try:
            yield taken
        finally:
            if taken:
                connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": key})
                connection.commit()


def lock_record_writers(session: Session) -> None:
    """SQLite: take the database's write lock now, at the start of the transaction, so that what it
    reads next (which ids are stored) stays true until it commits; SQLite has one writer at a time,
    and a later writer waits (busy timeout). PostgreSQL: nothing; writers lock the rows they change
    (``store.lock_records``) and insert new records with ``ON CONFLICT DO NOTHING``."""
    if dialect_of(session) == SQLITE:
        session.execute(text("UPDATE records SET needs_index = needs_index WHERE 0 = 1"))


def lock_translation_writers(session: Session) -> None:
    """Serialise the transaction with every other writer of segments and translations, from here on.

    Why: a curator's approval and the worker's storing of a field both read segment rows and
    then write field texts; each must see what the other committed, or a correction could be
    overwritten by a translation made just before it. On SQLite a write issued first takes the
    database's write lock (waiting for the busy timeout), so later reads see everything
    committed. On PostgreSQL a transaction-scoped advisory lock does the same for these writers
    only (read committed: each later statement sees what the previous holder committed), and
    one lock for all of them cannot deadlock however many records and segments each touches.
    """
    dialect = dialect_of(session)
    if dialect == SQLITE:
        session.execute(text("UPDATE translation_memory SET id = id WHERE 0 = 1"))
    elif dialect == POSTGRESQL:
        advisory_xact_lock(session, TRANSLATION_WRITERS_LOCK)


def short_queries(session: Session) -> None:
    """PostgreSQL: no JIT compilation for the rest of the transaction (``SET LOCAL jit = off``).

    Why: PostgreSQL compiles a query's expressions with LLVM once its estimated cost passes
    ``jit_above_cost``, which the review queue's pages do (they scan thousands of rows), while
    each runs for tens of milliseconds: compiling cost more than it saved (the stale queue at
    50,000 sentences: 86 ms with it, 35 ms without). SQLite has no JIT: nothing to do."""
    if dialect_of(session) == POSTGRESQL:
        session.execute(text("SET LOCAL jit = off"))


def copies_rows(dialect: Dialect) -> bool:
    """Whether many new rows go in with ``COPY … FROM STDIN`` (PostgreSQL through psycopg 3; the
    mechanics are ``record_catalogue.bulk_insert``'s)."""
    return dialect.name == POSTGRESQL and dialect.driver == "psycopg"


def encodes_rows(dialect: Dialect) -> bool:
    """Whether bulk rows are encoded beforehand for the driver (SQLite, PostgreSQL); other
    databases take SQLAlchemy Core's path with plain values."""
    return dialect.name in ENCODED_DIALECTS


def inserts_with_driver(dialect: Dialect) -> bool:
    """Whether bulk rows go to the driver's own ``executemany`` as tuples (SQLite)."""
    return dialect.name == SQLITE


def insert_ignore(session: Session, table: Any, values: Sequence[dict[str, object]]) -> Any:
    """``INSERT … ON CONFLICT DO NOTHING`` in the session's dialect (rows present stay as they are)."""
    if dialect_of(session) == POSTGRESQL:
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        return pg_insert(table).values(list(values)).on_conflict_do_nothing()
    from sqlalchemy.dialects.sqlite import insert as sqlite_insert

    return sqlite_insert(table).values(list(values)).on_conflict_do_nothing()


TEXT_INDEX = "translation_memory_text"  # SQLite: the memory's trigram full-text index (migration 0018)
TRIGRAM = 3  # the shortest piece of text a trigram index finds


def modelled(name: str | None, kind: str, _parents: object = None) -> bool:
    """Whether a database object is one the models declare (Alembic's ``include_name``): not the
    trigram index's FTS5 table nor the tables FTS5 keeps beside it (``TEXT_INDEX_*``), which no
    model can declare, so that comparing the models with the schema does not offer to drop them."""
    return not (kind == "table" and name is not None and name.startswith(TEXT_INDEX))


def has_text_index(session: Session) -> bool:
    """Whether the catalogue is SQLite with the memory's trigram index (migration 0018 makes it
    where SQLite's FTS5 has the ``trigram`` tokenizer). PostgreSQL's are plain indexes (0014)."""
    if dialect_of(session) != SQLITE:
        return False
    found = session.execute(
        text("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = :name"), {"name": TEXT_INDEX}
    )
    return found.first() is not None


def contains_text(
    dialect: str, columns: Sequence[InstrumentedAttribute[str]], needle: str, indexed: Any = None
) -> ColumnElement[bool]:
    """Plain text in any of ``columns``, any case (no wildcards, no syntax).

    SQLite's LIKE already ignores case (for the letters its ``lower`` folds too), so it is used as
    it is there: wrapping both sides in ``lower`` cost a third of the curators' queue's time.
    PostgreSQL's LIKE does not, so it gets ILIKE (its trigram indexes serve it, migration 0014).

    ``indexed``: on SQLite, the rowid column of the table ``TEXT_INDEX`` indexes (the caller
    knows it exists: ``has_text_index``). A needle of ``TRIGRAM`` characters or more is then
    looked up there first, as a phrase of trigrams, and ``LIKE`` tests only the rows found: the
    index folds case beyond ASCII, LIKE does not, so it finds every row LIKE would and LIKE
    keeps the answer its own. Shorter needles have no trigram: LIKE alone, every row.
    """
    if dialect == SQLITE:
        like = or_(*(column.contains(needle, autoescape=True) for column in columns))
        if indexed is None or len(needle) < TRIGRAM:
            return like
        phrase = '"' + needle.replace('"', '""') + '"'
        found: Select[Any] = (
            select(literal_column("rowid"))
            .select_from(table(TEXT_INDEX))
            .where(text(f"{TEXT_INDEX} MATCH :phrase").bindparams(phrase=phrase))
        )
        return and_(indexed.in_(found), like)
    return or_(*(column.icontains(needle, autoescape=True) for column in columns))


def equals_row_by_row(dialect: str, column: Any, value: Any) -> ColumnElement[bool]:
    """``column = value``, tested on each row a query reads rather than used to choose an index.

    Why: SQLite prefers the index matching the most equalities, even when the rows it then
    reads are scattered across the table. The review queue's count by language read the queue
    index's language range in sentence-hash order and fetched each row from there (98 ms for one
    language at 50,000 sentences); testing the language on the rows read in time order from the
    status index costs half (47 ms). ``column || ''`` is SQLite's way to say "not from an index".
    PostgreSQL plans by cost and gets the plain comparison."""
    compared: ColumnElement[bool] = column.concat("") == value if dialect == SQLITE else column == value
    return compared


def listed(dialect: str, column: Any) -> ColumnElement[Any]:
    """The distinct values of ``column`` in a group, joined by commas (NULL for none): SQLite's
    ``group_concat(DISTINCT …)`` takes no separator and joins with commas, PostgreSQL's
    ``string_agg(DISTINCT …, ',')`` is told to."""
    if dialect == POSTGRESQL:
        return func.string_agg(column.distinct(), literal_column("','"))
    return func.group_concat(column.distinct())


def holds(dialect: str, haystack: Any, needle: Any) -> ColumnElement[bool]:
    """Whether the text ``haystack`` contains the text ``needle`` (both columns: no pattern)."""
    if dialect == POSTGRESQL:
        return func.strpos(haystack, needle) > 0
    return func.instr(haystack, needle) > 0


def sqlite_file(dsn: str | URL) -> str | None:
    """The database file of a SQLite catalogue (for lock files beside it); None for any other
    database and for an in-memory one."""
    url = make_url(dsn)
    database = url.database
    if url.get_backend_name() != SQLITE or not database or database == ":memory:":
        return None
    return database


def in_memory(dsn: str | URL) -> bool:
    """Whether ``dsn`` names a database held in one process's memory (SQLite's ``:memory:`` or no
    file): other processes cannot open it."""
    return make_url(dsn).database in (None, "", ":memory:")


def listen_conninfo(dsn: str | URL) -> str | None:
    """A libpq connection string to ``LISTEN`` on, for a PostgreSQL catalogue; None for any other
    (SQLite has no notifications: its workers poll)."""
    url = make_url(dsn)
    if url.get_backend_name() != POSTGRESQL:
        return None
    return url.set(drivername=POSTGRESQL).render_as_string(hide_password=False)


def listen(connection: Any, channel: str) -> None:
    """``LISTEN channel`` on a psycopg connection (PostgreSQL only; ``channel`` is ours, never input)."""
    if not channel.isidentifier():
        raise ValueError(f"not a channel name: {channel!r}")
    connection.execute(f"LISTEN {channel}")
