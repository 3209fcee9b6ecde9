"""The backlog's status (per pair, rate, ETA) from a real catalogue: the function, the CLI and health."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from devtools.commands import clean_environment
from record_catalogue.memory_store import TranslationMemory
from record_catalogue.record import Record
from record_catalogue.settings import Settings, load_settings
from record_catalogue.store import Catalogue, TextVersion
from record_catalogue.work_models import TranslationWork
from record_catalogue.work_queue import Backlog
from search_api.app import create_app
from search_index.factory import get_backend
from tests.commands import CLI
from tests.conftest import ROOT
from translate.argos_engine import ArgosEngine
from translate.backlog import backlog_status
from translate.glossary import Glossary
from translate.translator import Translator
from translate.worker import TranslateWorker


def add(catalogue: Catalogue, record_id: str, language: str, **fields: str) -> None:
    record = Record.model_validate(
        {"id": record_id, "realm": "CHM", "schema_name": "resource", **{k: {language: v} for k, v in fields.items()}}
    )
    texts = [TextVersion(name, language, value) for name, value in fields.items()]
    catalogue.upsert(record, texts, language)


@pytest.fixture
def settings_fr(tmp_path: Path, catalogue_url: str | None) -> Settings:
    return load_settings(data_dir=tmp_path / "data", es_url=None, catalogue_url=catalogue_url, languages="en,fr,es")


@pytest.fixture
def catalogue(settings_fr: Settings) -> Iterator[Catalogue]:
    store = Catalogue(settings_fr.catalogue_dsn)
    yield store
    store.close()


def test_status_counts_what_is_left_per_pair_and_the_rate(
    settings_fr: Settings, catalogue: Catalogue, engine: ArgosEngine
) -> None:
    for n in range(4):
        add(catalogue, f"en-{n}", "en", title=f"The forest {n}", summary="The cat eats the fish.")
    add(catalogue, "es-0", "es", title="El gato come el pescado.")
    before = backlog_status(catalogue.sessions, ["en", "fr", "es"])
    pairs = {(p.source, p.target): p.to_translate for p in before.pairs}
    assert pairs == {("en", "fr"): 8, ("en", "es"): 8, ("es", "en"): 1, ("es", "fr"): 1}
    assert before.to_translate == 18 and before.queued_records == 5
    assert before.fields_per_second == 0 and before.eta_seconds is None and "unknown" in before.eta_text()

    backend = get_backend(settings_fr)
    translator = Translator(engine, TranslationMemory(catalogue.sessions), Glossary.load())
    worker = TranslateWorker(catalogue, backend, translator, ["en", "fr", "es"], batch_records=2)
    report = worker.work(Backlog(catalogue.sessions, "test-worker"))
    backend.close()
    assert report.records_seen == 5 and report.fields_current == 10  # 8 en→fr, es→en, es→en→fr
    after = backlog_status(catalogue.sessions, ["en", "fr", "es"])
    # nothing is left to translate: English→Spanish has no model, so it is pending
    assert after.pairs == [] and after.to_translate == 0 and after.eta_text() == "done"
    assert after.pending == {"es": 8} and after.queued_records == 0 and after.workers == 0
    assert after.fields_per_second == pytest.approx(10 / after.window_seconds)

    # a changed original text is queued again by the catalogue's trigger, and counted as left
    add(catalogue, "en-0", "en", title="The forest 0 and the river", summary="The cat eats the fish.")
    with catalogue.sessions() as session:
        assert session.scalar(select(func.count()).select_from(TranslationWork)) == 1
    again = {(p.source, p.target): p.to_translate for p in backlog_status(catalogue.sessions, ["en", "fr"]).pairs}
    assert again == {("en", "fr"): 1}


def test_status_in_the_cli_and_in_health(settings_fr: Settings, catalogue: Catalogue, tmp_path: Path) -> None:
    add(catalogue, "en-0", "en", title="The forest", summary="The cat eats the fish.")
    env = clean_environment(
        CHM_DATA_DIR=str(settings_fr.data_dir),
        CHM_LANGUAGES="en,fr,es",
        CHM_MODELS_DIR=str(tmp_path / "no-models"),
        COLUMNS="200",
        PYTHONPATH=str(ROOT),
    )
    if settings_fr.catalogue_url:
        env["CHM_CATALOGUE_URL"] = settings_fr.catalogue_url

    def translate(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([*CLI, "translate", *args], env=env, capture_output=True, text=True, timeout=120)

    result = translate("--status")
    assert result.returncode == 0, result.stderr
    assert "en → fr" in result.stdout and "en → es" in result.stdout
    assert "queue: 1 records (0 leased by 0 workers" in result.stdout
    assert "ETA unknown" in result.stdout
    as_json = translate("--status", "--json")
    assert as_json.returncode == 0, as_json.stderr
    report = json.loads(as_json.stdout)  # one object on stdout: the backlog /api/v1/health carries
    assert report["to_translate"] == 4 and report["queued_records"] == 1 and report["eta_seconds"] is None
    assert {"source": "en", "target": "fr", "to_translate": 2} in report["pairs"]
    wrong = translate("--json")
    assert wrong.returncode == 2 and "--json goes with --status" in wrong.stderr and wrong.stdout == ""

    with TestClient(create_app(settings_fr)) as client:
        body = client.get("/api/v1/health").json()
    backlog = body["translation_backlog"]
    assert backlog["to_translate"] == 4 and backlog["queued_records"] == 1
    assert {"source": "en", "target": "fr", "to_translate": 2} in backlog["pairs"]
    assert "backlog: 4 field versions to translate" in body["translation"]["detail"]


def test_a_whole_catalogue_run_into_every_language_empties_the_queue(
    settings_fr: Settings, catalogue: Catalogue, engine: ArgosEngine
) -> None:
    for n in range(3):
        add(catalogue, f"en-{n}", "en", title=f"The forest {n}")
    backend = get_backend(settings_fr)
    translator = Translator(engine, TranslationMemory(catalogue.sessions), Glossary.load())
    worker = TranslateWorker(catalogue, backend, translator, ["en", "fr", "es"], batch_records=2)
    worker.run(languages=["fr"])  # one language of three: the records are not done
    assert backlog_status(catalogue.sessions, ["en", "fr", "es"]).queued_records == 3
    worker.run()
    assert backlog_status(catalogue.sessions, ["en", "fr", "es"]).queued_records == 0
    add(catalogue, "en-1", "en", title="The forest 1 and the river")  # a change queues it again
    assert backlog_status(catalogue.sessions, ["en", "fr", "es"]).queued_records == 1
    backend.close()
