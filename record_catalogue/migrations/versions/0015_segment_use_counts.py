"""segment rows keep how many records use them; the queue's default pages read an index in order

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-06 21:50:00

The review queue's default page ranks machine sentences by how many records use them. Counted
at read time, that is every sentence's records counted and every sentence sorted before the
first 20 are known: 229–263 ms a page on PostgreSQL at 50,000 sentences (issue 13: goal
200 ms), growing with the memory. ``translation_memory.use_count`` holds the count instead,
kept by the writers of ``translation_uses`` (``record_catalogue.segment_uses``), and two indexes
give the queue's two default orders (most used, newest) in index order, so a page reads about
its own rows whatever the memory's size. Existing rows are counted here.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None

COUNT = """
UPDATE translation_memory SET use_count = (
    SELECT count(DISTINCT u.record_id) FROM translation_uses u
    WHERE u.source_hash = translation_memory.source_hash
      AND u.source_language = translation_memory.source_language
      AND u.target_language = translation_memory.target_language
) WHERE engine = 'segment'
"""


def upgrade() -> None:
    op.add_column("translation_memory", sa.Column("use_count", sa.Integer(), server_default="0", nullable=False))
    op.execute(COUNT)
    op.create_index(
        "ix_translation_memory_by_use",
        "translation_memory",
        ["engine", "status", "provenance", "use_count", "updated_at", "id"],
    )
    op.create_index(
        "ix_translation_memory_by_time", "translation_memory", ["engine", "status", "provenance", "updated_at", "id"]
    )


def downgrade() -> None:
    op.drop_index("ix_translation_memory_by_time", table_name="translation_memory")
    op.drop_index("ix_translation_memory_by_use", table_name="translation_memory")
    with op.batch_alter_table("translation_memory") as batch_op:
        batch_op.drop_column("use_count")
