"""initial catalogue

Revision ID: 0001
Revises:
Create Date: 2026-11-25 20:02:59.074741
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from record_catalogue.migrations.shapes import create_column_indexes, drop_column_indexes, surrogate_key

revision = "0001"
down_revision = None


def upgrade() -> None:
    op.create_table(
        "audit",
        surrogate_key(),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(length=200), nullable=False),
        sa.Column("action", sa.String(length=40), nullable=False),
        sa.Column("record_id", sa.String(length=200), nullable=True),
        sa.Column("detail", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    create_column_indexes("audit", "at", "record_id")

    op.create_table(
        "ingest_errors",
        surrogate_key(),
        sa.Column("run_id", sa.String(length=40), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("position", sa.String(length=100), nullable=False),
        sa.Column("record_id", sa.String(length=200), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    create_column_indexes("ingest_errors", "run_id")

    op.create_table(
        "records",
        sa.Column("id", sa.String(length=200), nullable=False),
        sa.Column("realm", sa.String(length=8), nullable=False),
        sa.Column("schema_name", sa.String(length=100), nullable=False),
        sa.Column("government", sa.String(length=2), nullable=True),
        sa.Column("original_language", sa.String(length=8), nullable=False),
        sa.Column("declared_languages", sa.JSON(), nullable=False),
        sa.Column("date", sa.Date(), nullable=True),
        sa.Column("url", sa.Text(), nullable=True),
        sa.Column("links", sa.JSON(), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("source_position", sa.String(length=100), nullable=False),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    create_column_indexes("records", "government", "realm", "schema_name", "updated_at")

    op.create_table(
        "field_texts",
        surrogate_key(),
        sa.Column("record_id", sa.String(length=200), nullable=False),
        sa.Column("field", sa.String(length=40), nullable=False),
        sa.Column("language", sa.String(length=8), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("provenance", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("status_reason", sa.Text(), nullable=True),
        sa.Column("declared_language", sa.String(length=16), nullable=True),
        sa.Column("detection_confidence", sa.Double(), nullable=True),
        sa.Column("engine", sa.String(length=40), nullable=True),
        sa.Column("model", sa.String(length=200), nullable=True),
        sa.Column("pivot", sa.String(length=40), nullable=True),
        sa.Column("actor", sa.String(length=200), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["record_id"], ["records.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("record_id", "field", "language", "provenance", name="uq_field_text"),
    )
    create_column_indexes("field_texts", "record_id")
    op.create_index("ix_field_texts_status", "field_texts", ["provenance", "status", "language"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_field_texts_status", table_name="field_texts")
    drop_column_indexes("field_texts", "record_id")
    op.drop_table("field_texts")
    drop_column_indexes("records", "updated_at", "schema_name", "realm", "government")
    op.drop_table("records")
    drop_column_indexes("ingest_errors", "run_id")
    op.drop_table("ingest_errors")
    drop_column_indexes("audit", "record_id", "at")
    op.drop_table("audit")
