"""Migration 0004 on a catalogue at 0003: curated rows become segments with a first history version."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, text

from record_catalogue import (
    event_models,  # noqa: F401 - readers' events on Base.metadata
    memory_models,  # noqa: F401 - the memory's tables on Base.metadata
    work_models,  # noqa: F401 - the backlog's tables on Base.metadata
)
from record_catalogue.db import alembic_config
from record_catalogue.models import Base


def test_upgrade_from_0003_keeps_curated_rows_and_downgrades_cleanly(tmp_path: Path) -> None:
    engine = create_engine(f"sqlite:///{tmp_path}/old.sqlite3")
    config = alembic_config()

    def run(step: str, revision: str) -> None:
        with engine.begin() as connection:
            config.attributes["connection"] = connection
            getattr(command, step)(config, revision)

    run("upgrade", "0003")
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO translation_memory (source_hash, source_text, source_language, target_language, engine, "
                "model_version, target_text, provenance, status, actor, created_at, updated_at) VALUES "
                "('h', 'The forest.', 'en', 'fr', 'curator', '', 'La forêt.', 'reviewed', 'current', 'Ana', "
                "'2026-01-01 00:00:00', '2026-01-02 00:00:00')"
            )
        )
    run("upgrade", "head")
    with engine.begin() as connection:
        assert connection.execute(text("SELECT engine, version FROM translation_memory")).all() == [("segment", 1)]
        history = connection.execute(text("SELECT version, text, actor, from_version FROM translation_memory_history"))
        assert history.all() == [(1, "La forêt.", "Ana", None)]
        assert compare_metadata(MigrationContext.configure(connection), Base.metadata) == []  # models == schema
    run("downgrade", "0003")
    with engine.begin() as connection:
        assert connection.execute(text("SELECT engine FROM translation_memory")).all() == [("curator",)]
    engine.dispose()
