"""The ingest pipeline end to end on the real catalogue and the real embedded index."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from analyzers.detect import LanguageDetector
from ingest.pipeline import Pipeline
from ingest.sources.files import read_path
from record_catalogue.settings import Settings
from record_catalogue.store import Catalogue
from search_index.base import SearchQuery
from search_index.documents import build_document
from search_index.tantivy_backend import TantivyBackend
from tests.conftest import SAMPLES


def pipeline(
    settings: Settings, catalogue: Catalogue, index_dir: Path | None = None, tagged: bool = False, **options: Any
) -> Pipeline:
    """The pipeline on ``catalogue`` and an embedded index (the settings' own unless ``index_dir``);
    ``tagged``: with the entity tagger, as the ingest command runs it."""
    from ingest.tagging import RecordTagger

    tagger = RecordTagger(settings.languages) if tagged else None
    backend = TantivyBackend(index_dir or settings.index_dir)
    return Pipeline(catalogue, backend, LanguageDetector(), settings.languages, tagger=tagger, **options)


def test_samples_are_stored_indexed_and_found(settings: Settings, catalogue: Catalogue) -> None:
    pipe = pipeline(settings, catalogue)
    report = pipe.run(read_path(SAMPLES / "shared"))
    assert (report.read, report.created, report.errors, report.indexed) == (3, 3, 0, 3)
    hits = pipe.backend.search(SearchQuery(text="clearing-house mechanism", lang="en")).hits
    assert "UNEP-CBD-COP-12-11" in [hit.id for hit in hits]
    doc = pipe.backend.get("UNEP-CBD-COP-12-11")
    assert doc is not None and doc["original_language"] == "en" and doc["status"]["fr"] == "pending"
    assert "UNEP/CBD/COP/12/11" in doc["names"]
    # a plain-text file's language was detected, not declared
    row = catalogue.get("UNEP-CBD-COP-12-11")
    assert row is not None and {t.language for t in row.texts} == {"en"}
    assert all(t.declared_language is None and (t.detection_confidence or 0) > 0.9 for t in row.texts)


def test_reingesting_unchanged_input_changes_nothing(settings: Settings, catalogue: Catalogue) -> None:
    pipe = pipeline(settings, catalogue)
    pipe.run(read_path(SAMPLES / "records"))
    again = pipe.run(read_path(SAMPLES / "records"))
    assert again.created == again.updated == again.indexed == 0
    assert again.unchanged == 16
    assert len(catalogue.audit_trail("25E265FB-CAB0-4291-8828-6129E71168E7")) == 1


def test_changed_record_is_updated_and_reindexed(settings: Settings, catalogue: Catalogue, tmp_path: Path) -> None:
    pipe = pipeline(settings, catalogue)
    doc = json.loads((SAMPLES / "shared" / "national-target.json").read_text())
    path = tmp_path / "target.json"
    path.write_text(json.dumps(doc))
    pipe.run(read_path(path))
    doc["title"]["en"] = "Expanding marine protected areas"
    path.write_text(json.dumps(doc))
    report = pipe.run(read_path(path))
    assert report.updated == 1 and report.indexed == 1
    assert [h.id for h in pipe.backend.search(SearchQuery(text="marine area", lang="en")).hits] == [
        doc["header"]["identifier"]
    ]
    assert pipe.backend.count() == 1


def stored_target(pipe: Pipeline, tmp_path: Path) -> tuple[dict[str, Any], dict[str, Any], Path]:
    """The sample national target ingested; it, a changed copy, and a file to write input to."""
    doc = json.loads((SAMPLES / "shared" / "national-target.json").read_text())
    path = tmp_path / "target.json"
    path.write_text(json.dumps(doc))
    pipe.run(read_path(path))
    changed = json.loads(json.dumps(doc))
    changed["title"]["en"] = "Expanding marine protected areas"
    return doc, changed, path


def test_a_record_prepared_as_new_but_stored_meanwhile_becomes_an_update(
    settings: Settings, catalogue: Catalogue, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Workers prepare a batch while the one before it is stored: the same id in both looks new
    to the later one. It must be stored as an update, in input order, never lost or doubled."""
    pipe = pipeline(settings, catalogue)
    doc, changed, path = stored_target(pipe, tmp_path)
    record_id = doc["header"]["identifier"]
    path.write_text(json.dumps([doc, changed]))  # the stored version again, then a change
    stale_view: dict[str, str] = {}  # what a worker saw before the first run's batch was stored
    monkeypatch.setattr(catalogue, "content_hashes", lambda ids: stale_view)
    pipe.batch_size = 1  # one batch each: both look new, both are found stored when written
    report = pipe.run(read_path(path), run_id="stale")
    assert (report.created, report.updated, report.unchanged, report.errors) == (0, 1, 1, 0), report
    row = catalogue.get(record_id)
    assert row is not None and next(t.text for t in row.texts if t.field == "title" and t.language == "en") == (
        "Expanding marine protected areas"
    )
    assert [a.action for a in catalogue.audit_trail(record_id)] == ["record.created", "record.updated"]
    assert pipe.backend.count() == 1
    assert [h.id for h in pipe.backend.search(SearchQuery(text="marine area", lang="en")).hits] == [record_id]

    path.write_text(json.dumps(changed))  # alone in its batch, unchanged: found unchanged on the second try
    again = pipe.run(read_path(path), run_id="stale-again")
    assert (again.created, again.updated, again.unchanged, again.errors) == (0, 0, 1, 0)


def test_record_by_record_after_a_failed_batch_keeps_taken_records(
    settings: Settings, catalogue: Catalogue, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The batch transaction fails: record by record, a record found stored meanwhile is still
    prepared again as an update, the others are created."""
    from sqlalchemy.exc import OperationalError

    pipe = pipeline(settings, catalogue)
    doc, changed, path = stored_target(pipe, tmp_path)
    other = json.loads(json.dumps(doc))
    other["header"]["identifier"] = "OTHER-1"
    path.write_text(json.dumps([changed, other]))
    monkeypatch.setattr(catalogue, "content_hashes", lambda ids: {})  # both look new
    real_store = catalogue._store_batch  # store_batch itself turns the database's error into ours

    def store_one_at_a_time(new, items, actor="ingest"):  # type: ignore[no-untyped-def]
        if len(new) + len(items) > 1:
            raise OperationalError("INSERT", {}, Exception("database is locked"))
        return real_store(new, items, actor)

    monkeypatch.setattr(catalogue, "_store_batch", store_one_at_a_time)
    report = pipe.run(read_path(path))
    assert (report.created, report.updated, report.unchanged, report.errors) == (1, 1, 0, 0), report
    row = catalogue.get(doc["header"]["identifier"])
    assert row is not None and "Expanding marine protected areas" in {t.text for t in row.texts}
    assert catalogue.get("OTHER-1") is not None and pipe.backend.count() == 2


@pytest.mark.parametrize("batch_size", [1, 10], ids=["across-batches", "in-one-batch"])
def test_the_last_occurrence_of_a_record_wins(
    settings: Settings, catalogue: Catalogue, tmp_path: Path, batch_size: int
) -> None:
    """A change and then a revert to the stored version, in one batch or in two (the second
    prepared before the first is stored, as workers do): the revert must not pass for unchanged."""
    pipe = pipeline(settings, catalogue)
    doc, changed, path = stored_target(pipe, tmp_path)
    record_id = doc["header"]["identifier"]
    path.write_text(json.dumps([changed, doc]))
    pipe.batch_size = batch_size
    report = pipe.run(read_path(path))
    assert (report.created, report.updated, report.unchanged, report.errors) == (0, 2, 0, 0), report
    row = catalogue.get(record_id)
    assert (
        row is not None
        and next(t.text for t in row.texts if t.field == "title" and t.language == "en") == (doc["title"]["en"])
    )
    assert [a.action for a in catalogue.audit_trail(record_id)] == ["record.created", *["record.updated"] * 2]
    hits = pipe.backend.search(SearchQuery(text="marine area", lang="en")).hits
    assert hits == [] and pipe.backend.count() == 1


def test_bad_input_is_reported_and_the_batch_goes_on(settings: Settings, catalogue: Catalogue, tmp_path: Path) -> None:
    good = json.loads((SAMPLES / "shared" / "abs-permit.json").read_text())
    lines = [
        json.dumps(good),
        "{broken",
        json.dumps({"header": {"identifier": "Z", "schema": "nope"}, "title": {"en": "x"}}),
    ]
    (tmp_path / "dump.jsonl").write_text("\n".join(lines))
    pipe = pipeline(settings, catalogue)
    report = pipe.run(read_path(tmp_path / "dump.jsonl"), run_id="run-1")
    assert (report.read, report.created, report.errors) == (3, 1, 2)
    reasons = {(e.position, e.record_id): e.reason for e in catalogue.errors(run_id="run-1")}
    assert reasons[("line 2", None)].startswith("invalid JSON")
    assert "unknown schema 'nope'" in reasons[("line 3", "Z")]
    assert catalogue.count() == 1 and pipe.backend.count() == 1


def test_declared_language_is_checked(settings: Settings, catalogue: Catalogue, tmp_path: Path) -> None:
    record = {
        "header": {"identifier": "MIX-1", "schema": "nationalTarget", "languages": ["en"]},
        "government": {"identifier": "fr"},
        "title": {"en": "Aires marines protégées"},
        "description": {"en": "D'ici 2030, la France protégera trente pour cent de ses espaces terrestres et marins."},
    }
    (tmp_path / "mix.json").write_text(json.dumps(record))
    pipe = pipeline(settings, catalogue)
    pipe.run(read_path(tmp_path / "mix.json"))
    row = catalogue.get("MIX-1")
    assert row is not None
    summary = next(t for t in row.texts if t.field == "summary")
    assert (summary.language, summary.declared_language) == ("fr", "en")


def test_rebuild_from_catalogue(settings: Settings, catalogue: Catalogue) -> None:
    pipe = pipeline(settings, catalogue)
    pipe.run(read_path(SAMPLES / "records"))
    before = pipe.backend.current_version()
    version, result = pipe.rebuild_index()
    assert version != before and result.indexed == 16 and result.errors == []
    assert pipe.backend.count() == 16
    assert pipe.backend.search(SearchQuery(text="生物多样性", lang="zh")).total >= 1


def test_a_50_mb_field_is_refused_and_the_rest_goes_on(
    settings: Settings, catalogue: Catalogue, tmp_path: Path
) -> None:
    good = json.loads((SAMPLES / "shared" / "abs-permit.json").read_text())
    huge = {
        "header": {"identifier": "HUGE", "schema": "absPermit"},
        "title": {"en": "Big"},
        "relevantInformation": {"en": "biodiversity " * 4_200_000},
    }
    (tmp_path / "dump.jsonl").write_text(json.dumps(huge) + "\n" + json.dumps(good) + "\n")
    pipe = pipeline(settings, catalogue)
    report = pipe.run(read_path(tmp_path / "dump.jsonl"), run_id="big")
    assert (report.created, report.errors) == (1, 1)
    [error] = catalogue.errors(run_id="big")
    assert error.record_id == "HUGE"
    assert "holds 54,600,000 characters (limit 1,000,000, CHM_MAX_FIELD_CHARS)" in error.reason
    assert catalogue.get("HUGE") is None and pipe.backend.get("HUGE") is None


def test_entities_are_stored_with_spans_and_indexed(settings: Settings, catalogue: Catalogue) -> None:
    pipe = pipeline(settings, catalogue, tagged=True)
    pipe.run(read_path(SAMPLES / "records" / "absPermit-pe-castana.json"))
    [row] = list(catalogue.iter_records())
    keys = {f"{e.type}:{e.entity_id}" for e in row.entities}
    assert {"country:pe", "country:br", "treaty:nagoya", "species:bertholletia-excelsa"} <= keys
    mention = next(e for e in row.entities if e.type == "species")
    source = next(t.text for t in row.texts if t.field == mention.field and t.language == mention.language)
    assert source[mention.start : mention.end] == mention.text
    # Indexed as facets: every entity but the thesaurus references no thesaurus has labelled yet
    # (the sample's keyword GUIDs; no harvest here), which stay in the catalogue for when it does.
    unlabelled = {f"keyword:{e.entity_id}" for e in row.entities if e.type == "keyword" and not e.language}
    unlabelled -= {f"keyword:{e.entity_id}" for e in row.entities if e.type == "keyword" and e.language}
    assert unlabelled  # the sample does refer to thesaurus terms
    assert set(pipe.backend.get(row.id)["entities"]) == keys - unlabelled  # type: ignore[index]
    hits = pipe.backend.search(SearchQuery(filters={"entity": ["species:bertholletia-excelsa"]})).hits
    assert [h.id for h in hits] == [row.id]


def test_worker_processes_give_the_same_result(settings: Settings, catalogue: Catalogue, tmp_path: Path) -> None:
    from devtools.corpus import write_jsonl

    dump = write_jsonl(tmp_path / "dump.jsonl", 120)
    parallel = pipeline(settings, catalogue, tagged=True, batch_size=25)
    report = parallel.run(read_path(dump, defer=True), workers=2)  # lines parsed in the workers
    assert (report.created, report.errors, report.indexed) == (120, 0, 120)
    rows = {row.id: row for row in catalogue.iter_records()}
    again = parallel.run(read_path(dump, defer=True), workers=2)  # workers screen by content hash
    assert (again.unchanged, again.created, again.updated, again.indexed) == (120, 0, 0, 0)

    other = Catalogue(f"sqlite:///{tmp_path / 'serial.sqlite3'}")
    serial = pipeline(settings, other, index_dir=tmp_path / "serial-index", tagged=True, batch_size=25)
    serial.run(read_path(dump))
    backend = parallel.backend
    for row in catalogue.iter_records():  # workers built the documents: what a rebuild would index
        assert backend.get(row.id) == {**build_document(row), "updated_at": backend.get(row.id)["updated_at"]}  # type: ignore[index]
    for row in other.iter_records():
        twin = rows[row.id]
        assert {(t.field, t.language, t.text) for t in row.texts} == {(t.field, t.language, t.text) for t in twin.texts}
        assert {(e.type, e.entity_id, e.start) for e in row.entities} == {
            (e.type, e.entity_id, e.start) for e in twin.entities
        }
    other.close()


def test_index_commits_every_n_records_and_flags_only_committed_ones(
    settings: Settings, catalogue: Catalogue, tmp_path: Path
) -> None:
    """Between commits the records are in the catalogue, flagged; a crash there loses nothing."""
    from devtools.corpus import write_jsonl

    dump = write_jsonl(tmp_path / "dump.jsonl", 100)
    backend = TantivyBackend(settings.index_dir)
    commits: list[int] = []
    real_refresh = backend.refresh

    def counting_refresh(version: str | None = None) -> None:
        real_refresh(version)
        commits.append(backend.count())

    backend.refresh = counting_refresh  # type: ignore[method-assign]
    pipe = Pipeline(catalogue, backend, LanguageDetector(), settings.languages, batch_size=10, commit_every=30)
    report = pipe.run(read_path(dump))
    assert (report.created, report.indexed, report.errors) == (100, 100, 0)
    assert commits == [30, 60, 90, 100]  # every 30 records (whole batches), then the rest at the end
    assert catalogue.ids_needing_index() == []

    class Crash(Exception):
        pass

    def crashing(items: list[object]) -> object:
        yield from items
        raise Crash

    changed = [json.loads(line) for line in dump.read_text().splitlines()[:25]]
    for doc in changed:
        doc["title"] = {"en": "Crash test " + doc["header"]["identifier"]}
    path = tmp_path / "changed.json"
    path.write_text(json.dumps(changed))
    with pytest.raises(Crash):
        pipe.run(crashing(list(read_path(path))))  # type: ignore[arg-type]
    # the first batch stored (the catalogue commits it) but never committed to the index; the
    # second prepared, not stored yet; the last five were still being read
    assert len(catalogue.ids_needing_index()) == 10
    backend.close()
    fresh = pipeline(settings, catalogue)
    assert fresh.index_pending() == 10
    assert catalogue.ids_needing_index() == []
    hits = fresh.backend.search(SearchQuery(text="crash test", lang="en", size=50)).hits
    assert len(hits) == 10 and fresh.backend.count() == 100
