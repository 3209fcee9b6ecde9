"""The `chm-search` command, run as a user runs it: a real process, real files, real server."""

from __future__ import annotations

import json
import os
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

from tests.commands import CLI, free_port, run
from tests.conftest import ROOT, SAMPLES


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
    port = free_port()
    environment = {k: v for k, v in os.environ.items() if not k.startswith("CHM_")}
    environment["CHM_DATA_DIR"] = str(tmp_path / "data")
    server = subprocess.Popen(
        [*CLI, "serve", "--port", str(port)],
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        base = f"http://127.0.0.1:{port}/api/v1"
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(f"{base}/health", timeout=2) as response:
                    health = json.load(response)
                break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise
                time.sleep(0.2)
        assert health["status"] == "ok"
        with urllib.request.urlopen(f"{base}/search?q=technology+transfer&lang=en", timeout=5) as response:
            body = json.load(response)
        assert "UNEP-CBD-COP-12-11" in [r["id"] for r in body["results"]]
    finally:
        server.terminate()
        server.wait(timeout=10)


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
    environment = {k: v for k, v in os.environ.items() if not k.startswith("CHM_")}
    environment["CHM_DATA_DIR"] = str(tmp_path / "data")
    process = subprocess.Popen(
        [*CLI, "ingest", str(dump)],
        env=environment,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        cwd=ROOT,
    )
    database = tmp_path / "data" / "catalogue.sqlite3"
    deadline = time.monotonic() + 120
    checkpoint = 0
    while checkpoint < 500 and time.monotonic() < deadline and process.poll() is None:
        time.sleep(0.1)
        try:
            with sqlite3.connect(database, timeout=1) as connection:
                row = connection.execute("SELECT checkpoint FROM ingest_runs").fetchone()
                checkpoint = row[0] if row else 0
        except sqlite3.Error:
            continue
    assert process.poll() is None, "ingest finished before it could be killed; make the corpus bigger"
    process.send_signal(signal.SIGKILL)
    process.wait()

    resumed = run(tmp_path, "ingest", "--resume")
    assert resumed.returncode == 0, resumed.stderr
    assert "resuming run" in resumed.stdout and "resumed after" in resumed.stdout
    with sqlite3.connect(database) as connection:
        assert connection.execute("SELECT count(*), count(DISTINCT id) FROM records").fetchone() == (1300, 1300)
        assert connection.execute("SELECT count(*) FROM records WHERE needs_index").fetchone() == (0,)
        assert connection.execute("SELECT status FROM ingest_runs").fetchone() == ("finished",)
    health = run(tmp_path, "health")
    assert "1300 documents" in health.stdout
    assert "nothing to resume" in run(tmp_path, "ingest", "--resume").stdout


def test_resume_never_stops_twice_on_a_lone_surrogate(tmp_path: Path) -> None:
    # A run that stopped (killed) before a record holding "\ud800": today's ingest crashed on
    # it (hashing it), and every --resume crashed again at the same record.
    from record_catalogue.store import Catalogue

    good = json.loads((SAMPLES / "shared" / "abs-permit.json").read_text())
    bad = {**good, "header": {**good["header"], "identifier": "SURROGATE-1"}, "title": {"en": "Permit \ud800"}}
    dump = tmp_path / "dump.jsonl"
    dump.write_text(json.dumps(bad) + "\n" + json.dumps(good) + "\n")
    assert "\\ud800" in dump.read_text()
    catalogue = Catalogue(f"sqlite:///{tmp_path / 'data' / 'catalogue.sqlite3'}")
    catalogue.start_run("stopped-run", [str(dump)], None)
    catalogue.close()
    resumed = run(tmp_path, "ingest", "--resume")
    assert resumed.returncode == 0, resumed.stderr
    assert "2 read: 1 new, 0 updated, 0 unchanged, 1 errors; 1 indexed" in resumed.stdout
    errors = run(tmp_path, "errors").stdout
    assert "[SURROGATE-1]: title.en holds a lone surrogate (invalid Unicode) at character 8" in errors
    again = run(tmp_path, "ingest", str(dump))
    assert again.returncode == 0 and "2 read: 0 new, 0 updated, 1 unchanged, 1 errors" in again.stdout


def test_a_full_disk_ends_ingest_with_exit_4_and_one_line(tmp_path: Path) -> None:
    """The data directory on a 3 MB tmpfs (mounted in a private mount namespace: no root needed
    where user namespaces are allowed): the index or the catalogue runs out of space mid-run."""
    import shutil

    from bench.corpus import write_jsonl

    if shutil.which("unshare") is None or subprocess.run(["unshare", "-m", "-r", "true"], check=False).returncode:
        pytest.fail("this test needs unshare(1) and user namespaces (util-linux) to mount a small tmpfs")
    dump = write_jsonl(tmp_path / "dump.jsonl", 3000)
    small = tmp_path / "small"
    small.mkdir()
    environment = {k: v for k, v in os.environ.items() if not k.startswith("CHM_")}
    environment.update({"CHM_DATA_DIR": str(small / "data"), "COLUMNS": "200"})
    mount = 'mount -t tmpfs -o size=3m tmpfs "$0" && exec "$@"'
    result = subprocess.run(
        ["unshare", "-m", "-r", "sh", "-c", mount, str(small), *CLI, "ingest", "--workers", "0", str(dump)],
        capture_output=True,
        text=True,
        env=environment,
        timeout=300,
        cwd=Path(__file__).resolve().parent.parent,
    )
    assert result.returncode == 4, result.stderr[-3000:]
    assert "Traceback" not in result.stderr
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith(f"disk full: no space left where {small / 'data'}")
    assert last.endswith("free some space, then carry on with: chm-search ingest --resume")


def _children() -> dict[int, list[int]]:
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            parent = int(stat.rsplit(")", 1)[1].split()[1])
            children.setdefault(parent, []).append(int(entry.name))
    return children


def _descendants(pid: int) -> set[int]:
    tree, found, todo = _children(), set(), [pid]
    while todo:
        for child in tree.get(todo.pop(), []):
            found.add(child)
            todo.append(child)
    return found


def _running(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def test_worker_processes_end_when_ingest_is_killed(tmp_path: Path) -> None:
    import signal

    from bench.corpus import write_jsonl

    dump = write_jsonl(tmp_path / "dump.jsonl", 3000)
    environment = {k: v for k, v in os.environ.items() if not k.startswith("CHM_")}
    environment["CHM_DATA_DIR"] = str(tmp_path / "data")
    process = subprocess.Popen(
        [*CLI, "ingest", "--workers", "2", str(dump)],
        env=environment,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        cwd=Path(__file__).resolve().parent.parent,
    )
    helpers: set[int] = set()
    deadline = time.monotonic() + 120
    while len(helpers) < 3 and time.monotonic() < deadline and process.poll() is None:  # fork server + 2 workers
        time.sleep(0.2)
        helpers = _descendants(process.pid)
    assert process.poll() is None and len(helpers) >= 3, "the workers did not start"
    time.sleep(2)  # the workers are initialised (and busy) by now
    helpers = _descendants(process.pid)
    process.send_signal(signal.SIGKILL)
    process.wait()
    deadline = time.monotonic() + 30
    while any(_running(pid) for pid in helpers) and time.monotonic() < deadline:
        time.sleep(0.2)
    left = [pid for pid in helpers if _running(pid)]
    for pid in left:  # do not leave them behind even when the test fails
        os.kill(pid, signal.SIGKILL)
    assert left == [], f"{len(left)} of {len(helpers)} helper processes outlived the killed ingest"
