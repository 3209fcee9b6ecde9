"""The kept readers' count (``read_count``, migration 0017) stays right when readers' events and a
record's uses are written at the same moment.

An event about a record adds to the sentences the record uses; a new use of a sentence by a
record adds that record's events to the sentence. Written concurrently without an order, each
writer could miss the other's uncommitted change and the sentence would lack the events for
good. The writers of events take the translation writers' lock first, so one of them counts
after the other's commit.
"""

from __future__ import annotations

import threading
from datetime import timedelta

from sqlalchemy import insert, select

from record_catalogue import reader_events
from record_catalogue.codes import Provenance
from record_catalogue.memory_models import TranslationMemoryEntry
from record_catalogue.models import RecordRow, utcnow
from record_catalogue.reader_events import NewEvent
from record_catalogue.store import Catalogue
from record_catalogue.translation_writes import translation_writes

FOREST = "The forest is protected."


def add_record(catalogue: Catalogue, record_id: str) -> None:
    with catalogue.sessions.begin() as session:
        session.execute(
            insert(RecordRow),
            {
                "id": record_id,
                "realm": "CHM",
                "schema_name": "resource",
                "original_language": "en",
                "declared_languages": ["en"],
                "content_hash": record_id,
                "links": [],
            },
        )


def read_count(catalogue: Catalogue) -> int:
    with catalogue.sessions() as session:
        found = session.scalar(
            select(TranslationMemoryEntry.read_count).where(
                TranslationMemoryEntry.source_text == FOREST, TranslationMemoryEntry.target_language == "fr"
            )
        )
    assert found is not None
    return found


def test_views_stored_while_a_record_starts_using_the_sentence_are_counted(catalogue: Catalogue) -> None:
    add_record(catalogue, "chm-a")
    add_record(catalogue, "chm-b")
    now = utcnow()
    with translation_writes(catalogue.sessions) as tx:
        tx.add_segment(("en", "fr", FOREST), "worker", now, target_text="La forêt est protégée.")
        tx.replace_uses(("chm-b", "title", "fr"), "en", [FOREST], "worker", now)
    views = [NewEvent(kind="view", lang="fr", source="page", record_id="chm-a")] * 3
    reader_events.record(catalogue, [NewEvent(kind="view", lang="fr", source="page", record_id="chm-b")], 180)
    assert read_count(catalogue) == 1

    using = threading.Event()
    stored = threading.Event()
    failures: list[BaseException] = []

    def worker() -> None:
        """The worker stores chm-a's title, made of the sentence, and commits a moment later."""
        try:
            with translation_writes(catalogue.sessions) as tx:
                tx.replace_uses(("chm-a", "title", "fr"), "en", [FOREST], "worker", utcnow())
                using.set()
                stored.wait(timeout=1.0)  # the views are stored meanwhile, or wait for this commit
        except BaseException as exc:  # reported below
            failures.append(exc)
            using.set()

    def reader() -> None:
        try:
            using.wait(timeout=30)
            reader_events.record(catalogue, views, 180)
        except BaseException as exc:  # reported below
            failures.append(exc)
        finally:
            stored.set()

    threads = [threading.Thread(target=worker), threading.Thread(target=reader)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not failures, failures
    assert read_count(catalogue) == 4  # chm-b's view and chm-a's three

    # and down again when they are pruned, whatever wrote them
    assert reader_events.prune(catalogue, 1, now=utcnow() + timedelta(days=3)) == 4
    assert read_count(catalogue) == 0
    with catalogue.sessions() as session:
        row = session.scalar(select(TranslationMemoryEntry).where(TranslationMemoryEntry.source_text == FOREST))
        assert row is not None and row.provenance == Provenance.MACHINE and row.use_count == 2
