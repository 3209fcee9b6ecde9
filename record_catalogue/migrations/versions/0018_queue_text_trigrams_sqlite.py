"""the review queue's text filter reads a trigram full-text index on SQLite too

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-07 05:00:00

The curators' queue filters by a piece of text in the source or the translation (``q``: any case,
anywhere in the sentence). PostgreSQL answers from ``pg_trgm`` indexes (0014); SQLite read every
sentence's two texts with ``LIKE '%…%'``, twice a page (the page and its total): 221 ms a page at
50,000 sentences for a piece found in one sentence (issue 13: goal 200 ms). FTS5's ``trigram``
tokenizer (SQLite 3.34 and later) indexes every three characters of both texts, so a piece of
three characters or more is looked up: ``translation_memory_text``, an external-content FTS5 table
over ``translation_memory`` (no second copy of the texts), kept by three triggers and filled here.
The queue still tests ``LIKE`` on the rows the index finds (``record_catalogue.dialect.contains_text``),
so the rows listed are those ``LIKE`` lists; shorter pieces are filtered by ``LIKE`` alone, as before.

Where FTS5 or its trigram tokenizer is missing (an SQLite older than 3.34, or built without FTS5),
the migration says so and the filter scans as before. A later revision that rebuilds
``translation_memory`` (Alembic's batch mode on SQLite copies it to a new table) must create the
triggers again: ``create_triggers`` below.
"""

from __future__ import annotations

import logging

import sqlalchemy as sa
from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None

log = logging.getLogger("alembic.runtime.migration")
TABLE = "translation_memory_text"  # record_catalogue.dialect.TEXT_INDEX
TRIGGERS = {
    f"{TABLE}_insert": f"""
        AFTER INSERT ON translation_memory BEGIN
            INSERT INTO {TABLE} (rowid, source_text, target_text) VALUES (new.id, new.source_text, new.target_text);
        END""",
    f"{TABLE}_delete": f"""
        AFTER DELETE ON translation_memory BEGIN
            INSERT INTO {TABLE} ({TABLE}, rowid, source_text, target_text)
            VALUES ('delete', old.id, old.source_text, old.target_text);
        END""",
    f"{TABLE}_update": f"""
        AFTER UPDATE OF source_text, target_text ON translation_memory BEGIN
            INSERT INTO {TABLE} ({TABLE}, rowid, source_text, target_text)
            VALUES ('delete', old.id, old.source_text, old.target_text);
            INSERT INTO {TABLE} (rowid, source_text, target_text) VALUES (new.id, new.source_text, new.target_text);
        END""",
}


def create_triggers() -> None:
    for name, body in TRIGGERS.items():
        op.execute(f"CREATE TRIGGER {name} {body}")


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "sqlite":
        return
    try:  # a failed statement leaves SQLite's transaction as it was: no savepoint needed
        bind.execute(
            sa.text(
                f"CREATE VIRTUAL TABLE {TABLE} USING fts5(source_text, target_text, "
                "content='translation_memory', content_rowid='id', tokenize='trigram')"
            )
        )
    except sa.exc.OperationalError as exc:
        log.warning(
            "SQLite's FTS5 trigram tokenizer is unavailable (%s): the review queue's text filter keeps "
            "scanning every sentence",
            str(exc.orig).splitlines()[0] if exc.orig else exc,
        )
        return
    create_triggers()
    op.execute(f"INSERT INTO {TABLE} ({TABLE}) VALUES ('rebuild')")


def downgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    for name in TRIGGERS:
        op.execute(f"DROP TRIGGER IF EXISTS {name}")
    op.execute(f"DROP TABLE IF EXISTS {TABLE}")
