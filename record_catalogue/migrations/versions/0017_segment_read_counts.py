"""segment rows keep how often readers opened their records; the queue's "most read" order reads an index

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-07 04:40:00

``order=impact`` ranks a language's sentences by how often readers of that language opened or
followed the records using them (views and clicks in ``reader_events``, a record counted once per
sentence however many of its fields hold it). Computed at read time, that grouped every event
and every use of the language and sorted every sentence before the first 20 were known: 247–274 ms
a page on SQLite and 212 ms on PostgreSQL at 50,000 sentences (issue 13: goal 200 ms), growing
with readers' traffic. ``translation_memory.read_count`` holds the sum instead, kept by the writers
of events (``record_catalogue.reader_events``: storing and pruning) and of uses
(``record_catalogue.segment_uses``), all under the translation writers' lock; an index gives the
order. Existing rows are counted here.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None

COUNT = """
UPDATE translation_memory SET read_count = (
    SELECT count(*) FROM reader_events e
    WHERE e.kind IN ('view', 'click')
      AND e.lang = translation_memory.target_language
      AND e.record_id IN (
          SELECT u.record_id FROM translation_uses u
          WHERE u.source_hash = translation_memory.source_hash
            AND u.source_language = translation_memory.source_language
            AND u.target_language = translation_memory.target_language
      )
) WHERE engine = 'segment'
"""


def upgrade() -> None:
    op.add_column("translation_memory", sa.Column("read_count", sa.Integer(), server_default="0", nullable=False))
    if op.get_bind().dialect.name == "postgresql":
        # without statistics (a catalogue just restored) PostgreSQL may read every event of a
        # language for each sentence instead of each record's events: minutes, not seconds
        op.execute("ANALYZE translation_uses, reader_events")
    op.execute(COUNT)
    op.create_index(
        "ix_translation_memory_by_reads",
        "translation_memory",
        ["engine", "status", "provenance", "read_count", "use_count", "updated_at", "id"],
    )


def downgrade() -> None:
    op.drop_index("ix_translation_memory_by_reads", table_name="translation_memory")
    with op.batch_alter_table("translation_memory") as batch_op:
        batch_op.drop_column("read_count")
