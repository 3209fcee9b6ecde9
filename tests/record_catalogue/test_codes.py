"""The one vocabulary (record_catalogue.codes): each member is the string stored and sent before
the enums existed, so neither the catalogue's rows, the index documents nor the API's JSON change."""

from __future__ import annotations

import json

import orjson
import pytest
from pydantic import BaseModel
from sqlalchemy import text

from record_catalogue.codes import (
    EditStatus,
    LanguageCode,
    MemoryExport,
    Provenance,
    QueueStatus,
    Realm,
    RunStatus,
    SegmentKind,
    SourceKind,
    TextStatus,
    TranslatedKind,
    TranslationStatus,
)
from record_catalogue.harvest_state import HarvestState
from record_catalogue.languages import UN_LANGUAGES
from record_catalogue.models import FieldText, RecordRow
from record_catalogue.record import REALMS, Record
from record_catalogue.store import Catalogue, TextVersion
from search_index.documents import build_document

# The strings as they were written in the code, the catalogue and the API before the enums.
BEFORE = {
    LanguageCode: ["ar", "en", "es", "fr", "ru", "zh"],
    Realm: ["CHM", "ABS", "BCH"],
    Provenance: ["original", "machine", "reviewed"],
    TextStatus: ["current", "stale", "failed", "rejected", "pending"],
    TranslationStatus: ["original", "machine", "reviewed", "pending"],
    SegmentKind: ["reviewed", "machine", "rejected", "failed"],
    QueueStatus: ["machine", "reviewed", "rejected", "stale", "failed"],
    EditStatus: ["reviewed", "rejected"],
    MemoryExport: ["current", "reviewed", "machine", "all"],
    RunStatus: ["running", "finished", "interrupted", "failed"],
    TranslatedKind: ["untranslated", "unchanged", "reviewed", "mixed", "machine"],
    SourceKind: ["cbd", "oai", "feed"],
}


def test_every_member_is_the_string_it_replaced() -> None:
    for codes, strings in BEFORE.items():
        assert [member.value for member in codes] == strings
        for member, string in zip(codes, strings, strict=True):
            assert member == string and str(member) == string and f"{member}" == string
            assert json.dumps(member) == json.dumps(string) and orjson.dumps(member) == orjson.dumps(string)
            assert codes(string) is member
    assert UN_LANGUAGES == ("ar", "en", "es", "fr", "ru", "zh") and REALMS == ("CHM", "ABS", "BCH")
    assert all(type(code) is str for code in (*UN_LANGUAGES, *REALMS))


def test_api_models_send_the_same_json() -> None:
    class Out(BaseModel):
        realm: Realm
        translation_status: TranslationStatus

    out = Out(realm=Realm.ABS, translation_status=TranslationStatus.MACHINE)
    assert out.model_dump_json() == '{"realm":"ABS","translation_status":"machine"}'
    assert json.dumps(out.model_dump()) == '{"realm": "ABS", "translation_status": "machine"}'


def test_the_catalogue_stores_the_strings_and_reads_back_members(catalogue: Catalogue) -> None:
    record = Record.model_validate(
        {"id": "CODES-1", "realm": "ABS", "schema_name": "absPermit", "title": {"en": "Permit"}, "source": "t"}
    )
    assert record.realm is Realm.ABS
    catalogue.upsert(record, [TextVersion("title", "en", "Permit", "en", 0.9)], "en")
    with catalogue.engine.connect() as connection:
        stored = connection.execute(
            text("SELECT r.realm, t.provenance, t.status FROM records r JOIN field_texts t ON t.record_id = r.id")
        ).one()
    assert tuple(stored) == ("ABS", "original", "current") and all(type(v) is str for v in stored)
    with catalogue.sessions() as session:
        row = session.get(RecordRow, "CODES-1")
        assert row is not None and row.realm is Realm.ABS
        [title] = session.query(FieldText).filter_by(record_id="CODES-1").all()
        assert title.provenance is Provenance.ORIGINAL and title.status is TextStatus.CURRENT
        # Queries compare with members or strings alike.
        assert session.query(FieldText).filter(FieldText.provenance == "original").count() == 1
        assert session.query(FieldText).filter(FieldText.status == TextStatus.CURRENT).count() == 1
        document = build_document(row)
    assert orjson.loads(orjson.dumps(document)) == json.loads(json.dumps(document))
    assert document["status"] == {
        "ar": "pending",
        "en": "original",
        "es": "pending",
        "fr": "pending",
        "ru": "pending",
        "zh": "pending",
    }
    assert document["realm"] == "ABS" and b'"realm":"ABS"' in orjson.dumps(document)


def test_an_ingest_runs_status_is_stored_as_its_string_and_read_back_as_a_member(catalogue: Catalogue) -> None:
    catalogue.start_run("run-codes", ["x.json"], None)
    unfinished = catalogue.unfinished_run()
    assert unfinished is not None and unfinished.status is RunStatus.RUNNING
    catalogue.finish_run("run-codes", RunStatus.INTERRUPTED, {})
    with catalogue.engine.connect() as connection:
        assert connection.execute(text("SELECT status FROM ingest_runs")).scalar_one() == "interrupted"
    with pytest.raises(Exception, match="'stopped' is not a RunStatus"):
        catalogue.finish_run("run-codes", "stopped", {})  # type: ignore[arg-type]  # outside the vocabulary
    catalogue.finish_run("run-codes", RunStatus.FINISHED, {})
    assert catalogue.unfinished_run() is None


def test_a_harvest_sources_kind_and_last_status_are_stored_as_strings_and_read_back_as_members(
    catalogue: Catalogue,
) -> None:
    state = HarvestState(catalogue)
    added = state.add_source("codes-feed", "feed", "https://example.org/feed", {})
    assert added.kind is SourceKind.FEED and added.last_status is None
    state.run_started("codes-feed", "run-1")
    state.run_finished("codes-feed", RunStatus.FINISHED, {"records": 0})
    with catalogue.engine.connect() as connection:
        stored = connection.execute(text("SELECT kind, last_status FROM harvest_sources")).one()
    assert tuple(stored) == ("feed", "finished") and all(type(v) is str for v in stored)
    source = state.source("codes-feed")
    assert source is not None and source.kind is SourceKind.FEED and source.last_status is RunStatus.FINISHED
    with pytest.raises(Exception, match="'stopped' is not a RunStatus"):
        state.run_finished("codes-feed", "stopped", {})  # type: ignore[arg-type]  # outside the vocabulary
