"""Many ``chm-search translate --worker`` processes sharing one backlog, on a real catalogue.

The workers are real ``chm-search`` processes with the real engine and the tests' Argos packages;
each one runs through a small launcher that logs what the model is given (every call's segments
before the call, and a line after it) and makes each call take a little longer, so that a test
can kill a worker *inside* a model call with ``kill -9`` and then check, from the logs and the
catalogue, that every sentence was sent to a model once (only the killed worker's unfinished
call is sent again) and every record's translations were stored once.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy
from sqlalchemy import func, select

from devtools.argos_models import LEXICON, Lexicon
from devtools.commands import clean_environment
from record_catalogue.keys import KeyStore
from record_catalogue.memory_store import TranslationMemory
from record_catalogue.models import AuditEntry, FieldText
from record_catalogue.record import Record
from record_catalogue.settings import load_settings
from record_catalogue.store import Catalogue, TextVersion
from record_catalogue.work_models import TranslationClaim, TranslationWork
from record_catalogue.work_queue import Backlog, Waker
from search_index.factory import get_backend
from search_index.sync import BUSY_WAIT_SECONDS
from tests.conftest import ROOT, catalogue_database
from tests.translate.conftest import Models
from translate.argos_engine import ArgosEngine
from translate.glossary import Glossary
from translate.translator import Translator
from translate.worker import TranslateWorker

EN_FR = Lexicon.for_pair("en", "fr")
LAUNCHER = """
import json, os, sys, time
from translate.argos_engine import ArgosEngine

log = open(os.environ["MODEL_LOG"], "a", encoding="utf-8")
delay = float(os.environ.get("MODEL_DELAY", "0"))
original = ArgosEngine.translate

def logged(self, source, target, segments):
    log.write(json.dumps({"at": "start", "pair": [source, target], "segments": list(segments)}) + "\\n")
    log.flush()
    time.sleep(delay)
    out = original(self, source, target, segments)
    log.write(json.dumps({"at": "end"}) + "\\n")
    log.flush()
    return out

ArgosEngine.translate = logged
from search_api.cli import main
sys.argv = ["chm-search", *sys.argv[1:]]
main()
"""
SHARED = "The forest is protected by the government."


def _words() -> list[str]:
    """Lexicon words that are not part of a glossary term (so the model sees each sentence as is)."""
    glossary_words = {w.casefold() for row in Glossary.load().rows for w in row.get("en", "").split()}
    return [row[0] for row in LEXICON if row[0] not in ("hallucinate", "ramble") and row[0] not in glossary_words]


def sentences(count: int) -> list[str]:
    """Distinct English sentences made of lexicon words (the test model translates them word by word)."""
    words = _words()
    out: list[str] = []
    n = 0
    while len(out) < count:
        picked = [words[(n * 7 + k * 13) % len(words)] for k in range(4)] + [words[n % len(words)], "forest"]
        n += 1
        sentence = " ".join(picked)
        sentence = sentence[:1].upper() + sentence[1:] + "."
        if sentence not in out:
            out.append(sentence)
    return out


def add_records(catalogue: Catalogue, count: int) -> dict[str, str]:
    """``count`` English records, each with a sentence of its own and one they all share; id -> summary."""
    summaries = {}
    for index, sentence in enumerate(sentences(count)):
        record_id = f"rec-{index:04d}"
        summary = f"{sentence} {SHARED}"
        record = Record.model_validate(
            {"id": record_id, "realm": "CHM", "schema_name": "resource", "summary": {"en": summary}}
        )
        assert catalogue.upsert(record, [TextVersion("summary", "en", summary)], "en") == "created"
        summaries[record_id] = summary
    return summaries


class Workers:
    """Starts worker processes on one catalogue and data directory, each logging its model calls."""

    def __init__(self, tmp_path: Path, models: Models, dsn: str | None, **env: str) -> None:
        self.tmp_path = tmp_path
        self.environment = clean_environment(
            **models.env(),
            CHM_DATA_DIR=str(tmp_path / "data"),
            CHM_LANGUAGES="en,fr",
            CHM_TRANSLATE_LEASE_SECONDS="3",
            CHM_TRANSLATE_POLL_SECONDS="1",
            PYTHONPATH=str(ROOT),
            COLUMNS="200",
        )
        self.environment.update(env)
        if dsn:
            self.environment["CHM_CATALOGUE_URL"] = dsn
        self.processes: list[subprocess.Popen[str]] = []

    def start(self, name: str, *args: str, delay: float = 0.0) -> subprocess.Popen[str]:
        env = dict(self.environment, MODEL_LOG=str(self.log(name)), MODEL_DELAY=str(delay))
        process = subprocess.Popen(
            [sys.executable, "-c", LAUNCHER, "translate", *args],
            env=env,
            cwd=self.tmp_path,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.processes.append(process)
        return process

    def log(self, name: str) -> Path:
        return self.tmp_path / f"{name}.log"

    def calls(self, name: str) -> list[dict[str, Any]]:
        """The model calls of a worker: each with its segments and whether it finished."""
        path = self.log(name)
        out: list[dict[str, Any]] = []
        if not path.exists():
            return out
        for line in path.read_text(encoding="utf-8").splitlines():
            entry = json.loads(line)
            if entry["at"] == "start":
                out.append({"segments": entry["segments"], "finished": False})
            else:
                out[-1]["finished"] = True
        return out

    def stop_all(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                process.kill()
            process.communicate(timeout=30)


@pytest.fixture
def pg_catalogue(request: pytest.FixtureRequest) -> Iterator[str]:
    with catalogue_database("postgresql", request) as dsn:
        assert dsn is not None
        yield dsn


@pytest.fixture
def workers(tmp_path: Path, models: Models) -> Iterator[list[Workers]]:
    made: list[Workers] = []
    yield made
    for group in made:
        group.stop_all()


def test_two_workers_one_killed_halfway_finish_the_backlog_translating_each_sentence_once(
    tmp_path: Path, models: Models, pg_catalogue: str, workers: list[Workers]
) -> None:
    catalogue = Catalogue(pg_catalogue)
    summaries = add_records(catalogue, 60)
    group = Workers(tmp_path, models, pg_catalogue)
    workers.append(group)
    first = group.start("first", "--worker", "--batch", "4", delay=0.3)
    second = group.start("second", "--worker", "--batch", "4", delay=0.3)

    # Kill the first worker with SIGKILL in the middle of a model call, once it has done some work.
    deadline = time.monotonic() + 120
    while True:
        assert time.monotonic() < deadline, "the first worker never got going"
        assert first.poll() is None, first.communicate()
        calls = group.calls("first")
        if sum(call["finished"] for call in calls) >= 3 and calls and not calls[-1]["finished"]:
            first.send_signal(signal.SIGKILL)
            break
        time.sleep(0.01)
    first.wait(timeout=10)
    with catalogue.sessions() as session:
        left = session.scalar(select(func.count()).select_from(TranslationWork))
        held = session.scalar(select(func.count()).where(TranslationWork.leased_by.is_not(None)))
    assert left and held, "the kill must leave work, some of it leased by the dead worker"

    out, err = second.communicate(timeout=240)
    assert second.returncode == 0, err
    assert "60 records read" not in out  # the work was shared
    killed, survivor = group.calls("first"), group.calls("second")
    in_flight = set(killed[-1]["segments"]) if not killed[-1]["finished"] else set()
    given = Counter(segment for call in killed + survivor for segment in call["segments"])
    expected = {sentence for summary in summaries.values() for sentence in summary.split(". ") if sentence}
    expected = {s if s.endswith(".") else s + "." for s in expected}
    assert set(given) == expected  # every sentence went to the model...
    twice = {segment for segment, count in given.items() if count > 1}
    assert twice <= in_flight, twice - in_flight  # ...once, except what the killed worker never stored
    assert given[SHARED] == 1 or SHARED in in_flight  # the sentence all 60 records share, once

    with catalogue.sessions() as session:
        assert session.scalar(select(func.count()).select_from(TranslationWork)) == 0
        assert session.scalar(select(func.count()).select_from(TranslationClaim)) == 0
        texts = session.execute(
            select(FieldText.record_id, FieldText.text, FieldText.status).where(
                FieldText.language == "fr", FieldText.provenance == "machine"
            )
        ).all()
        stored = Counter(
            session.scalars(select(AuditEntry.record_id).where(AuditEntry.action == "translation.machine"))
        )
    assert len(texts) == 60 and all(status == "current" for _id, _text, status in texts)
    for record_id, text, _status in texts:
        assert text == " ".join(EN_FR.translate(s) for s in _split(summaries[record_id]))
    assert stored == Counter(dict.fromkeys(summaries, 1))  # every record's result stored once, none lost
    catalogue.close()


def _split(summary: str) -> list[str]:
    first, _, rest = summary.partition(". ")
    return [first + ".", rest]


def test_a_second_worker_on_sqlite_says_it_cannot_run(tmp_path: Path, models: Models, workers: list[Workers]) -> None:
    settings = load_settings(data_dir=tmp_path / "data", es_url=None)
    catalogue = Catalogue(settings.catalogue_dsn)
    add_records(catalogue, 12)
    catalogue.close()
    group = Workers(tmp_path, models, None)
    workers.append(group)
    first = group.start("first", "--worker", "--batch", "2", delay=0.5)
    deadline = time.monotonic() + 60
    while not group.calls("first"):
        assert time.monotonic() < deadline and first.poll() is None, first.communicate()
        time.sleep(0.05)
    second = group.start("second", "--worker")
    _out, err = second.communicate(timeout=60)
    assert second.returncode == 3
    assert "a translate worker already runs on this SQLite catalogue (pid" in err
    assert "use a PostgreSQL catalogue (CHM_CATALOGUE_URL) to run several" in err
    assert group.calls("second") == []
    _out, err = first.communicate(timeout=120)
    assert first.returncode == 0, err


@pytest.mark.parametrize("kind", ["postgresql", "sqlite"])
def test_follow_picks_up_a_record_pushed_through_the_api(
    tmp_path: Path, models: Models, workers: list[Workers], kind: str, request: pytest.FixtureRequest
) -> None:
    """PostgreSQL wakes the worker with NOTIFY (its poll interval is made far longer than the
    wait allowed); SQLite polls every second."""
    from fastapi.testclient import TestClient

    from search_api.app import create_app

    with catalogue_database(kind, request) as dsn:
        settings = load_settings(data_dir=tmp_path / "data", es_url=None, catalogue_url=dsn, languages="en,fr")
        catalogue = Catalogue(settings.catalogue_dsn)
        key = KeyStore(catalogue).create("national CHM", "ingest")
        poll = "60" if kind == "postgresql" else "1"
        group = Workers(tmp_path, models, dsn, CHM_TRANSLATE_POLL_SECONDS=poll)
        workers.append(group)
        follower = group.start("follower", "--follow")
        if kind == "postgresql":  # started and waiting: its LISTEN connection is open
            _wait_for_listener(catalogue, follower)
        else:
            time.sleep(3)  # started and waiting (the empty backlog drained)
        assert follower.poll() is None, follower.communicate()
        record = {
            "header": {"identifier": "PUSHED-1", "schema": "absPermit", "languages": ["en"]},
            "government": {"identifier": "pe"},
            "title": {"en": "The national strategy on the forest"},
        }
        with TestClient(create_app(settings)) as client:
            pushed = client.post("/api/v1/records", json=record, headers={"X-API-Key": key})
            assert pushed.status_code == 200 and pushed.json()["created"] == 1, pushed.text
        started = time.monotonic()
        french = None
        while time.monotonic() - started < 10:
            row = catalogue.get("PUSHED-1")
            assert row is not None
            french = next((t for t in row.texts if t.language == "fr" and t.status == "current"), None)
            if french is not None:
                break
            time.sleep(0.1)
        assert french is not None, "the following worker did not translate the pushed record within 10 s"
        assert french.text == EN_FR.translate("The national strategy on the forest")
        follower.send_signal(signal.SIGTERM)  # stops cleanly, giving its leases back
        # It finishes its batch first, whose re-index may wait up to BUSY_WAIT_SECONDS for another
        # writer of the embedded index (a full suite run once saw the whole stop take 62.7 s) before leaving the
        # records to the next run.
        _out, err = follower.communicate(timeout=BUSY_WAIT_SECONDS + 60)
        assert follower.returncode == 0, err
        catalogue.close()


def _wait_for_listener(catalogue: Catalogue, process: subprocess.Popen[str], timeout: float = 60) -> None:
    """Until a session on ``catalogue``'s PostgreSQL database (the test's own) has sent ``LISTEN``:
    a following worker does once it has drained the backlog and waits for notifications."""
    deadline = time.monotonic() + timeout
    query = sqlalchemy.text(
        "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
        " AND pid <> pg_backend_pid() AND query LIKE 'LISTEN %'"
    )
    while True:
        with catalogue.engine.connect() as connection:
            if connection.execute(query).scalar_one():
                return
        assert process.poll() is None, process.communicate()
        assert time.monotonic() < deadline, f"no LISTEN on the catalogue after {timeout:.0f} s"
        time.sleep(0.1)


def test_a_listening_worker_stops_within_a_moment_of_being_told(request: pytest.FixtureRequest) -> None:
    """A PostgreSQL follower waits in LISTEN for up to its poll interval; SIGTERM (``stop``) must end
    that wait at once, not when the interval runs out (it once held a worker's stop for 60 s)."""
    with catalogue_database("postgresql", request) as dsn:
        assert dsn is not None
        waker = Waker.for_catalogue(dsn, poll_seconds=60)
        assert waker.conninfo is not None  # listening, not polling
        try:
            stop = threading.Event()
            stop.set()
            started = time.monotonic()
            waker.wait(stop)
            # The bounds are the poll interval's fraction, not a speed: a loaded machine may be slow
            # to wake a thread, but only a wait that ignores ``stop`` approaches 60 s.
            assert time.monotonic() - started < 20, "a worker already told to stop still waited"
            stop = threading.Event()
            timer = threading.Timer(0.5, stop.set)
            timer.start()
            started = time.monotonic()
            waker.wait(stop)
            waited = time.monotonic() - started
            timer.join()
            assert 0.4 < waited < 20, f"told to stop after 0.5 s, the wait took {waited:.1f} s"
        finally:
            waker.close()


class CrashingEngine(ArgosEngine):
    """The real engine, except that it raises on one sentence (a model that crashes on an input)."""

    poison = "The poison sentence breaks the model."

    def translate(self, source: str, target: str, segments: Sequence[str]) -> list[str]:
        if self.poison in segments:
            raise RuntimeError("CUDA error: an illegal memory access was encountered")
        return super().translate(source, target, segments)


def test_a_record_that_crashes_the_model_is_set_aside_and_the_rest_goes_on(
    tmp_path: Path, models: Models, catalogue_url: str | None
) -> None:
    settings = load_settings(data_dir=tmp_path / "data", es_url=None, catalogue_url=catalogue_url, languages="en,fr")
    catalogue = Catalogue(settings.catalogue_dsn)
    long_sentence = ", ".join(["the cat eats the fish"] * 2300) + "."  # one sentence of 50,000 characters
    assert len(long_sentence) > 50_000
    texts = {
        "rec-a": "The forest is protected.",
        "rec-b": f"The river is green. {CrashingEngine.poison}",
        "rec-c": long_sentence,
        "rec-d": "The cat eats the fish.",
    }
    for record_id, text in texts.items():
        record = Record.model_validate(
            {"id": record_id, "realm": "CHM", "schema_name": "resource", "summary": {"en": text}}
        )
        catalogue.upsert(record, [TextVersion("summary", "en", text)], "en")
    engine = CrashingEngine(models.installed, intra_threads=1)
    backend = get_backend(settings)
    translator = Translator(engine, TranslationMemory(catalogue.sessions), Glossary.load())
    worker = TranslateWorker(catalogue, backend, translator, ["en", "fr"], batch_records=4)
    report = worker.work(Backlog(catalogue.sessions, "crash-test"))
    backend.close()
    engine.close()
    assert report.record_errors == [("rec-b", "RuntimeError: CUDA error: an illegal memory access was encountered")]
    assert report.fields_current == 3 and report.records_seen == 4
    for record_id in ("rec-a", "rec-c", "rec-d"):
        row = catalogue.get(record_id)
        assert row is not None
        [french] = [t for t in row.texts if t.language == "fr"]
        assert french.status == "current" and french.text == EN_FR.translate(texts[record_id])
    with catalogue.sessions() as session:
        [held] = session.scalars(select(TranslationWork))
    assert (held.record_id, held.leased_by, held.attempts) == ("rec-b", None, 1)
    assert held.last_error == "RuntimeError: CUDA error: an illegal memory access was encountered"
    assert held.leased_until is not None and held.leased_until > time.time() + 20  # tried again in 30 s
    catalogue.close()


def test_a_worker_survives_the_catalogue_restarting_under_it(
    tmp_path: Path, models: Models, workers: list[Workers]
) -> None:
    """A PostgreSQL server of the test's own, restarted (fast shutdown: every connection cut) while
    the worker is in the middle of the backlog: the worker waits for it and finishes, nothing lost."""
    from devservers.postgres import PostgresServer

    server = PostgresServer().start()
    try:
        dsn = server.dsn()
        catalogue = Catalogue(dsn)
        summaries = add_records(catalogue, 30)
        group = Workers(tmp_path, models, dsn)
        workers.append(group)
        worker = group.start("worker", "--worker", "--batch", "3", delay=0.3)
        deadline = time.monotonic() + 120
        while sum(call["finished"] for call in group.calls("worker")) < 2:
            assert time.monotonic() < deadline and worker.poll() is None, worker.communicate()
            time.sleep(0.02)
        # -l: the new server's output goes to its log, not to the pipe this call waits on
        where = ["-D", str(server.data_dir), "-l", str(server.log_file)]
        server._run(
            [str(server.bindir / "pg_ctl"), *where, "-m", "fast", "-w", "-t", "60", "restart"], "pg_ctl restart"
        )
        _out, err = worker.communicate(timeout=240)
        assert worker.returncode == 0, err
        assert "catalogue unreachable" in err or "connection lost" in err  # it noticed, and said so
        with catalogue.sessions() as session:
            assert session.scalar(select(func.count()).select_from(TranslationWork)) == 0
            french = session.execute(
                select(FieldText.record_id, FieldText.text).where(
                    FieldText.language == "fr", FieldText.provenance == "machine", FieldText.status == "current"
                )
            ).all()
        assert {record_id for record_id, _text in french} == set(summaries)
        catalogue.close()
    finally:
        server.stop()
