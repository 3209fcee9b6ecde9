"""Inserting many new rows at once: the first ingest of a clearing-house writes millions.

SQLAlchemy's Core ``executemany`` turns every row into a dict of parameters and runs each value
through the column's bind processor, which costs more than SQLite's own work on the row. On
SQLite the rows therefore go to the driver as tuples in one ``executemany`` call, their values
converted beforehand (``RowEncoder``: dates, timestamps, JSON, booleans) by the same processors
SQLAlchemy would use, so that the stored values are byte for byte what the ORM writes and reads
back. Encoding needs no connection, only the dialect: ingest's worker processes encode the rows
they prepare, and the one writer only inserts. Other databases (PostgreSQL) take Core's path
with plain values, whose ``insertmanyvalues`` batching already does the work in few round trips.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import Connection, Dialect, Table, insert

_UNSET = object()


class RowEncoder:
    """Rows of one table as its database driver takes them (values in the order of ``columns``)."""

    def __init__(self, dialect: Dialect, table: Table, columns: Sequence[str]) -> None:
        self.processors: list[tuple[int, Callable[[Any], Any]]] = []
        if dialect.name == "sqlite":  # other databases get plain values (see insert_rows)
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
    if dialect.name != "sqlite":
        connection.execute(insert(table), [dict(zip(columns, row, strict=True)) for row in rows])
        return
    preparer = dialect.identifier_preparer
    names = ", ".join(preparer.quote(name) for name in columns)
    markers = ", ".join("?" for _ in columns)
    connection.exec_driver_sql(f"INSERT INTO {preparer.format_table(table)} ({names}) VALUES ({markers})", rows)
