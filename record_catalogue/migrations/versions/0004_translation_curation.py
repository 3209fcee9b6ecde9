"""translation curation: segment rows with versions and history, uses of segments in records

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-25 21:02:32.501982

Curated rows written before this revision (engine ``curator``) become segment rows (engine
``segment``) and get their first history version, so every segment has a complete history.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from record_catalogue.migrations.shapes import create_column_indexes, drop_column_indexes, surrogate_key

revision = "0004"
down_revision = "0003"


def upgrade() -> None:
    op.create_table(
        "translation_memory_history",
        surrogate_key(),
        sa.Column("entry_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("from_version", sa.Integer(), nullable=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("provenance", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("status_reason", sa.Text(), nullable=True),
        sa.Column("engine", sa.String(length=40), nullable=True),
        sa.Column("model", sa.String(length=200), nullable=True),
        sa.Column("actor", sa.String(length=200), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["entry_id"], ["translation_memory.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("entry_id", "version", name="uq_translation_memory_history"),
    )
    create_column_indexes("translation_memory_history", "entry_id")

    op.create_table(
        "translation_uses",
        surrogate_key(),
        sa.Column("record_id", sa.String(length=200), nullable=False),
        sa.Column("field", sa.String(length=40), nullable=False),
        sa.Column("source_language", sa.String(length=8), nullable=False),
        sa.Column("target_language", sa.String(length=8), nullable=False),
        sa.Column("source_hash", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(["record_id"], ["records.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("translation_uses", schema=None) as batch_op:
        batch_op.create_index("ix_translation_uses_field", ["record_id", "field", "target_language"], unique=False)
        batch_op.create_index(
            "ix_translation_uses_segment", ["source_hash", "source_language", "target_language"], unique=False
        )

    with op.batch_alter_table("translation_memory", schema=None) as batch_op:
        batch_op.add_column(sa.Column("machine_engine", sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column("machine_model", sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column("version", sa.Integer(), server_default="1", nullable=False))
        batch_op.create_index(
            "ix_translation_memory_queue", ["engine", "status", "provenance", "target_language"], unique=False
        )

    op.execute(
        sa.text(
            "INSERT INTO translation_memory_history "
            "(entry_id, version, from_version, text, provenance, status, status_reason, engine, model, actor, at) "
            "SELECT id, 1, NULL, target_text, provenance, status, status_reason, NULL, NULL, "
            "COALESCE(actor, 'curator'), updated_at FROM translation_memory WHERE engine = 'curator'"
        )
    )
    op.execute(sa.text("UPDATE translation_memory SET engine = 'segment' WHERE engine = 'curator'"))


def downgrade() -> None:
    op.execute(sa.text("UPDATE translation_memory SET engine = 'curator' WHERE engine = 'segment'"))
    with op.batch_alter_table("translation_memory", schema=None) as batch_op:
        batch_op.drop_index("ix_translation_memory_queue")
        batch_op.drop_column("version")
        batch_op.drop_column("machine_model")
        batch_op.drop_column("machine_engine")

    with op.batch_alter_table("translation_uses", schema=None) as batch_op:
        batch_op.drop_index("ix_translation_uses_segment")
        batch_op.drop_index("ix_translation_uses_field")

    op.drop_table("translation_uses")
    drop_column_indexes("translation_memory_history", "entry_id")
    op.drop_table("translation_memory_history")
