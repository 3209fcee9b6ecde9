"""The review queue's pages against their definition, computed here in Python from the raw tables.

The queue reads kept columns (``use_count``, ``read_count``, the records' realms, types and
countries) and indexes to be fast (issue 13); what it must return is defined by the uses, the
records, their original texts and readers' events. This suite writes a catalogue through the real
writers (segments and uses under ``translation_writes``, events through ``reader_events.record``
and ``prune``), then compares every page of every filter, status and order with the rows,
totals and order the definition gives: a filter or an order that drifts from it on either
database fails here.
"""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import event, insert, select, text, update

from record_catalogue import curation_queries, reader_events
from record_catalogue.codes import Provenance, TextStatus
from record_catalogue.dialect import TEXT_INDEX
from record_catalogue.event_models import ReaderEvent
from record_catalogue.memory_models import TranslationMemoryEntry, TranslationUse
from record_catalogue.memory_store import SEGMENT_ENGINE
from record_catalogue.models import FieldText, RecordRow
from record_catalogue.reader_events import NewEvent
from record_catalogue.store import Catalogue
from record_catalogue.translation_writes import translation_writes
from translate.curation import Curation, QueueFilter
from translate.glossary import Glossary

WORDS = ["forest", "River", "protected", "law", "permit", "marine", "species", "water", "plan", "Genetic"]
REALMS = {"CHM": "resource", "ABS": "absPermit", "BCH": "biosafetyLaw"}
START = datetime(2026, 11, 1, tzinfo=UTC)
READ = ("view", "click")


@dataclass(frozen=True)
class Row:
    id: int
    key: tuple[str, str, str]  # (source hash, source language, target language)
    source_text: str
    target_text: str
    provenance: str
    status: str
    updated_at: datetime


def build(catalogue: Catalogue, seed: int = 11) -> None:
    """Records with original titles; their sentences' segments (machine, reviewed, rejected, failed)
    and uses, written as the worker writes them; some records' titles changed afterwards (their
    reviewed sentences go stale); readers' events, some pruned."""
    rng = random.Random(seed)
    sentences = [f"{' '.join(rng.sample(WORDS, rng.randint(2, 5))).capitalize()} {i} 12{i % 7}45." for i in range(60)]
    sentences[7] = "Protected 100% of the_area, ÉTÉ."  # LIKE's wildcards and a non-ASCII capital
    common = sentences[:4]  # boilerplate: in many records
    now = START
    records: dict[str, list[str]] = {}
    with catalogue.sessions.begin() as session:
        for number in range(40):
            realm = rng.choice(list(REALMS))
            record_id = f"{realm.lower()}-{number:03d}"
            used = rng.sample(sentences[4:], 3) + rng.sample(common, rng.randint(0, 2))
            records[record_id] = used
            session.execute(
                insert(RecordRow),
                {
                    "id": record_id,
                    "realm": realm,
                    "schema_name": REALMS[realm],
                    "government": rng.choice(["br", "pe", "mx", None]),
                    "original_language": "en",
                    "declared_languages": ["en"],
                    "content_hash": record_id,
                    "links": [],
                },
            )
            session.execute(
                insert(FieldText),
                {
                    "record_id": record_id,
                    "field": "title",
                    "language": "en",
                    "text": " ".join(used),
                    "provenance": Provenance.ORIGINAL,
                },
            )
    outcomes = [
        (Provenance.MACHINE, TextStatus.CURRENT),
        (Provenance.MACHINE, TextStatus.CURRENT),
        (Provenance.MACHINE, TextStatus.CURRENT),
        (Provenance.REVIEWED, TextStatus.CURRENT),
        (Provenance.MACHINE, TextStatus.REJECTED),
        (Provenance.MACHINE, TextStatus.FAILED),
    ]
    with translation_writes(catalogue.sessions) as tx:
        for index, text in enumerate([*sentences, "Used by no record."]):
            for target in ("fr", "es"):
                provenance, status = rng.choice(outcomes)
                if index in (10, 11):  # reviewed, and their records' titles change below: stale
                    provenance, status = Provenance.REVIEWED, TextStatus.CURRENT
                stamp = now - timedelta(minutes=index // 3)  # ties: the id decides
                tx.add_segment(
                    ("en", target, text),
                    "worker",
                    stamp,
                    target_text=f"[{target}] {text.lower()}",
                    provenance=provenance,
                    status=status,
                    machine_engine="argos",
                )
        for record_id, used in records.items():
            for target in ("fr", "es"):
                tx.replace_uses((record_id, "title", target), "en", used, "worker", now)
    with catalogue.sessions.begin() as session:  # re-ingested titles, not yet translated again
        changed = [r for r, used in records.items() if {sentences[10], sentences[11]} & set(used)]
        for record_id in [*changed, *list(records)[::6]]:
            session.execute(
                update(FieldText)
                .where(FieldText.record_id == record_id, FieldText.field == "title")
                .values(text=f"A new title for {record_id}.")
            )
    ids = list(records)
    for day in range(8):
        batch = [
            NewEvent(
                kind=rng.choice(("view", "view", "click", "search")),
                lang=rng.choice(("fr", "es", "fr")),
                source="page",
                record_id=ids[min(int(rng.paretovariate(1.0)) - 1, len(ids) - 1)] if rng.random() < 0.9 else None,
            )
            for _ in range(30)
        ]
        reader_events.record(catalogue, batch, retention_days=365, now=START + timedelta(days=day))
    reader_events.prune(catalogue, 365, now=START + timedelta(days=367))  # the first two days' events go


@dataclass(frozen=True)
class Tables:
    """What the queue's definition reads: segment rows, uses, records, original texts, events."""

    rows: list[Row]
    uses: list[Any]
    described: dict[str, tuple[str, str, str | None]]
    originals: dict[tuple[str, str, str], str]
    events: Counter[tuple[str, str]]


def tables(catalogue: Catalogue) -> Tables:
    with catalogue.sessions() as session:
        rows = [
            Row(
                r.id,
                (r.source_hash, r.source_language, r.target_language),
                r.source_text,
                r.target_text,
                str(r.provenance),
                str(r.status),
                r.updated_at if r.updated_at.tzinfo else r.updated_at.replace(tzinfo=UTC),
            )
            for r in session.scalars(
                select(TranslationMemoryEntry).where(TranslationMemoryEntry.engine == SEGMENT_ENGINE)
            )
        ]
        uses = session.execute(
            select(
                TranslationUse.source_hash,
                TranslationUse.source_language,
                TranslationUse.target_language,
                TranslationUse.record_id,
                TranslationUse.field,
            )
        ).all()
        described = {r.id: (str(r.realm), r.schema_name, r.government) for r in session.scalars(select(RecordRow))}
        originals = {
            (t.record_id, t.field, t.language): t.text
            for t in session.scalars(select(FieldText).where(FieldText.provenance == Provenance.ORIGINAL))
        }
        events = Counter(
            (record_id, lang)
            for kind, lang, record_id in session.execute(
                select(ReaderEvent.kind, ReaderEvent.lang, ReaderEvent.record_id)
            )
            if kind in READ and record_id is not None
        )
    return Tables(rows, list(uses), described, originals, events)


def definition(raw: Tables, wanted: QueueFilter) -> tuple[int, list[tuple[int, int]]]:
    """The total and the page (ids with their record counts) the queue must return, from the raw tables."""
    rows, uses, described, originals, events = raw.rows, raw.uses, raw.described, raw.originals, raw.events
    fields: dict[tuple[str, str, str], list[tuple[str, str]]] = {}
    for digest, source, target, record_id, field in uses:
        fields.setdefault((digest, source, target), []).append((record_id, field))

    def records_of(row: Row) -> set[str]:
        return {record_id for record_id, _field in fields.get(row.key, [])}

    def gone(row: Row) -> bool:
        used = fields.get(row.key, [])
        return bool(used) and not any(
            row.source_text in originals.get((record_id, field, row.key[1]), "") for record_id, field in used
        )

    def in_status(row: Row) -> bool:
        reviewed, current = row.provenance == Provenance.REVIEWED, row.status == TextStatus.CURRENT
        return {
            "machine": row.provenance == Provenance.MACHINE and current and bool(records_of(row)),
            "failed": row.status == TextStatus.FAILED and bool(records_of(row)),
            "rejected": row.status == TextStatus.REJECTED,
            "reviewed": reviewed and current and not gone(row),
            "stale": reviewed and (row.status == TextStatus.STALE or (current and gone(row))),
        }[wanted.status]

    def described_so(row: Row) -> bool:
        asked = [(i, v) for i, v in enumerate((wanted.realm, wanted.schema, wanted.government)) if v]
        return not asked or any(all(described[r][i] == v for i, v in asked) for r in records_of(row))

    def has_text(row: Row) -> bool:
        needle = (wanted.q or "").strip()
        return not needle or any(needle.lower() in text.lower() for text in (row.source_text, row.target_text))

    listed = [
        row
        for row in rows
        if in_status(row)
        and (not wanted.lang or row.key[2] == wanted.lang)
        and (not wanted.source_lang or row.key[1] == wanted.source_lang)
        and described_so(row)
        and has_text(row)
    ]

    def rank(row: Row) -> tuple[Any, ...]:
        used = len(records_of(row))
        read = sum(events[(record_id, row.key[2])] for record_id in records_of(row))
        newest = (-row.updated_at.timestamp(), -row.id)
        return {"used": (-used, *newest), "recent": newest, "impact": (-read, -used, *newest)}[wanted.order]

    listed.sort(key=rank)
    start = (wanted.page - 1) * wanted.size
    return len(listed), [(row.id, len(records_of(row))) for row in listed[start : start + wanted.size]]


FILTERS = [
    {},
    {"lang": "fr"},
    {"lang": "es", "source_lang": "en"},
    {"realm": "ABS"},
    {"realm": "ABS", "lang": "fr"},
    {"schema": "resource"},
    {"government": "br"},
    {"realm": "CHM", "government": "pe"},
    {"realm": "BCH", "schema": "absPermit"},
    {"q": "forest"},
    {"q": " FoReSt "},
    {"q": "12345"},
    {"q": "fr"},  # shorter than three characters: in "[fr] …" and in words
    {"q": "r"},
    {"q": "100%"},
    {"q": "the_area"},
    {"q": "été"},
    {"q": "nothing like it"},
    {"q": "protected", "realm": "ABS", "lang": "fr"},
]


@pytest.fixture
def built(catalogue: Catalogue) -> Catalogue:
    build(catalogue)
    return catalogue


def test_every_page_is_the_one_the_definition_gives(built: Catalogue) -> None:
    curation = Curation(built, None, Glossary.load())
    checked: Counter[str] = Counter()
    raw = tables(built)
    for status in ("machine", "reviewed", "rejected", "stale", "failed"):
        for extra in FILTERS:
            for order in ("used", "recent", "impact"):
                for page in (1, 2, 3):
                    wanted = QueueFilter(status=status, order=order, page=page, size=7, **extra)
                    total, expected = definition(raw, wanted)
                    got = curation.queue(wanted)
                    listed = [(item.id, item.record_count) for item in got.items]
                    assert (got.total, listed) == (total, expected), wanted
                    checked[status] += len(expected)
    assert min(checked.values()) > 10 and checked["machine"] > 500, checked  # pages held rows, not only empty lists


def test_the_catalogue_has_what_the_comparison_needs(built: Catalogue) -> None:
    """Ties in time, sentences read more than others, stale sentences, events pruned: the
    comparison above meets each case it is meant to check. The kept readers' counts are those
    the events give."""
    raw = tables(built)
    truth = {
        row.id: sum(
            raw.events[(record_id, row.key[2])] for record_id in {u[3] for u in raw.uses if tuple(u[:3]) == row.key}
        )
        for row in raw.rows
    }
    with built.sessions() as session:
        kept = {
            int(entry_id): int(count)
            for entry_id, count in session.execute(select(TranslationMemoryEntry.id, TranslationMemoryEntry.read_count))
        }
    assert kept == truth and sum(truth.values()) > 20
    curation = Curation(built, None, Glossary.load())
    assert curation.queue(QueueFilter(status="stale")).total > 0
    read = [item.id for item in curation.queue(QueueFilter(order="impact", size=100)).items]
    assert read != [item.id for item in curation.queue(QueueFilter(order="used", size=100)).items]
    with built.sessions() as session:
        stamps = list(session.scalars(select(TranslationMemoryEntry.updated_at)))
        assert len(set(stamps)) < len(stamps)
        first = session.scalar(select(ReaderEvent.at).order_by(ReaderEvent.at))
        assert first is not None and first.replace(tzinfo=first.tzinfo or UTC) == START + timedelta(days=2)


def test_sqlite_s_trigram_index_changes_no_answer_of_the_text_filter(
    built: Catalogue, monkeypatch: pytest.MonkeyPatch
) -> None:
    """SQLite looks a piece of three characters or more up in the trigram index (migration 0018)
    before testing LIKE, and reads a page of a common piece in the order's index with LIKE alone;
    without the index (an SQLite without FTS5's trigram tokenizer) LIKE reads every row. All list
    the same rows in the same order, whatever the piece's length or case."""
    if built.engine.dialect.name != "sqlite":
        pytest.skip("SQLite's trigram index only (PostgreSQL's are plain indexes: migration 0014)")
    pieces = [extra["q"] for extra in FILTERS if "q" in extra] + ["ÉTÉ", "Été", '"the', "45.", "  "]
    statements: list[str] = []

    def pages(curation: Curation) -> list[tuple[int, list[int]]]:
        found = []
        for q in pieces:
            for status, order in (("machine", "used"), ("machine", "impact"), ("reviewed", "recent")):
                for page in (1, 2):
                    got = curation.queue(QueueFilter(status=status, order=order, q=q, page=page, size=5))
                    found.append((got.total, [item.id for item in got.items]))
        return found

    def keep(_conn: Any, _cursor: Any, statement: str, *_rest: Any) -> None:
        statements.append(statement)

    event.listen(built.engine, "before_cursor_execute", keep)
    try:
        indexed = pages(Curation(built, None, Glossary.load()))
    finally:
        event.remove(built.engine, "before_cursor_execute", keep)
    assert any(f"{TEXT_INDEX} MATCH" in statement for statement in statements)  # the index was read
    monkeypatch.setattr(curation_queries, "DENSE_TEXT", 0)  # every piece common: pages read in order
    assert pages(Curation(built, None, Glossary.load())) == indexed
    monkeypatch.undo()
    with built.sessions.begin() as session:
        for name in session.scalars(text("SELECT name FROM sqlite_master WHERE type = 'trigger'")).all():
            session.execute(text(f"DROP TRIGGER {name}"))
        session.execute(text(f"DROP TABLE {TEXT_INDEX}"))
    statements.clear()
    event.listen(built.engine, "before_cursor_execute", keep)
    try:
        scanned = pages(Curation(built, None, Glossary.load()))
    finally:
        event.remove(built.engine, "before_cursor_execute", keep)
    assert not any(TEXT_INDEX in statement for statement in statements)
    assert scanned == indexed and sum(total for total, _ids in indexed) > 100
