"""the translation backlog shared by translate workers: work rows filled by triggers, segment claims

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-06 15:30:00

``translation_work`` holds the records whose original texts changed since a worker went through
them; triggers on ``field_texts`` fill it (every writer of original texts is covered, bulk
copies included) and, on PostgreSQL, ``NOTIFY chm_translate_work`` so that ``chm-search
translate --follow`` wakes up at once. Every record already in the catalogue is queued once, so
the first worker run sees the whole backlog. ``translation_claims`` are the segments being
translated now (``record_catalogue.work_models``).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"

CHANNEL = "chm_translate_work"

_PG_FUNCTION = f"""
CREATE OR REPLACE FUNCTION chm_queue_translation() RETURNS trigger AS $$
BEGIN
    IF NEW.provenance = 'original' AND (TG_OP = 'INSERT' OR NEW.text IS DISTINCT FROM OLD.text) THEN
        INSERT INTO translation_work (record_id, generation, queued_at, attempts)
        VALUES (NEW.record_id, 1, extract(epoch from clock_timestamp()), 0)
        ON CONFLICT (record_id) DO UPDATE
            SET generation = translation_work.generation + 1, queued_at = excluded.queued_at,
                last_error = NULL, attempts = 0,
                leased_until = CASE WHEN translation_work.leased_by IS NULL THEN NULL
                                    ELSE translation_work.leased_until END;
        PERFORM pg_notify('{CHANNEL}', '');
    END IF;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql
"""

_SQLITE_UPSERT = """
    INSERT INTO translation_work (record_id, generation, queued_at, attempts)
    VALUES (NEW.record_id, 1, (julianday('now') - 2440587.5) * 86400.0, 0)
    ON CONFLICT (record_id) DO UPDATE
        SET generation = generation + 1, queued_at = excluded.queued_at, last_error = NULL, attempts = 0,
            leased_until = CASE WHEN leased_by IS NULL THEN NULL ELSE leased_until END;
"""


def upgrade() -> None:
    op.create_table(
        "translation_work",
        sa.Column("record_id", sa.String(length=200), nullable=False),
        sa.Column("generation", sa.Integer(), server_default="1", nullable=False),
        sa.Column("queued_at", sa.Float(), nullable=False),
        sa.Column("leased_by", sa.String(length=120), nullable=True),
        sa.Column("leased_until", sa.Float(), nullable=True),
        sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["record_id"], ["records.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("record_id"),
    )
    op.create_index("ix_translation_work_lease", "translation_work", ["leased_until", "queued_at"])
    op.create_table(
        "translation_claims",
        sa.Column("source_hash", sa.String(length=64), nullable=False),
        sa.Column("source_language", sa.String(length=8), nullable=False),
        sa.Column("target_language", sa.String(length=8), nullable=False),
        sa.Column("engine", sa.String(length=40), nullable=False),
        sa.Column("model_version", sa.String(length=200), nullable=False),
        sa.Column("worker", sa.String(length=120), nullable=False),
        sa.Column("expires", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("source_hash", "source_language", "target_language", "engine", "model_version"),
    )
    dialect = op.get_bind().dialect.name
    if dialect == "postgresql":
        op.execute(_PG_FUNCTION)
        op.execute(
            "CREATE TRIGGER chm_queue_translation AFTER INSERT OR UPDATE OF text ON field_texts "
            "FOR EACH ROW EXECUTE FUNCTION chm_queue_translation()"
        )
        now = "extract(epoch from clock_timestamp())"
    else:
        op.execute(
            "CREATE TRIGGER chm_queue_translation_insert AFTER INSERT ON field_texts "
            f"WHEN NEW.provenance = 'original' BEGIN {_SQLITE_UPSERT} END"
        )
        op.execute(
            "CREATE TRIGGER chm_queue_translation_update AFTER UPDATE OF text ON field_texts "
            f"WHEN NEW.provenance = 'original' AND NEW.text IS NOT OLD.text BEGIN {_SQLITE_UPSERT} END"
        )
        now = "(julianday('now') - 2440587.5) * 86400.0"
    op.execute(
        f"INSERT INTO translation_work (record_id, generation, queued_at, attempts) SELECT id, 1, {now}, 0 FROM records"
    )


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS chm_queue_translation ON field_texts")
        op.execute("DROP FUNCTION IF EXISTS chm_queue_translation()")
    else:
        op.execute("DROP TRIGGER IF EXISTS chm_queue_translation_insert")
        op.execute("DROP TRIGGER IF EXISTS chm_queue_translation_update")
    op.drop_table("translation_claims")
    op.drop_index("ix_translation_work_lease", table_name="translation_work")
    op.drop_table("translation_work")
