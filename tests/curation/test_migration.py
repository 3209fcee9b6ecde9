"""Migrations on older catalogues: curated rows become segments (0004); segment rows get their
records' realms, types and countries (0016) and their readers' count (0017); each downgrades cleanly."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine, create_engine, text

from record_catalogue import (
    event_models,  # noqa: F401 - readers' events on Base.metadata
    memory_models,  # noqa: F401 - the memory's tables on Base.metadata
    work_models,  # noqa: F401 - the backlog's tables on Base.metadata
)
from record_catalogue.db import alembic_config
from record_catalogue.dialect import TEXT_INDEX, modelled
from record_catalogue.models import Base


def migrator(engine: Engine) -> Callable[[str, str], None]:
    """``run("upgrade" | "downgrade", revision)`` on ``engine``'s database, each step in its own transaction."""
    config = alembic_config()

    def run(step: str, revision: str) -> None:
        with engine.begin() as connection:
            config.attributes["connection"] = connection
            getattr(command, step)(config, revision)

    return run


def test_upgrade_from_0003_keeps_curated_rows_and_downgrades_cleanly(tmp_path: Path) -> None:
    engine = create_engine(f"sqlite:///{tmp_path}/old.sqlite3")
    run = migrator(engine)
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
        context = MigrationContext.configure(connection, opts={"include_name": modelled})  # as env.py compares
        assert compare_metadata(context, Base.metadata) == []  # models == schema
        assert connection.execute(text(f"SELECT count(*) FROM {TEXT_INDEX}")).scalar() == 1  # 0018's trigrams
    run("downgrade", "0003")
    with engine.begin() as connection:
        assert connection.execute(text("SELECT engine FROM translation_memory")).all() == [("curator",)]
    engine.dispose()


def test_0016_fills_the_kept_realms_types_and_countries_and_downgrades_cleanly(tmp_path: Path) -> None:
    """Migration 0016 on a catalogue at 0015: each segment row gets the realms, types and
    countries of the records its uses name (none: empty); down again, the columns are gone."""
    engine = create_engine(f"sqlite:///{tmp_path}/old.sqlite3")
    run = migrator(engine)
    run("upgrade", "0015")
    with engine.begin() as connection:
        for record_id, realm, schema, government in (
            ("abs-1", "ABS", "absPermit", "pe"),
            ("chm-1", "CHM", "resource", None),
            ("chm-2", "CHM", "resource", "br"),
        ):
            connection.execute(
                text(
                    "INSERT INTO records (id, realm, schema_name, government, original_language, declared_languages, "
                    "links, source, source_position, content_hash, created_at, updated_at) VALUES (:id, :realm, "
                    ":schema, :government, 'en', '[]', '[]', '', '', 'h', '2026-01-01 00:00:00', '2026-01-01 00:00:00')"
                ),
                {"id": record_id, "realm": realm, "schema": schema, "government": government},
            )
        for digest in ("shared", "alone", "unused"):
            connection.execute(
                text(
                    "INSERT INTO translation_memory (source_hash, source_text, source_language, target_language, "
                    "engine, model_version, target_text, provenance, status, created_at, updated_at) VALUES "
                    "(:h, :h, 'en', 'fr', 'segment', '', :h, 'machine', 'current', '2026-01-01 00:00:00', "
                    "'2026-01-01 00:00:00')"
                ),
                {"h": digest},
            )
        for record_id, digest in (("abs-1", "shared"), ("chm-1", "shared"), ("chm-2", "shared"), ("chm-1", "alone")):
            connection.execute(
                text(
                    "INSERT INTO translation_uses (record_id, field, source_language, target_language, source_hash) "
                    "VALUES (:r, 'title', 'en', 'fr', :h)"
                ),
                {"r": record_id, "h": digest},
            )
    run("upgrade", "0016")
    with engine.begin() as connection:
        kept = {
            digest: tuple(set(column.strip(",").split(",")) - {""} for column in lists)
            for digest, *lists in connection.execute(
                text("SELECT source_hash, record_realms, record_schemas, record_governments FROM translation_memory")
            )
        }
    assert kept == {
        "shared": ({"ABS", "CHM"}, {"absPermit", "resource"}, {"pe", "br"}),
        "alone": ({"CHM"}, {"resource"}, set()),
        "unused": (set(), set(), set()),
    }
    run("downgrade", "0015")
    with engine.begin() as connection:
        columns = {row[1] for row in connection.execute(text("PRAGMA table_info(translation_memory)"))}
        assert "use_count" in columns and not columns & {"record_realms", "record_schemas", "record_governments"}
        assert connection.execute(text("SELECT count(*) FROM translation_memory")).scalar() == 3
    engine.dispose()


def test_0017_counts_the_readers_of_each_sentence_and_downgrades_cleanly(tmp_path: Path) -> None:
    """Migration 0017 on a catalogue at 0016: each segment row gets the views and clicks, in its
    target language, of the records its uses name (each record once, however many of its fields
    use the sentence; searches, other languages and events naming no record do not count)."""
    engine = create_engine(f"sqlite:///{tmp_path}/old.sqlite3")
    run = migrator(engine)
    run("upgrade", "0016")
    with engine.begin() as connection:
        for record_id in ("chm-1", "chm-2", "chm-3"):
            connection.execute(
                text(
                    "INSERT INTO records (id, realm, schema_name, original_language, declared_languages, links, "
                    "source, source_position, content_hash, created_at, updated_at) VALUES (:id, 'CHM', 'resource', "
                    "'en', '[]', '[]', '', '', 'h', '2026-01-01 00:00:00', '2026-01-01 00:00:00')"
                ),
                {"id": record_id},
            )
        for digest, target in (("shared", "fr"), ("shared", "es"), ("alone", "fr"), ("unread", "fr")):
            connection.execute(
                text(
                    "INSERT INTO translation_memory (source_hash, source_text, source_language, target_language, "
                    "engine, model_version, target_text, provenance, status, created_at, updated_at) VALUES "
                    "(:h, :h, 'en', :t, 'segment', '', :h, 'machine', 'current', '2026-01-01 00:00:00', "
                    "'2026-01-01 00:00:00')"
                ),
                {"h": digest, "t": target},
            )
        for record_id, field, digest, target in (
            ("chm-1", "title", "shared", "fr"),
            ("chm-1", "summary", "shared", "fr"),  # two fields of one record: its events count once
            ("chm-2", "title", "shared", "fr"),
            ("chm-1", "title", "shared", "es"),
            ("chm-2", "title", "alone", "fr"),
            ("chm-3", "title", "unread", "fr"),
        ):
            connection.execute(
                text(
                    "INSERT INTO translation_uses (record_id, field, source_language, target_language, source_hash) "
                    "VALUES (:r, :f, 'en', :t, :h)"
                ),
                {"r": record_id, "f": field, "t": target, "h": digest},
            )
        for kind, lang, record_id, times in (
            ("view", "fr", "chm-1", 3),
            ("click", "fr", "chm-2", 2),
            ("view", "es", "chm-1", 5),
            ("search", "fr", "chm-1", 7),
            ("view", "fr", None, 4),
            ("view", "es", "chm-3", 6),
        ):
            for _ in range(times):
                connection.execute(
                    text(
                        "INSERT INTO reader_events (at, kind, lang, source, record_id) "
                        "VALUES ('2026-01-01 00:00:00', :k, :l, 'page', :r)"
                    ),
                    {"k": kind, "l": lang, "r": record_id},
                )
    run("upgrade", "0017")
    with engine.begin() as connection:
        kept = dict(
            connection.execute(
                text("SELECT source_hash || '.' || target_language, read_count FROM translation_memory")
            ).all()
        )
    assert kept == {"shared.fr": 5, "shared.es": 5, "alone.fr": 2, "unread.fr": 0}
    run("downgrade", "0016")
    with engine.begin() as connection:
        columns = {row[1] for row in connection.execute(text("PRAGMA table_info(translation_memory)"))}
        assert "record_realms" in columns and "read_count" not in columns
        indexes = {row[1] for row in connection.execute(text("PRAGMA index_list(translation_memory)"))}
        assert "ix_translation_memory_by_reads" not in indexes
    engine.dispose()


def test_0018_indexes_the_memory_s_texts_keeps_the_index_in_step_and_downgrades_cleanly(tmp_path: Path) -> None:
    """Migration 0018 on a catalogue at 0017 (SQLite): the trigram index holds the rows already
    there, follows inserts, text updates and deletes, and is gone with its triggers once down again."""
    engine = create_engine(f"sqlite:///{tmp_path}/old.sqlite3")
    run = migrator(engine)
    run("upgrade", "0017")
    insert_row = text(
        "INSERT INTO translation_memory (source_hash, source_text, source_language, target_language, engine, "
        "model_version, target_text, provenance, status, created_at, updated_at) VALUES (:h, :s, 'en', 'fr', "
        "'segment', '', :t, 'machine', 'current', '2026-01-01 00:00:00', '2026-01-01 00:00:00')"
    )

    def found(phrase: str) -> list[str]:
        with engine.begin() as connection:
            return list(
                connection.execute(
                    text(
                        f"SELECT m.source_hash FROM {TEXT_INDEX} "
                        f"JOIN translation_memory m ON m.id = {TEXT_INDEX}.rowid "
                        f"WHERE {TEXT_INDEX} MATCH :p ORDER BY m.source_hash"
                    ),
                    {"p": f'"{phrase}"'},
                ).scalars()
            )

    with engine.begin() as connection:
        connection.execute(insert_row, {"h": "old", "s": "The forest is protected.", "t": "La forêt est protégée."})
    run("upgrade", "0018")
    assert found("FOREST") == ["old"] and found("forêt") == ["old"] and found("river") == []
    with engine.begin() as connection:
        connection.execute(insert_row, {"h": "new", "s": "The river is green.", "t": "La rivière est verte."})
        connection.execute(text("UPDATE translation_memory SET target_text = 'Le bois.' WHERE source_hash = 'old'"))
        connection.execute(text("UPDATE translation_memory SET use_count = 3 WHERE source_hash = 'new'"))
    assert found("river") == ["new"] and found("bois") == ["old"] and found("forêt") == []
    with engine.begin() as connection:
        connection.execute(text("DELETE FROM translation_memory WHERE source_hash = 'new'"))
    assert found("river") == [] and found("forest") == ["old"]
    run("downgrade", "0017")
    with engine.begin() as connection:
        left = connection.execute(
            text("SELECT name FROM sqlite_master WHERE name LIKE :p"), {"p": f"{TEXT_INDEX}%"}
        ).all()
        assert left == [] and connection.execute(text("SELECT count(*) FROM translation_memory")).scalar() == 1
    engine.dispose()
