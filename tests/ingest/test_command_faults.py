"""`chm-search ingest` under faults: a record it cannot take, a full disk, a killed parent.

Run as a user runs it (a real process on real files), each reproduces a failure of issue 13.
"""

from __future__ import annotations

import json
import os
import subprocess
import time
from pathlib import Path

import pytest

from devtools.commands import clean_environment
from tests.commands import CLI, run, start, wait_for_checkpoint
from tests.conftest import ROOT, SAMPLES


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

    from devtools.corpus import write_jsonl

    if shutil.which("unshare") is None or subprocess.run(["unshare", "-m", "-r", "true"], check=False).returncode:
        pytest.fail("this test needs unshare(1) and user namespaces (util-linux) to mount a small tmpfs")
    dump = write_jsonl(tmp_path / "dump.jsonl", 3000)
    small = tmp_path / "small"
    small.mkdir()
    environment = clean_environment(CHM_DATA_DIR=str(small / "data"), COLUMNS="200")
    mount = 'mount -t tmpfs -o size=3m tmpfs "$0" && exec "$@"'
    result = subprocess.run(
        ["unshare", "-m", "-r", "sh", "-c", mount, str(small), *CLI, "ingest", "--workers", "0", str(dump)],
        capture_output=True,
        text=True,
        env=environment,
        timeout=300,
        cwd=ROOT,
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

    from devtools.corpus import write_jsonl

    dump = write_jsonl(tmp_path / "dump.jsonl", 3000)
    process = start(tmp_path, "ingest", "--workers", "2", str(dump))
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


def test_a_worker_killed_mid_run_costs_nothing(tmp_path: Path) -> None:
    """A worker killed as the OOM killer would (SIGKILL) broke the pool and the run with a
    traceback, and --resume met the same; its batches are now prepared again by a new pool."""
    import signal
    import sqlite3

    from devtools.corpus import write_jsonl

    dump = write_jsonl(tmp_path / "dump.jsonl", 3000)
    process = start(tmp_path, "ingest", "--workers", "2", str(dump), capture=True)
    database = tmp_path / "data" / "catalogue.sqlite3"
    wait_for_checkpoint(database, process, records=500, timeout=180)
    children = _children()
    workers = [pid for helper in children.get(process.pid, []) for pid in children.get(helper, [])]
    assert process.poll() is None and workers, "the run ended before a worker could be killed"
    os.kill(workers[0], signal.SIGKILL)
    out, err = process.communicate(timeout=300)  # ~10 s here; it once hung (now fixed)
    assert process.returncode == 0, err[-3000:]
    assert "3000 read: 3000 new, 0 updated, 0 unchanged, 0 errors; 3000 indexed" in out
    with sqlite3.connect(database) as connection:
        assert connection.execute("SELECT count(*) FROM records").fetchone() == (3000,)
