"""The shapes the catalogue's revisions repeat: the surrogate key and indexes named after a column.

Migrations are history: databases already migrated went through what these helpers emitted, so
what a helper emits never changes once a revision uses it. A revision that needs another shape
writes it out or adds a helper beside these.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


def surrogate_key() -> sa.Column[int]:
    """The integer ``id`` the database numbers itself; the table names it its primary key."""
    return sa.Column("id", sa.Integer(), autoincrement=True, nullable=False)


def create_column_indexes(table: str, *columns: str) -> None:
    """One index per column, named ``ix_<table>_<column>`` as SQLAlchemy names an ``index=True`` column."""
    with op.batch_alter_table(table, schema=None) as batch_op:
        for column in columns:
            batch_op.create_index(batch_op.f(f"ix_{table}_{column}"), [column], unique=False)


def drop_column_indexes(table: str, *columns: str) -> None:
    """Drop what ``create_column_indexes`` created, in the order given."""
    with op.batch_alter_table(table, schema=None) as batch_op:
        for column in columns:
            batch_op.drop_index(batch_op.f(f"ix_{table}_{column}"))
