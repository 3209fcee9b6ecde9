"""tombstones, a change sequence for the feeds, document keys for duplicate groups

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-06 15:30:00

Deleting a record keeps it (``deleted_at``/``deleted_by``: a tombstone, its texts kept for audit)
so that the feeds can say it is gone. Every committed change of a record stamps it with the next
value of ``change_counter`` (``change_seq``, ``changed_at``): partners mirroring us continue from
the last value they saw. ``document_keys`` and ``group_id`` recognise one document stored under
several records (``record_catalogue.duplicates``); ``group_split`` is a curator's "not the same".
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from record_catalogue.migrations.shapes import create_column_indexes, drop_column_indexes

revision = "0009"
down_revision = "0008"


def upgrade() -> None:
    with op.batch_alter_table("records", schema=None) as batch_op:
        batch_op.add_column(sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("deleted_by", sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column("change_seq", sa.BigInteger(), server_default="0", nullable=False))
        batch_op.add_column(sa.Column("changed_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("group_id", sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column("group_split", sa.Boolean(), server_default=sa.false(), nullable=False))
    create_column_indexes("records", "change_seq", "changed_at", "group_id")
    op.execute("UPDATE records SET changed_at = updated_at")
    op.create_table(
        "change_counter",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("value", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.execute("INSERT INTO change_counter (id, value) VALUES (1, 0)")
    op.create_table(
        "document_keys",
        sa.Column("record_id", sa.String(length=200), nullable=False),
        sa.Column("key", sa.String(length=300), nullable=False),
        sa.ForeignKeyConstraint(["record_id"], ["records.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("record_id", "key"),
    )
    create_column_indexes("document_keys", "key")


def downgrade() -> None:
    drop_column_indexes("document_keys", "key")
    op.drop_table("document_keys")
    op.drop_table("change_counter")
    with op.batch_alter_table("records", schema=None) as batch_op:  # one copy of the table on SQLite
        batch_op.drop_index(batch_op.f("ix_records_group_id"))
        batch_op.drop_index(batch_op.f("ix_records_changed_at"))
        batch_op.drop_index(batch_op.f("ix_records_change_seq"))
        batch_op.drop_column("group_split")
        batch_op.drop_column("group_id")
        batch_op.drop_column("changed_at")
        batch_op.drop_column("change_seq")
        batch_op.drop_column("deleted_by")
        batch_op.drop_column("deleted_at")
