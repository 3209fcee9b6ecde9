"""The catalogue: migrations on start, upsert by id + content hash, provenance, errors, audit."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import inspect

from record_catalogue.db import CatalogueUnavailable
from record_catalogue.store import Catalogue, Upsert
from tests.catalogue_rows import add_texts, machine, originals, permit, reviewed


@pytest.mark.fresh_migrations
def test_migrations_create_every_table(catalogue: Catalogue) -> None:
    tables = set(inspect(catalogue.engine).get_table_names())
    assert {"records", "field_texts", "ingest_errors", "audit", "alembic_version"} <= tables


def test_upsert_created_unchanged_updated(catalogue: Catalogue) -> None:
    rec = permit()
    assert catalogue.upsert(rec, originals(rec), "en") == "created"
    assert catalogue.upsert(rec, originals(rec), "en") == "unchanged"
    changed = permit(summary={"en": "Access to Brazil nut seeds and leaves."})
    assert catalogue.upsert(changed, originals(changed), "en") == "updated"
    row = catalogue.get("REC-1")
    assert row is not None
    summary = next(t for t in row.texts if t.field == "summary")
    assert summary.text == "Access to Brazil nut seeds and leaves." and summary.version == 2
    assert summary.provenance == "original" and summary.declared_language == "en"
    assert [a.action for a in catalogue.audit_trail("REC-1")] == ["record.created", "record.updated"]
    assert catalogue.audit_trail("REC-1")[1].detail["changed_fields"] == ["summary"]


def test_changed_source_marks_translations_stale_and_keeps_them(catalogue: Catalogue) -> None:
    rec = permit()
    catalogue.upsert(rec, originals(rec), "en")
    add_texts(
        catalogue,
        reviewed("REC-1", "summary", "fr", "Accès aux graines.", actor="curator-ana"),
        machine("REC-1", "title", "fr", "Permis de recherche", model="en-fr 1.9"),
    )
    changed = permit(summary={"en": "Access to seeds and leaves."})
    catalogue.upsert(changed, originals(changed), "en")
    row = catalogue.get("REC-1")
    assert row is not None
    by_field = {(t.field, t.language, t.provenance): t for t in row.texts}
    curated = by_field[("summary", "fr", "reviewed")]
    assert curated.status == "stale" and curated.text == "Accès aux graines." and curated.actor == "curator-ana"
    # the title did not change, so its translation stays current
    assert by_field[("title", "fr", "machine")].status == "current"


def test_errors_are_kept_with_reason(catalogue: Catalogue) -> None:
    run = catalogue.new_run_id()
    catalogue.add_error(run, "dump.jsonl", "line 7", "invalid JSON: Expecting value at column 1")
    [error] = catalogue.errors(run_id=run)
    assert (error.source, error.position, error.reason) == (
        "dump.jsonl",
        "line 7",
        "invalid JSON: Expecting value at column 1",
    )


def test_iter_records_pages_through_everything(catalogue: Catalogue) -> None:
    for n in range(7):
        rec = permit(id=f"REC-{n}")
        catalogue.upsert(rec, originals(rec), "en")
    assert [row.id for row in catalogue.iter_records(batch_size=3)] == [f"REC-{n}" for n in range(7)]
    assert [row.id for row in catalogue.iter_records(batch_size=2, ids=["REC-5", "REC-1", "REC-3"])] == [
        "REC-1",
        "REC-3",
        "REC-5",
    ]


def test_unreachable_catalogue_is_a_clear_error(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("x")
    with pytest.raises(CatalogueUnavailable) as caught:
        Catalogue(f"sqlite:///{blocker}/catalogue.sqlite3")
    assert "CHM_CATALOGUE_URL" in str(caught.value)


def test_a_batch_with_the_same_record_twice(catalogue: Catalogue) -> None:
    first = permit()
    second = permit(summary={"en": "A second, corrected summary."})
    results = catalogue.upsert_many(
        [
            Upsert(first, originals(first), "en"),
            Upsert(second, originals(second), "en"),
            Upsert(second, originals(second), "en"),
        ]
    )
    assert [outcome for _, outcome, _ in results] == ["created", "updated", "unchanged"]
    row = catalogue.get("REC-1")
    assert row is not None and next(t.text for t in row.texts if t.field == "summary") == "A second, corrected summary."


def test_new_records_prepared_elsewhere_are_inserted_unless_taken(catalogue: Catalogue) -> None:
    """``store_batch`` inserts rows made by ``RowMaker``; an id stored meanwhile is handed back."""
    from record_catalogue.models import utcnow

    first = permit()
    catalogue.upsert_many([Upsert(first, originals(first), "en")])
    other = permit(id="REC-2", title={"en": "Permit for pollinator surveys"})
    now = utcnow()
    rows = [catalogue.rows.new_record(Upsert(r, originals(r), "en"), "tester", now) for r in (first, other, other)]
    done = catalogue.store_batch(rows, [])
    assert done.taken == [0, 2]  # REC-1 was stored before; REC-2 twice: the second one
    stored = catalogue.get("REC-2")
    assert stored is not None and stored.needs_index and stored.content_hash == other.content_hash()
    assert {(t.field, t.text) for t in stored.texts} == {(t.field, t.text) for t in originals(other)}
    assert [(a.actor, a.action) for a in catalogue.audit_trail("REC-2")] == [("tester", "record.created")]
    assert len(catalogue.audit_trail("REC-1")) == 1 and catalogue.count() == 2


def test_bulk_insert_stores_exactly_what_core_inserts(catalogue: Catalogue) -> None:
    """The SQLite fast path must write the same bytes as SQLAlchemy would (dates, JSON, flags)."""
    import datetime as dt

    from sqlalchemy import insert, make_url

    from record_catalogue.bulk_insert import RowEncoder, insert_rows
    from record_catalogue.models import Base

    table = Base.metadata.tables["records"]
    now = dt.datetime(2026, 11, 25, 21, 59, 41, 123456, tzinfo=dt.UTC)
    values = {
        "realm": "CHM",
        "schema_name": "nationalTarget",
        "government": None,
        "original_language": "fr",
        "declared_languages": ["fr", "en"],
        "date": dt.date(2024, 2, 29),
        "url": None,
        "links": [{"url": "https://example.org/é", "name": "« lien »"}],
        "source": "dump.jsonl",
        "source_position": "line 7",
        "content_hash": "ab" * 32,
        "created_at": now,
        "updated_at": now,
        "needs_index": True,
    }
    columns = ["id", *values]
    encode = RowEncoder(catalogue.engine.dialect, table, columns)
    # as worker processes encode: from the database URL's dialect, without a connection
    encode_elsewhere = RowEncoder(make_url(catalogue.dsn).get_dialect()(), table, columns)
    with catalogue.engine.begin() as connection:
        connection.execute(insert(table), [{"id": "CORE", **values}])
        rows = [encode(("FAST", *values.values())), encode_elsewhere(("FAST-2", *values.values()))]
        insert_rows(connection, table, columns, rows)
        stored = {
            row[0]: row[1:]
            for row in connection.exec_driver_sql(f"SELECT id, {', '.join(columns[1:])} FROM records").all()
        }
    assert stored["FAST"] == stored["FAST-2"] == stored["CORE"]
    row = catalogue.get("FAST")
    assert row is not None and row.date == dt.date(2024, 2, 29) and row.links[0]["name"] == "« lien »"
    assert row.needs_index is True and row.declared_languages == ["fr", "en"]


def test_bulk_inserts_on_postgresql_use_copy(catalogue: Catalogue, monkeypatch: pytest.MonkeyPatch) -> None:
    """New records go in with COPY on PostgreSQL (records through a temporary table, for ``ON
    CONFLICT``); SQLite keeps its executemany fast path."""
    from record_catalogue import bulk_insert

    copied: list[tuple[str, int]] = []
    real_copy = bulk_insert._copy

    def spy(connection, target, columns, rows):  # type: ignore[no-untyped-def]
        copied.append((target, len(rows)))
        real_copy(connection, target, columns, rows)

    monkeypatch.setattr(bulk_insert, "_copy", spy)
    recs = [permit(id=f"REC-{n}") for n in range(3)]
    results = catalogue.upsert_many([Upsert(r, originals(r), "en") for r in recs])
    assert [outcome for _, outcome, _ in results] == ["created"] * 3 and catalogue.count() == 3
    if catalogue.engine.dialect.name == "postgresql":
        assert copied == [("records_incoming", 3), ("field_texts", 6), ("audit", 3), ("document_keys", 3)]
    else:
        assert copied == []
    row = catalogue.get("REC-2")
    assert row is not None and {t.text for t in row.texts} == {
        "Permit for Brazil nut research",
        "Access to Bertholletia excelsa seeds.",
    }
