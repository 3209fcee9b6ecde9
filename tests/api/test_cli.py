"""The `chm-search` command, run as a user runs it: a real process, real files, real server."""

from __future__ import annotations

import json
import urllib.request
from pathlib import Path

import pytest

from devtools.served import SERVE, serving
from record_catalogue.settings import Settings
from search_api.cli import api_processes
from tests.commands import environment, run, start, wait_for_checkpoint
from tests.conftest import SAMPLES


def test_ingest_errors_reindex_health(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text('{"header": {"identifier": "X"}}')
    result = run(tmp_path, "ingest", str(SAMPLES / "shared"), str(bad))
    assert result.returncode == 0, result.stderr
    assert "4 read: 3 new, 0 updated, 0 unchanged, 1 errors; 3 indexed" in result.stdout
    errors = run(tmp_path, "errors")
    assert "bad.json" in errors.stdout and "record has no header.schema" in errors.stdout
    reindex = run(tmp_path, "reindex")
    assert reindex.returncode == 0 and "3 documents, 0 errors" in reindex.stdout
    health = run(tmp_path, "health")
    assert health.returncode == 0 and "catalogue: ok (3 records)" in health.stdout


@pytest.mark.parametrize(
    ("env", "code", "message"),
    [
        ({"CHM_LANGUAGES": "en,klingon"}, 2, "CHM_LANGUAGES"),
        ({"CHM_ES_URL": "not a url"}, 2, "CHM_ES_URL"),
        ({"CHM_CATALOGUE_URL": "sqlite:////proc/no/such/place/c.sqlite3"}, 3, "CHM_CATALOGUE_URL"),
    ],
)
def test_failures_are_one_line_without_traceback(tmp_path: Path, env: dict[str, str], code: int, message: str) -> None:
    result = run(tmp_path, "ingest", str(SAMPLES / "shared"), **env)
    assert result.returncode == code
    assert message in result.stderr
    assert "Traceback" not in result.stderr and len(result.stderr.strip().splitlines()) == 1


def test_elasticsearch_unreachable_is_one_line(tmp_path: Path) -> None:
    result = run(tmp_path, "health", CHM_ES_URL="http://127.0.0.1:1")
    assert result.returncode != 0
    assert "Traceback" not in result.stderr + result.stdout
    assert "127.0.0.1:1" in result.stderr + result.stdout


def test_serve_answers_health_and_search(tmp_path: Path) -> None:
    assert run(tmp_path, "ingest", str(SAMPLES / "shared")).returncode == 0
    with serving(SERVE, environment(tmp_path)) as server:
        base = f"{server.url}/api/v1"
        with urllib.request.urlopen(f"{base}/health", timeout=30) as response:
            health = json.load(response)
        assert health["status"] == "ok"
        with urllib.request.urlopen(f"{base}/search?q=technology+transfer&lang=en", timeout=30) as response:
            body = json.load(response)
        assert "UNEP-CBD-COP-12-11" in [r["id"] for r in body["results"]]


def test_keys_create_list_revoke(tmp_path: Path) -> None:
    created = run(tmp_path, "keys", "create", "--role", "curator", "--name", "Ana")
    assert created.returncode == 0 and created.stdout.strip().startswith("chm_")
    assert "will not be shown again" in created.stderr
    duplicate = run(tmp_path, "keys", "create", "--role", "curator", "--name", "Ana")
    assert duplicate.returncode == 2 and "exists already" in duplicate.stderr
    assert run(tmp_path, "keys", "create", "--role", "boss", "--name", "B").returncode == 2
    listed = run(tmp_path, "keys", "list").stdout
    assert "Ana\tcurator\tchm_" in listed and created.stdout.strip() not in listed
    assert run(tmp_path, "keys", "revoke", "Ana").returncode == 0
    assert "revoked" in run(tmp_path, "keys", "list").stdout


def test_kill_9_mid_ingest_resumes_without_duplicates(tmp_path: Path) -> None:
    import signal
    import sqlite3

    from devtools.corpus import write_jsonl

    dump = write_jsonl(tmp_path / "dump.jsonl", 1300)
    process = start(tmp_path, "ingest", str(dump))
    database = tmp_path / "data" / "catalogue.sqlite3"
    wait_for_checkpoint(database, process, records=500, timeout=120)
    assert process.poll() is None, "ingest finished before it could be killed; make the corpus bigger"
    process.send_signal(signal.SIGKILL)
    process.wait()

    resumed = run(tmp_path, "ingest", "--resume")
    assert resumed.returncode == 0, resumed.stderr
    assert "resuming run" in resumed.stdout and "resumed after" in resumed.stdout
    # killed, not stopped: the resumed run prepares in workers, where a record that crashed the
    # last attempt would be that record's error (tests/ingest/test_worker_faults.py)
    assert "preparing records in worker processes" in resumed.stdout
    with sqlite3.connect(database) as connection:
        assert connection.execute("SELECT count(*), count(DISTINCT id) FROM records").fetchone() == (1300, 1300)
        assert connection.execute("SELECT count(*) FROM records WHERE needs_index").fetchone() == (0,)
        assert connection.execute("SELECT status FROM ingest_runs").fetchone() == ("finished",)
    health = run(tmp_path, "health")
    assert "1300 documents" in health.stdout
    assert "nothing to resume" in run(tmp_path, "ingest", "--resume").stdout


def test_health_json_is_one_object_with_the_same_exit_codes(tmp_path: Path) -> None:
    from search_index.tantivy_backend import TantivyBackend

    assert run(tmp_path, "ingest", str(SAMPLES / "shared")).returncode == 0
    ok = run(tmp_path, "health", "--json")
    assert ok.returncode == 0, ok.stderr
    report = json.loads(ok.stdout)  # stdout holds the object and nothing else
    assert report == {
        "status": "ok",
        "engine": "tantivy",
        "search_engine": {"status": "ok", "detail": report["search_engine"]["detail"]},
        "catalogue": {"status": "ok", "detail": "ok (3 records)"},
    }
    backend = TantivyBackend(tmp_path / "data" / "index")
    backend.delete(["UNEP-CBD-COP-12-11"])
    backend.refresh()
    backend.close()
    short = run(tmp_path, "health", "--json")
    assert short.returncode == 5, short.stderr
    degraded = json.loads(short.stdout)
    assert degraded["status"] == "degraded" and degraded["search_engine"]["status"] == "degraded"
    assert "(1 missing)" in degraded["search_engine"]["detail"]


def test_serve_runs_as_many_api_processes_as_cores_unless_told(
    monkeypatch: pytest.MonkeyPatch, settings: Settings
) -> None:
    monkeypatch.setattr("os.sched_getaffinity", lambda _pid: {0, 1, 2})
    assert api_processes(None, settings) == 3
    assert api_processes(None, settings.model_copy(update={"workers": 2})) == 2
    assert api_processes(1, settings.model_copy(update={"workers": 2})) == 1  # --workers wins


def test_serve_with_two_workers_answers_from_two_processes(tmp_path: Path) -> None:
    assert run(tmp_path, "ingest", str(SAMPLES / "shared")).returncode == 0
    with serving(SERVE, environment(tmp_path, CHM_WORKERS="2"), timeout=120) as server:
        search = f"{server.url}/api/v1/search?q=technology+transfer&lang=en"
        with urllib.request.urlopen(search, timeout=30) as response:
            body = json.load(response)
        assert "UNEP-CBD-COP-12-11" in [r["id"] for r in body["results"]]
        children = [
            entry.name
            for entry in Path("/proc").iterdir()
            if entry.name.isdigit() and _parent(entry) == server.process.pid and b"spawn" in _cmdline(entry)
        ]
        assert len(children) == 2, children


def _parent(entry: Path) -> int | None:
    try:
        return int((entry / "stat").read_text().rpartition(")")[2].split()[1])
    except (OSError, IndexError, ValueError):
        return None


def _cmdline(entry: Path) -> bytes:
    try:
        return (entry / "cmdline").read_bytes()
    except OSError:
        return b""
