"""Records no import may stop on: lone surrogates, bad ids, oversized fields, deep JSON (issue 13).

Each becomes that record's error with its reason, on the real catalogue and index, from a file,
a JSON-lines dump and the push API alike; the rest of the batch is stored.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from analyzers.detect import LanguageDetector
from ingest.pipeline import Pipeline
from ingest.sources import SourceError
from ingest.sources.files import count_items, read_path
from record_catalogue.keys import KeyStore
from record_catalogue.record import Record
from record_catalogue.settings import Settings, get_settings
from record_catalogue.store import Catalogue
from search_api.app import create_app
from search_index.tantivy_backend import TantivyBackend
from tests.conftest import SAMPLES
from tests.ingest.hostile import deep_json

GOOD = json.loads((SAMPLES / "shared" / "abs-permit.json").read_text())


def record(identifier: str, **fields: Any) -> dict[str, Any]:
    return {"header": {"identifier": identifier, "schema": "absPermit"}, "title": {"en": "Permit"}, **fields}


def pipeline(settings: Settings, catalogue: Catalogue) -> Pipeline:
    return Pipeline(catalogue, TantivyBackend(settings.index_dir), LanguageDetector(), settings.languages)


def ingest_lines(settings: Settings, catalogue: Catalogue, path: Path, lines: list[str]) -> dict[str, str]:
    """Ingest a JSON-lines dump of ``lines``; the reason of each error by position."""
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    report = pipeline(settings, catalogue).run(read_path(path), run_id="r1")
    assert report.read == len(lines)
    return {e.position: e.reason for e in catalogue.errors(run_id="r1")}


# -- lone surrogates ---------------------------------------------------------------------------


def test_a_lone_surrogate_costs_its_record_only(settings: Settings, catalogue: Catalogue, tmp_path: Path) -> None:
    # "\ud800" escaped in JSON decodes to a lone surrogate, which UTF-8 cannot encode: hashing
    # the record (content_hash) crashed the whole import, and --resume crashed again there.
    lines = [
        json.dumps(record("SUR-1", description={"en": "Before \ud800 after"})),
        json.dumps(record("SUR\udc00-2")),
        json.dumps(GOOD),
    ]
    assert "\\ud800" in lines[0]
    reasons = ingest_lines(settings, catalogue, tmp_path / "dump.jsonl", lines)
    assert reasons["line 1"] == "summary.en holds a lone surrogate (invalid Unicode) at character 8"
    assert reasons["line 2"] == "header.identifier: the record id holds a lone surrogate U+DC00 at character 4"
    assert catalogue.count() == 1 and catalogue.get(GOOD["header"]["identifier"]) is not None
    [bad_id] = [e.record_id for e in catalogue.errors(run_id="r1") if e.position == "line 2"]
    assert bad_id == "SUR\\udc00-2"  # the report itself is storable


def test_a_lone_surrogate_in_a_json_file_and_its_name(tmp_path: Path) -> None:
    path = tmp_path / "one.json"
    path.write_text(json.dumps(record("SUR-3", title={"en": "\udfff"})))
    [item] = list(read_path(path))
    assert isinstance(item, SourceError) and "title.en holds a lone surrogate" in item.reason
    # A file name that is not UTF-8 is only where the record came from: it is kept, escaped.
    odd = tmp_path / "caf\udce9.txt"
    odd.write_text("Marine protected areas\n\nThe text.")
    [found] = list(read_path(odd))
    assert isinstance(found, Record) and found.source.endswith("caf\\udce9.txt")
    assert found.content_hash()


def test_push_with_a_lone_surrogate_answers_a_per_item_error(settings: Settings) -> None:
    catalogue = Catalogue(settings.catalogue_dsn)
    key = KeyStore(catalogue).create("Peru national CHM", "ingest")
    catalogue.close()
    body = "[" + json.dumps(record("PUSH-1", title={"en": "A \ud800"})) + "," + json.dumps(GOOD) + "]"
    with TestClient(create_app(settings)) as client:
        response = client.post(
            "/api/v1/records", content=body, headers={"X-API-Key": key, "Content-Type": "application/json"}
        )
    assert response.status_code == 200, response.text
    result = response.json()
    assert result["created"] == 1
    assert [(e["position"], e["record_id"]) for e in result["errors"]] == [("item 0", "PUSH-1")]
    assert "lone surrogate" in result["errors"][0]["reason"]


# -- record ids --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("identifier", "reason"),
    [
        ("../../etc/passwd", "the record id holds a path separator '/' at character 3"),
        ("a/b", "path separator '/'"),
        ("a\\b", "path separator '\\\\'"),
        ("..", "the record id '..' is a path component"),
        ("evil\u202egpj.exe", "bidirectional control U+202E at character 5"),
        ("bell\x07", "non-printable character U+0007 at character 5"),
        ("line\nbreak", "non-printable character U+000A"),
        ("zero\u200bwidth", "non-printable character U+200B"),
        ("x" * 201, "the record id has 201 characters (limit 200)"),
    ],
)
def test_bad_record_ids_are_refused_with_the_reason(tmp_path: Path, identifier: str, reason: str) -> None:
    path = tmp_path / "ids.jsonl"
    path.write_text(json.dumps(record(identifier)) + "\n" + json.dumps(record("fine-id")) + "\n")
    bad, good = list(read_path(path))
    assert isinstance(bad, SourceError) and reason in bad.reason and bad.reason.startswith("header.identifier: ")
    assert isinstance(good, Record) and good.id == "fine-id"


def test_record_id_problems_are_found_character_by_character_on_random_ids() -> None:
    """``record_id_problem`` lets a printable id without separators through without its character
    loop: the reason must be the loop's for any id (separators, bidi controls, lone surrogates,
    format and control characters, unassigned code points, before or after each other)."""
    import random

    from record_catalogue.record import _BIDI_CONTROLS, _character_problem, record_id_problem

    alphabet = [*"aZ9-_.:é漢 ", "/", "\\", *sorted(_BIDI_CONTROLS), "\ud800", "\udfff", "\x00", "\x07", "\n", "\u200b"]
    alphabet += ["\u0378", "\U000e0001", "\xa0", "\u3000", "\x85"]  # unassigned, a tag, separators
    rng = random.Random(15)
    for _ in range(3000):
        value = "".join(rng.choice(alphabet) for _ in range(rng.randint(1, 8)))
        if value not in (".", ".."):
            assert record_id_problem(value) == _character_problem(value), repr(value)


def test_nfc_and_nfd_spellings_are_one_record(settings: Settings, catalogue: Catalogue, tmp_path: Path) -> None:
    composed, decomposed = "caf\u00e9-1", "cafe\u0301-1"
    assert composed != decomposed
    path = tmp_path / "cafe.jsonl"
    path.write_text(
        json.dumps(record(composed, description={"en": "First version"}))
        + "\n"
        + json.dumps(record(decomposed, description={"en": "Second version"}))
        + "\n"
    )
    report = pipeline(settings, catalogue).run(read_path(path), run_id="r1")
    assert (report.created, report.updated, report.errors) == (1, 1, 0)
    assert catalogue.count() == 1
    row = catalogue.get(composed)
    assert row is not None and any("Second version" in t.text for t in row.texts)


def test_records_built_in_code_are_checked_too() -> None:
    with pytest.raises(ValueError, match="path separator"):
        Record(id="x/y", realm="CHM", schema_name="resource", title={"en": "t"})
    assert Record(id="cafe\u0301", realm="CHM", schema_name="resource", title={"en": "t"}).id == "caf\u00e9"


# -- size limits from settings -------------------------------------------------------------------


@pytest.fixture
def small_limits(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("CHM_MAX_FIELD_CHARS", "100")
    monkeypatch.setenv("CHM_MAX_RECORD_CHARS", "250")
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


@pytest.mark.usefixtures("small_limits")
def test_field_and_record_limits_come_from_settings(tmp_path: Path) -> None:
    lines = [
        record("FIELD", description={"en": "x" * 101}),
        record("TOTAL", description={"en": "x" * 100}, purpose={"en": "y" * 100}, other={"fr": "z" * 60}),
        record("FITS", description={"en": "x" * 100}),
    ]
    path = tmp_path / "sizes.jsonl"
    path.write_text("\n".join(json.dumps(line) for line in lines))
    field, total, fits = list(read_path(path))
    assert isinstance(field, SourceError) and field.record_id == "FIELD"
    assert field.reason == "field description.en holds 101 characters (limit 100, CHM_MAX_FIELD_CHARS)"
    assert isinstance(total, SourceError)
    assert total.reason == "the record's text fields hold 266 characters in all (limit 250, CHM_MAX_RECORD_CHARS)"
    assert isinstance(fits, Record)


@pytest.mark.usefixtures("small_limits")
def test_a_document_is_bounded_by_the_record_limit(tmp_path: Path) -> None:
    path = tmp_path / "long.txt"
    path.write_text("Title\n\n" + "word " * 60)
    [item] = list(read_path(path))
    assert isinstance(item, SourceError) and "(limit 250, CHM_MAX_RECORD_CHARS)" in item.reason
    (tmp_path / "huge.txt").write_text("x" * 1001)
    [big] = list(read_path(tmp_path / "huge.txt"))
    assert isinstance(big, SourceError) and "file has 1,001 bytes" in big.reason


# -- JSON nested too deeply ----------------------------------------------------------------------


def test_deeply_nested_json_file_is_an_error_and_the_rest_goes_on(
    settings: Settings, catalogue: Catalogue, tmp_path: Path
) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    deep_json(folder / "a-deep.json")
    (folder / "b-deep-array.json").write_text("[" * 100_000 + "]" * 100_000)
    (folder / "c-deep.jsonl").write_text(
        (folder / "a-deep.json").read_text() + "\n" + json.dumps(GOOD) + "\n", encoding="utf-8"
    )
    (folder / "d-huge-number.json").write_text('{"n": ' + "9" * 5000 + "}")
    (folder / "e-good.json").write_text(json.dumps(record("OK-1")))
    assert count_items(folder) == 6
    report = pipeline(settings, catalogue).run(read_path(folder, defer=True), run_id="r1")
    reasons = {(Path(e.source).name, e.position): e.reason for e in catalogue.errors(run_id="r1")}
    nested = "invalid JSON: nested too deeply"
    assert reasons[("a-deep.json", "")].startswith(nested)
    assert reasons[("b-deep-array.json", "")].startswith(nested)
    assert reasons[("c-deep.jsonl", "line 1")].startswith(nested)
    assert reasons[("d-huge-number.json", "")].startswith("invalid JSON: Exceeds the limit")
    assert (report.read, report.created, report.errors) == (6, 2, 4)


# -- what is not a file ----------------------------------------------------------------------------


def test_a_pipe_or_a_broken_link_is_an_error_not_a_hang(tmp_path: Path) -> None:
    import os

    folder = tmp_path / "in"
    folder.mkdir()
    os.mkfifo(folder / "a-pipe.jsonl")  # reading it would wait for a writer forever
    (folder / "b-gone.json").symlink_to(tmp_path / "nowhere.json")
    (folder / "c-good.json").write_text(json.dumps(record("OK-2")))
    assert count_items(folder) == 3
    pipe, gone, good = list(read_path(folder))
    assert isinstance(pipe, SourceError) and pipe.reason == "not a regular file (a pipe, socket or device); not read"
    assert isinstance(gone, SourceError) and gone.reason == "a broken symbolic link; not read"
    assert isinstance(good, Record)
    [direct] = list(read_path(folder / "a-pipe.jsonl"))
    assert isinstance(direct, SourceError) and "not a regular file" in direct.reason
