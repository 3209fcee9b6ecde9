"""The review queue ranks by a kept count of records per sentence, read from an index (issue 13,
the queue at 50,000 sentences; migration 0015).

Before: each page counted every sentence's records and sorted every sentence (229–263 ms a page
on PostgreSQL at 50,000). Now ``translation_memory.use_count`` is kept by the writers of uses;
these tests hold it to the truth (distinct records in ``translation_uses``) through translation,
re-ingest, a curator's correction spreading, and a record using a sentence in two fields, and
check on PostgreSQL that the default page is read in an index's order with no sort.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import event, func, select

from record_catalogue.codes import Provenance, TextStatus
from record_catalogue.memory_models import TranslationMemoryEntry, TranslationUse
from record_catalogue.memory_store import SEGMENT_ENGINE
from record_catalogue.models import RecordRow, utcnow
from record_catalogue.translation_writes import translation_writes
from tests.curation.conftest import Doc, World
from translate.curation import QueueFilter

FOREST = "The forest is protected."
RIVER = "The river is green."
CAT = "The cat eats the fish."


def kept_and_true(world: World) -> tuple[dict[str, int], dict[str, int]]:
    """Each fr segment's kept count, and the distinct records its uses name, by source text."""
    with world.catalogue.sessions() as session:
        rows = session.execute(
            select(TranslationMemoryEntry).where(
                TranslationMemoryEntry.engine == SEGMENT_ENGINE, TranslationMemoryEntry.target_language == "fr"
            )
        ).scalars()
        kept, true = {}, {}
        for row in rows:
            kept[row.source_text] = row.use_count
            true[row.source_text] = int(
                session.scalar(
                    select(func.count(func.distinct(TranslationUse.record_id))).where(
                        TranslationUse.source_hash == row.source_hash,
                        TranslationUse.source_language == row.source_language,
                        TranslationUse.target_language == row.target_language,
                    )
                )
                or 0
            )
    return kept, true


def test_the_kept_counts_follow_translation_reingest_and_corrections(world: World) -> None:
    world.ingest(Doc("chm-a", FOREST, RIVER), Doc("abs-b", FOREST, realm="ABS"), Doc("bch-c", CAT, CAT, realm="BCH"))
    world.translate()
    kept, true = kept_and_true(world)
    assert kept == true and kept[FOREST] == 2 and kept[RIVER] == 1
    assert kept[CAT] == 1  # in bch-c's title and summary: one record
    assert world.queue()["items"][0]["source_text"] == FOREST

    world.ingest(Doc("chm-a", FOREST, CAT))  # the river leaves the only record that had it
    world.translate()
    kept, true = kept_and_true(world)
    assert kept == true and kept[RIVER] == 0 and kept[CAT] == 2
    assert RIVER not in {i["source_text"] for i in world.queue(size=100)["items"]}  # used by nothing: not listed

    cat = world.item_for(CAT)
    assert cat["record_count"] == 2
    corrected = world.put("ana", cat["id"], text="Le chat mange le poisson.", status="reviewed", version=cat["version"])
    assert corrected.status_code == 200, corrected.text  # spread to both records: their uses rewritten
    kept, true = kept_and_true(world)
    assert kept == true and kept[CAT] == 2


def test_a_segment_made_after_its_uses_counts_them(world: World) -> None:
    """A sentence stored in a field before its segment row existed (no model for it yet) is counted
    when the row is made."""
    world.ingest(Doc("chm-a", RIVER), Doc("chm-b", RIVER))
    with translation_writes(world.catalogue.sessions) as tx:
        for record_id in ("chm-a", "chm-b"):
            tx.replace_uses((record_id, "title", "fr"), "en", [RIVER], "worker", utcnow())
        assert tx.segment(("en", "fr", RIVER)) is None
    world.translate()
    kept, true = kept_and_true(world)
    assert kept[RIVER] == true[RIVER] == 2


def test_a_new_segment_row_holds_its_counts_as_returned(world: World) -> None:
    """``add_segment`` sets the count and the kept lists on the row it returns (its callers read
    them there, before anything is read again), and stores the same."""
    world.ingest(Doc("chm-a", RIVER, government="br"), Doc("abs-b", RIVER, realm="ABS", government="pe"))
    with translation_writes(world.catalogue.sessions) as tx:
        for record_id in ("chm-a", "abs-b"):
            tx.replace_uses((record_id, "title", "fr"), "en", [RIVER], "worker", utcnow())
        row = tx.add_segment(
            ("en", "fr", RIVER),
            "worker",
            utcnow(),
            target_text="La rivière est verte.",
            provenance=Provenance.MACHINE,
            status=TextStatus.CURRENT,
        )
        returned = (row.use_count, set(row.record_realms.split(",")), set(row.record_schemas.split(",")))
        assert returned == (2, {"", "ABS", "CHM"}, {"", "absPermit", "resource"})
        assert set(row.record_governments.split(",")) == {"", "br", "pe"}
    kept, true = kept_and_true(world)
    assert kept[RIVER] == true[RIVER] == 2
    kept_lists, true_lists = kept_lists_and_true(world)
    assert kept_lists[RIVER] == true_lists[RIVER] == ({"ABS", "CHM"}, {"absPermit", "resource"}, {"br", "pe"})


def test_the_default_pages_read_an_index_in_order(world: World) -> None:
    """No sort and no use counting for "most used" and "newest": the page is the index's first rows."""
    world.ingest(Doc("chm-a", FOREST, RIVER), Doc("abs-b", FOREST, realm="ABS"))
    world.translate()
    seen: list[tuple[str, Any]] = []

    def keep(_conn: Any, _cursor: Any, statement: str, parameters: Any, _context: Any, _many: bool) -> None:
        if statement.lstrip().startswith("SELECT translation_memory.id \nFROM") and "ORDER BY" in statement:
            seen.append((statement, parameters))

    postgresql = world.catalogue.engine.dialect.name == "postgresql"
    for order in ("used", "recent"):
        seen.clear()
        event.listen(world.catalogue.engine, "before_cursor_execute", keep)
        try:
            world.curation.queue(QueueFilter(order=order))
        finally:
            event.remove(world.catalogue.engine, "before_cursor_execute", keep)
        assert len(seen) == 1, seen
        statement, parameters = seen[0]
        with world.catalogue.engine.connect() as connection:
            cursor = connection.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
            if postgresql:
                cursor.execute("SET enable_seqscan = off")  # a tiny table: ask what the plan *can* be
                cursor.execute(f"EXPLAIN {statement}", parameters)
            else:
                cursor.execute(f"EXPLAIN QUERY PLAN {statement}", parameters)
            plan = "\n".join(str(line[-1]) for line in cursor.fetchall())
        index = "ix_translation_memory_by_use" if order == "used" else "ix_translation_memory_by_time"
        sorted_apart = "Sort" if postgresql else "TEMP B-TREE"
        assert index in plan and sorted_apart not in plan and "translation_uses" not in plan, plan


def kept_lists_and_true(world: World) -> tuple[dict[str, tuple[set[str], ...]], dict[str, tuple[set[str], ...]]]:
    """Each fr segment's kept realms, types and countries (migration 0016), and those of the
    records its uses name, by source text."""

    def split(kept: str) -> set[str]:
        return {value for value in kept.split(",") if value}

    with world.catalogue.sessions() as session:
        rows = session.scalars(
            select(TranslationMemoryEntry).where(
                TranslationMemoryEntry.engine == SEGMENT_ENGINE, TranslationMemoryEntry.target_language == "fr"
            )
        )
        kept, true = {}, {}
        for row in rows:
            kept[row.source_text] = (split(row.record_realms), split(row.record_schemas), split(row.record_governments))
            described = session.execute(
                select(RecordRow.realm, RecordRow.schema_name, RecordRow.government)
                .join(TranslationUse, TranslationUse.record_id == RecordRow.id)
                .where(
                    TranslationUse.source_hash == row.source_hash,
                    TranslationUse.source_language == row.source_language,
                    TranslationUse.target_language == row.target_language,
                )
            ).all()
            true[row.source_text] = (
                {str(realm) for realm, _, _ in described},
                {schema for _, schema, _ in described},
                {government for _, _, government in described if government},
            )
    return kept, true


def test_the_kept_realms_types_and_countries_follow_the_records(world: World) -> None:
    """The lists the queue's filters read stay those of the records using each sentence: through
    translation, a record's text changing, and a record's country changing with its text as
    it was (no translation is made again: the catalogue brings the lists up to date)."""
    world.ingest(
        Doc("chm-a", FOREST, RIVER, government="br"),
        Doc("abs-b", FOREST, realm="ABS", government="pe"),
        Doc("bch-c", CAT, realm="BCH"),
    )
    world.translate()
    kept, true = kept_lists_and_true(world)
    assert kept == true
    assert kept[FOREST] == ({"CHM", "ABS"}, {"resource", "absPermit"}, {"br", "pe"})
    assert kept[CAT] == ({"BCH"}, {"biosafetyLaw"}, set())

    world.ingest(Doc("chm-a", CAT, RIVER, government="br"))  # the forest leaves chm-a, the cat joins it
    world.translate()
    kept, true = kept_lists_and_true(world)
    assert kept == true and kept[FOREST] == ({"ABS"}, {"absPermit"}, {"pe"})

    world.ingest(Doc("abs-b", FOREST, realm="ABS", government="mx"))  # same text: no new translation
    kept, true = kept_lists_and_true(world)
    assert kept == true and kept[FOREST] == ({"ABS"}, {"absPermit"}, {"mx"})
    assert FOREST not in {item["source_text"] for item in world.queue(government="pe", size=100)["items"]}
    assert FOREST in {item["source_text"] for item in world.queue(government="mx", size=100)["items"]}


def test_filters_by_realm_type_and_country_hold_of_one_record(world: World) -> None:
    """One filter reads the row's list; two or more must hold of one record using the sentence."""
    world.ingest(Doc("abs-pe", FOREST, realm="ABS", government="pe"), Doc("chm-br", FOREST, RIVER, government="br"))
    world.translate()

    def listed(**params: Any) -> set[str]:
        body = world.queue(size=100, **params)
        assert body["total"] == len(body["items"])
        return {item["source_text"] for item in body["items"]}

    assert listed(realm="ABS") == {FOREST}
    assert listed(realm="CHM") == {FOREST, RIVER}
    assert listed(government="br") == {FOREST, RIVER}
    assert listed(schema="absPermit") == {FOREST}
    assert listed(realm="ABS", government="pe") == {FOREST}
    assert listed(realm="ABS", government="br") == set()  # an ABS record and a record from Brazil, not one
    assert listed(realm="BCH") == set()


def test_pages_filtered_by_realm_type_or_country_read_no_use(world: World) -> None:
    """The filtered page and its count test each segment row's own lists: neither reads the uses
    or the records (before migration 0016 both joined every use to its record: 580 ms of CPU a
    page for one clearing-house on SQLite at 50,000 sentences)."""
    world.ingest(Doc("chm-a", FOREST, RIVER, government="br"), Doc("abs-b", FOREST, realm="ABS"))
    world.translate()
    postgresql = world.catalogue.engine.dialect.name == "postgresql"
    seen: list[tuple[str, Any]] = []

    def keep(_conn: Any, _cursor: Any, statement: str, parameters: Any, _context: Any, _many: bool) -> None:
        if statement.lstrip().startswith(("SELECT translation_memory.id \nFROM", "SELECT count(*)")):
            seen.append((statement, parameters))

    for wanted in (QueueFilter(realm="ABS"), QueueFilter(schema="absPermit"), QueueFilter(government="br", lang="fr")):
        seen.clear()
        event.listen(world.catalogue.engine, "before_cursor_execute", keep)
        try:
            page = world.curation.queue(wanted)
        finally:
            event.remove(world.catalogue.engine, "before_cursor_execute", keep)
        assert page.total >= 1 and len(seen) == 2, seen
        for statement, parameters in seen:
            with world.catalogue.engine.connect() as connection:
                cursor = connection.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
                cursor.execute(f"EXPLAIN {statement}" if postgresql else f"EXPLAIN QUERY PLAN {statement}", parameters)
                plan = "\n".join(str(line[-1]) for line in cursor.fetchall())
            assert "translation_uses" not in plan and "records" not in plan, (wanted, plan)
