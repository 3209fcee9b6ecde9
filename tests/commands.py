"""The `chm-search` command run as a user runs it: a real process in a clean environment.

Shared by every suite that drives the CLI (its own tests, the catalogue's, ingest's).
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from tests.conftest import ROOT

CLI = [sys.executable, "-c", "from search_api.cli import main; main()"]


def wait_for_checkpoint(database: Path, process: subprocess.Popen[Any], records: int, timeout: float) -> None:
    """Until the ingest ``process`` has committed ``records`` records (its run's checkpoint in the
    SQLite catalogue ``database``), has ended, or ``timeout`` seconds have passed: the moment to kill
    it mid-run."""
    deadline = time.monotonic() + timeout
    checkpoint = 0
    while checkpoint < records and time.monotonic() < deadline and process.poll() is None:
        time.sleep(0.1)
        try:
            with sqlite3.connect(database, timeout=1) as connection:
                row = connection.execute("SELECT checkpoint FROM ingest_runs").fetchone()
                checkpoint = row[0] if row else 0
        except sqlite3.Error:
            continue


def environment(tmp_path: Path, **env: str) -> dict[str, str]:
    """The user's environment without their CHM_ settings, the data directory in ``tmp_path``, ``env``."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith("CHM_")}
    clean.update({"CHM_DATA_DIR": str(tmp_path / "data"), "COLUMNS": "200"}, **env)
    return clean


def run(tmp_path: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*CLI, *args],
        capture_output=True,
        text=True,
        env=environment(tmp_path, **env),
        timeout=120,
        cwd=ROOT,
    )


def start(tmp_path: Path, *args: str, capture: bool = False) -> subprocess.Popen[str]:
    """``chm-search *args`` started in the background as ``run`` runs it (``capture``: its output
    kept for ``communicate``, else dropped): for the tests that kill it mid-run."""
    output = subprocess.PIPE if capture else subprocess.DEVNULL
    return subprocess.Popen([*CLI, *args], env=environment(tmp_path), stdout=output, stderr=output, text=True, cwd=ROOT)
