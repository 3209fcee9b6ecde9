"""the review queue's text filter reads trigram indexes on PostgreSQL

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-06 19:50:00

The curators' queue filters by a piece of text in the source or the translation (``q``: any case,
anywhere in the sentence, ``ILIKE '%…%'``), which no B-tree serves: PostgreSQL read every
sentence's two texts for each page (issue 13: the queue at 50,000 items over its 200 ms goal).
``pg_trgm``'s GIN indexes serve exactly that form (three characters or more). The extension ships
with PostgreSQL (Debian's ``postgresql`` package includes it) and is trusted since PostgreSQL 13,
so the catalogue's owner may create it; where it cannot be created (an older server, a role
without CREATE on the database) the migration says so and leaves the filter as it was.
SQLite has no such index: its ``LIKE`` scan stays (README, figures).
"""

from __future__ import annotations

import logging

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"

log = logging.getLogger("alembic.runtime.migration")
INDEXES = {"ix_translation_memory_source_trgm": "source_text", "ix_translation_memory_target_trgm": "target_text"}


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    try:
        with bind.begin_nested():
            bind.execute(sa.text("CREATE EXTENSION IF NOT EXISTS pg_trgm"))
    except sa.exc.DBAPIError as exc:
        log.warning(
            "pg_trgm cannot be created (%s): the review queue's text filter keeps scanning every sentence",
            str(exc.orig).splitlines()[0] if exc.orig else exc,
        )
        return
    for name, column in INDEXES.items():
        bind.execute(
            sa.text(f"CREATE INDEX IF NOT EXISTS {name} ON translation_memory USING gin ({column} gin_trgm_ops)")
        )


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for name in INDEXES:
        op.execute(f"DROP INDEX IF EXISTS {name}")
