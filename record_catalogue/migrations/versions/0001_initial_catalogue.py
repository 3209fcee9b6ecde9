"""initial catalogue

Revision ID: 0001
Revises:
Create Date: 2026-11-25 20:02:59.074741
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "audit",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(length=200), nullable=False),
        sa.Column("action", sa.String(length=40), nullable=False),
        sa.Column("record_id", sa.String(length=200), nullable=True),
        sa.Column("detail", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("audit", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_audit_at"), ["at"], unique=False)
        batch_op.create_index(batch_op.f("ix_audit_record_id"), ["record_id"], unique=False)

    op.create_table(
        "ingest_errors",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("run_id", sa.String(length=40), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("position", sa.String(length=100), nullable=False),
        sa.Column("record_id", sa.String(length=200), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("ingest_errors", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_ingest_errors_run_id"), ["run_id"], unique=False)

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
    with op.batch_alter_table("records", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_records_government"), ["government"], unique=False)
        batch_op.create_index(batch_op.f("ix_records_realm"), ["realm"], unique=False)
        batch_op.create_index(batch_op.f("ix_records_schema_name"), ["schema_name"], unique=False)
        batch_op.create_index(batch_op.f("ix_records_updated_at"), ["updated_at"], unique=False)

    op.create_table(
        "field_texts",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
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
    with op.batch_alter_table("field_texts", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_field_texts_record_id"), ["record_id"], unique=False)
        batch_op.create_index("ix_field_texts_status", ["provenance", "status", "language"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("field_texts", schema=None) as batch_op:
        batch_op.drop_index("ix_field_texts_status")
        batch_op.drop_index(batch_op.f("ix_field_texts_record_id"))

    op.drop_table("field_texts")
    with op.batch_alter_table("records", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_records_updated_at"))
        batch_op.drop_index(batch_op.f("ix_records_schema_name"))
        batch_op.drop_index(batch_op.f("ix_records_realm"))
        batch_op.drop_index(batch_op.f("ix_records_government"))

    op.drop_table("records")
    with op.batch_alter_table("ingest_errors", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_ingest_errors_run_id"))

    op.drop_table("ingest_errors")
    with op.batch_alter_table("audit", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_audit_record_id"))
        batch_op.drop_index(batch_op.f("ix_audit_at"))

    op.drop_table("audit")
