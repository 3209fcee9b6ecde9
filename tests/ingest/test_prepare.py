"""Preparing a batch: one tagging call for the batch, and a failing record costs only itself."""

from __future__ import annotations

import json
from collections.abc import Sequence

from analyzers.detect import LanguageDetector
from ingest.prepare import prepare_records
from ingest.tagging import RecordTagger
from record_catalogue.languages import UN_LANGUAGES
from record_catalogue.record import Record
from record_catalogue.store import EntityMention


def record(record_id: str, title: str, lang: str = "en") -> Record:
    return Record(id=record_id, realm="CHM", schema_name="nationalTarget", title={lang: title})


RECORDS = [
    record("A", "Protected areas of Brazil and Aichi Target 11"),
    record("B", "Cooperation with Mexico on forests"),
    record("C", "12345", lang="sw"),  # no text in a known language
]


def test_batch_tagging_equals_record_by_record() -> None:
    detector, tagger = LanguageDetector(), RecordTagger(UN_LANGUAGES)
    together = prepare_records(RECORDS, detector, tagger, UN_LANGUAGES)
    alone = [prepare_records([r], detector, tagger, UN_LANGUAGES)[0] for r in RECORDS]
    assert [(u.entities if u else None, p) for u, p in together] == [(u.entities if u else None, p) for u, p in alone]
    first = together[0][0]
    assert first is not None and {(e.type, e.entity_id) for e in first.entities or []} >= {
        ("country", "br"),
        ("target", "aichi-11"),
    }
    assert together[2][0] is None and together[2][1][-1] == "record has no text in a known language; not stored"


class BreaksOnMexico:
    """A tagger that fails on one record (standing in for an analyser bug)."""

    def __init__(self) -> None:
        self.real = RecordTagger(UN_LANGUAGES)

    def mentions_many(
        self, items: Sequence[tuple[Record, Sequence[tuple[str, str, str]]]]
    ) -> list[list[EntityMention]]:
        if any("Mexico" in text for _record, texts in items for _f, _l, text in texts):
            raise RuntimeError("tokenizer exploded")
        return self.real.mentions_many(items)


def test_a_record_the_analysers_fail_on_costs_only_itself() -> None:
    prepared = prepare_records(RECORDS, LanguageDetector(), BreaksOnMexico(), UN_LANGUAGES)
    assert prepared[0][0] is not None
    assert prepared[1] == (None, ["could not be analysed (RuntimeError: tokenizer exploded); not stored"])


def test_unparsed_lines_are_parsed_screened_and_prepared() -> None:
    """Dump lines reach preparation unparsed: bad ones become errors, unchanged ones are skipped."""
    from ingest.prepare import prepare_batch
    from ingest.sources import SourceItem, Unparsed
    from record_catalogue.store import RowMaker

    def line(record_id: str, title: str) -> str:
        doc = {
            "header": {"identifier": record_id, "schema": "nationalTarget", "languages": ["en"]},
            "title": {"en": title},
        }
        return json.dumps(doc)

    known = {"OLD": record("OLD", "x").content_hash()}
    same = Record.model_validate({**record("OLD", "x").model_dump()})
    items: list[SourceItem] = [
        Unparsed("dump.jsonl", "line 1", line("NEW", "Forests of Brazil")),
        Unparsed("dump.jsonl", "line 2", '{"header": '),
        Unparsed("dump.jsonl", "line 3", line("", "No identifier")),
        same,
    ]
    asked: list[list[str]] = []

    def known_hashes(ids: list[str]) -> dict[str, str]:
        asked.append(ids)
        return {i: known[i] for i in ids if i in known}

    rows = RowMaker.for_url("sqlite:///catalogue.sqlite3")
    result = prepare_batch(items, known_hashes, LanguageDetector(), RecordTagger(UN_LANGUAGES), UN_LANGUAGES, rows)
    assert asked == [["NEW", "OLD"]]
    assert result.unchanged == [(3, "OLD")]
    assert result.records == []  # a record new to the catalogue goes as rows and a document
    [new] = result.new
    assert (new.position, new.source, new.source_position, new.rows.id) == (0, "dump.jsonl", "line 1", "NEW")
    assert ("country", "br") in {(row[3], row[4]) for row in new.rows.entity_rows}
    assert "country:br" in new.document["entities"]
    assert [e.position for e in result.errors] == ["line 2", "line 3"]
    assert result.errors[0].reason.startswith("invalid JSON")
    assert "identifier" in result.errors[1].reason
