"""Inserting many new rows at once: the first ingest of a clearing-house writes millions.

SQLAlchemy's Core ``executemany`` turns every row into a dict of parameters and runs each value
through the column's bind processor, which costs more than SQLite's own work on the row. On
SQLite the rows therefore go to the driver as tuples in one ``executemany`` call, with only the
values that need it (dates, timestamps, JSON, booleans) converted by the same processors
SQLAlchemy would use, so that the stored values are byte for byte what the ORM writes and reads
back. Other databases (PostgreSQL) take Core's path, whose ``insertmanyvalues`` batching already
does the work in few round trips.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import Connection, Table, insert

_UNSET = object()


def insert_rows(connection: Connection, table: Table, columns: Sequence[str], rows: Sequence[tuple[Any, ...]]) -> None:
    """Insert ``rows`` (values in the order of ``columns``) into ``table`` in one statement."""
    if not rows:
        return
    dialect = connection.dialect
    if dialect.name != "sqlite":
        connection.execute(insert(table), [dict(zip(columns, row, strict=True)) for row in rows])
        return
    processors: list[tuple[int, Callable[[Any], Any]]] = []
    for position, name in enumerate(columns):
        bind = table.c[name].type.dialect_impl(dialect).bind_processor(dialect)
        if bind is not None:
            processors.append((position, bind))
    if processors:
        converted: list[tuple[Any, ...]] = []
        # A batch's rows share their timestamp object: each distinct value is converted once.
        last: list[tuple[object, Any]] = [(_UNSET, None) for _ in processors]
        for row in rows:
            values = list(row)
            for slot, (position, processor) in enumerate(processors):
                value = values[position]
                seen, result = last[slot]
                if value is not seen:
                    result = processor(value)
                    last[slot] = (value, result)
                values[position] = result
            converted.append(tuple(values))
        rows = converted
    preparer = dialect.identifier_preparer
    names = ", ".join(preparer.quote(name) for name in columns)
    markers = ", ".join("?" for _ in columns)
    connection.exec_driver_sql(f"INSERT INTO {preparer.format_table(table)} ({names}) VALUES ({markers})", rows)
