"""keys, runs, entities, index flag

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25 20:16:03.231719
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from record_catalogue.migrations.shapes import create_column_indexes, drop_column_indexes, surrogate_key

revision = "0002"
down_revision = "0001"


def upgrade() -> None:
    op.create_table(
        "api_keys",
        surrogate_key(),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("role", sa.String(length=20), nullable=False),
        sa.Column("key_hash", sa.String(length=64), nullable=False),
        sa.Column("prefix", sa.String(length=16), nullable=False),
        sa.Column("rate_limit", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_used_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("key_hash"),
        sa.UniqueConstraint("name"),
    )
    op.create_table(
        "ingest_runs",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("paths", sa.JSON(), nullable=False),
        sa.Column("realm", sa.String(length=8), nullable=True),
        sa.Column("checkpoint", sa.Integer(), nullable=False),
        sa.Column("counts", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "record_entities",
        surrogate_key(),
        sa.Column("record_id", sa.String(length=200), nullable=False),
        sa.Column("field", sa.String(length=40), nullable=False),
        sa.Column("language", sa.String(length=8), nullable=False),
        sa.Column("type", sa.String(length=30), nullable=False),
        sa.Column("entity_id", sa.String(length=200), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("start", sa.Integer(), nullable=False),
        sa.Column("end", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["record_id"], ["records.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    create_column_indexes("record_entities", "record_id")
    op.create_index("ix_record_entities_type_id", "record_entities", ["type", "entity_id"], unique=False)

    with op.batch_alter_table("records", schema=None) as batch_op:
        batch_op.add_column(sa.Column("needs_index", sa.Boolean(), server_default=sa.true(), nullable=False))
    create_column_indexes("records", "needs_index")


def downgrade() -> None:
    with op.batch_alter_table("records", schema=None) as batch_op:  # one copy of the table on SQLite
        batch_op.drop_index(batch_op.f("ix_records_needs_index"))
        batch_op.drop_column("needs_index")

    op.drop_index("ix_record_entities_type_id", table_name="record_entities")
    drop_column_indexes("record_entities", "record_id")
    op.drop_table("record_entities")
    op.drop_table("ingest_runs")
    op.drop_table("api_keys")
