"""translation memory: translated segments keyed by source, languages, engine and model version

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25 20:23:42.851771
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from record_catalogue.migrations.shapes import surrogate_key

revision = "0003"
down_revision = "0002"


def upgrade() -> None:
    op.create_table(
        "translation_memory",
        surrogate_key(),
        sa.Column("source_hash", sa.String(length=64), nullable=False),
        sa.Column("source_text", sa.Text(), nullable=False),
        sa.Column("source_language", sa.String(length=8), nullable=False),
        sa.Column("target_language", sa.String(length=8), nullable=False),
        sa.Column("engine", sa.String(length=40), nullable=False),
        sa.Column("model_version", sa.String(length=200), nullable=False),
        sa.Column("target_text", sa.Text(), nullable=False),
        sa.Column("provenance", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("status_reason", sa.Text(), nullable=True),
        sa.Column("pivot", sa.String(length=40), nullable=True),
        sa.Column("actor", sa.String(length=200), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint(
            "source_hash", "source_language", "target_language", "engine", "model_version", name="uq_translation_memory"
        ),
    )
    with op.batch_alter_table("translation_memory", schema=None) as batch_op:
        batch_op.create_index(
            "ix_translation_memory_lookup", ["source_hash", "source_language", "target_language"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("translation_memory", schema=None) as batch_op:
        batch_op.drop_index("ix_translation_memory_lookup")

    op.drop_table("translation_memory")
