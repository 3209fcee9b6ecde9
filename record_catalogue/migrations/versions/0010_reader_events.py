"""readers' events (searches, record views, result clicks); the segment-use index covers record ids

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-06 16:00:00

``reader_events`` holds what readers do, without personal data (``record_catalogue.event_models``),
for the curators' ``order=impact`` and overview. ``ix_translation_uses_segment`` gains
``record_id`` and ``ix_translation_memory_queue`` the sentence's key and time: the review queue
ranks every sentence of a language at once from the two indexes alone (it took 2 s a page at
41,000 sentences, counting each sentence's uses in a subquery per row and reading every row;
bench/curation_queue.py).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from record_catalogue.migrations.shapes import surrogate_key

revision = "0010"
down_revision = "0009"
QUEUE_COLUMNS = ["engine", "status", "provenance", "target_language", "source_language", "source_hash", "updated_at"]


def upgrade() -> None:
    op.create_table(
        "reader_events",
        surrogate_key(),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("lang", sa.String(length=8), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("query", sa.Text(), nullable=True),
        sa.Column("results", sa.Integer(), nullable=True),
        sa.Column("filters", sa.JSON(), nullable=True),
        sa.Column("record_id", sa.String(length=200), nullable=True),
        sa.Column("position", sa.Integer(), nullable=True),
        sa.Column("machine", sa.Boolean(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_reader_events_records", "reader_events", ["kind", "lang", "record_id"], unique=False)
    op.create_index("ix_reader_events_time", "reader_events", ["kind", "lang", "at"], unique=False)
    op.create_index("ix_reader_events_at", "reader_events", ["at"], unique=False)
    op.drop_index("ix_translation_uses_segment", table_name="translation_uses")
    op.create_index(
        "ix_translation_uses_segment",
        "translation_uses",
        ["source_hash", "source_language", "target_language", "record_id"],
        unique=False,
    )
    op.drop_index("ix_translation_memory_queue", table_name="translation_memory")
    op.create_index("ix_translation_memory_queue", "translation_memory", QUEUE_COLUMNS, unique=False)


def downgrade() -> None:
    op.drop_index("ix_translation_memory_queue", table_name="translation_memory")
    op.create_index("ix_translation_memory_queue", "translation_memory", QUEUE_COLUMNS[:4], unique=False)
    op.drop_index("ix_translation_uses_segment", table_name="translation_uses")
    op.create_index(
        "ix_translation_uses_segment",
        "translation_uses",
        ["source_hash", "source_language", "target_language"],
        unique=False,
    )
    op.drop_index("ix_reader_events_at", table_name="reader_events")
    op.drop_index("ix_reader_events_time", table_name="reader_events")
    op.drop_index("ix_reader_events_records", table_name="reader_events")
    op.drop_table("reader_events")
