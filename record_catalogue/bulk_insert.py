"""Inserting many new rows at once: the first ingest of a clearing-house writes millions.

SQLAlchemy's Core ``executemany`` turns every row into a dict of parameters and runs each value
through the column's bind processor, which costs more than SQLite's own work on the row. On
SQLite the rows therefore go to the driver as tuples in one ``executemany`` call, their values
converted beforehand (``RowEncoder``: dates, timestamps, JSON, booleans) by the same processors
SQLAlchemy would use, so that the stored values are byte for byte what the ORM writes and reads
back. Encoding needs no connection, only the dialect: ingest's worker processes encode the rows
they prepare, and the one writer only inserts.

On PostgreSQL (psycopg 3) the rows go in with ``COPY ... FROM STDIN`` (``cursor.copy``), the
server's bulk path, encoded the same way (JSON wrapped as psycopg's ``Json``, as SQLAlchemy binds
it). New records, whose id another writer may insert at the same moment, are copied into a
temporary table and moved with ``INSERT ... SELECT ... ORDER BY id ON CONFLICT DO NOTHING
RETURNING id``: a record inserted meanwhile is reported, never a unique violation, and inserts in
id order cannot deadlock against each other. Other databases take Core's path with plain values.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from sqlalchemy import Connection, Dialect, Table, insert
from sqlalchemy.exc import DBAPIError

from record_catalogue.dialect import copies_rows, encodes_rows, inserts_with_driver

_UNSET = object()


class RowEncoder:
    """Rows of one table as its database driver takes them (values in the order of ``columns``)."""

    def __init__(self, dialect: Dialect, table: Table, columns: Sequence[str]) -> None:
        self.processors: list[tuple[int, Callable[[Any], Any]]] = []
        if encodes_rows(dialect):  # other databases get plain values (see insert_rows)
            for position, name in enumerate(columns):
                bind = table.c[name].type.dialect_impl(dialect).bind_processor(dialect)
                if bind is not None:
                    self.processors.append((position, bind))
        # The rows of a batch share their timestamp object: each distinct value is converted
        # once. A (value, result) pair is replaced whole, so threads sharing an encoder agree.
        self._last: list[tuple[object, Any]] = [(_UNSET, None) for _ in self.processors]

    def __call__(self, row: tuple[Any, ...]) -> tuple[Any, ...]:
        if not self.processors:
            return row
        values = list(row)
        last = self._last
        for slot, (position, processor) in enumerate(self.processors):
            value = values[position]
            seen, result = last[slot]
            if value is not seen:
                result = processor(value)
                last[slot] = (value, result)
            values[position] = result
        return tuple(values)


def insert_rows(connection: Connection, table: Table, columns: Sequence[str], rows: Sequence[tuple[Any, ...]]) -> None:
    """Insert ``rows``, made by a ``RowEncoder`` of ``table`` and ``columns``, in one statement."""
    if not rows:
        return
    dialect = connection.dialect
    if copies_rows(dialect):
        _copy(connection, dialect.identifier_preparer.format_table(table), columns, rows)
        return
    if not inserts_with_driver(dialect):
        connection.execute(insert(table), [dict(zip(columns, row, strict=True)) for row in rows])
        return
    preparer = dialect.identifier_preparer
    names = ", ".join(preparer.quote(name) for name in columns)
    markers = ", ".join("?" for _ in columns)
    connection.exec_driver_sql(f"INSERT INTO {preparer.format_table(table)} ({names}) VALUES ({markers})", rows)


def insert_new_rows(
    connection: Connection, table: Table, columns: Sequence[str], rows: Sequence[tuple[Any, ...]], key: str
) -> set[Any]:
    """Insert the ``rows`` whose ``key`` (a unique column, among ``columns``) no stored row has;
    return the keys inserted.

    PostgreSQL: through a temporary table and ``ON CONFLICT DO NOTHING``, in key order, so that a
    row another transaction inserted meanwhile is skipped (after that transaction commits) rather
    than failing the batch. Elsewhere the caller has checked the keys under the database's write
    lock (SQLite: one writer at a time), and every row is inserted.
    """
    if not rows:
        return set()
    dialect = connection.dialect
    position = list(columns).index(key)
    if not copies_rows(dialect):
        insert_rows(connection, table, columns, rows)
        return {row[position] for row in rows}
    preparer = dialect.identifier_preparer
    target = preparer.format_table(table)
    stage = preparer.quote(f"{table.name}_incoming")
    names = ", ".join(preparer.quote(name) for name in columns)
    quoted_key = preparer.quote(key)
    cursor = connection.connection.driver_connection.cursor()  # type: ignore[union-attr]
    with contextlib.closing(cursor), driver_errors(connection, f"INSERT INTO {target} ... SELECT ... FROM {stage}"):
        # A temporary table lives as long as the connection; its rows only until the transaction ends.
        cursor.execute(
            f"CREATE TEMPORARY TABLE IF NOT EXISTS {stage} (LIKE {target} INCLUDING DEFAULTS) ON COMMIT DELETE ROWS"
        )
        cursor.execute(f"DELETE FROM {stage}")
        _copy(connection, stage, columns, rows)
        cursor.execute(
            f"INSERT INTO {target} ({names}) SELECT {names} FROM {stage} ORDER BY {quoted_key} "
            f"ON CONFLICT ({quoted_key}) DO NOTHING RETURNING {quoted_key}"
        )
        inserted = {found[0] for found in cursor.fetchall()}
        cursor.execute(f"DELETE FROM {stage}")
    return inserted


def _copy(connection: Connection, target: str, columns: Sequence[str], rows: Sequence[tuple[Any, ...]]) -> None:
    """``COPY target (columns) FROM STDIN`` with ``rows`` (psycopg 3), in the connection's transaction."""
    preparer = connection.dialect.identifier_preparer
    names = ", ".join(preparer.quote(name) for name in columns)
    cursor = connection.connection.driver_connection.cursor()  # type: ignore[union-attr]
    statement = f"COPY {target} ({names}) FROM STDIN"
    with contextlib.closing(cursor), driver_errors(connection, statement), cursor.copy(statement) as copy:
        for row in rows:
            copy.write_row(row)


@contextlib.contextmanager
def driver_errors(connection: Connection, statement: str) -> Iterator[None]:
    """The driver's errors raised by statements run on its own cursor (COPY has no SQLAlchemy
    form) as SQLAlchemy's, as ``connection.execute`` would raise them: so that the catalogue's
    callers tell a lock timeout, a deadlock or a refused value apart the same way on every path
    (``record_catalogue.db.busy_fault``, ``retrying``, ``input_fault``). Before, a lock timeout
    met while copying new records escaped as a bare ``psycopg`` error: an API 500, never retried.
    """
    error = connection.dialect.loaded_dbapi.Error
    try:
        yield
    except error as exc:
        raise DBAPIError.instance(statement, None, exc, error) from exc
