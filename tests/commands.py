"""The `chm-search` command run as a user runs it: a real process in a clean environment.

Shared by every suite that drives the CLI (its own tests, the catalogue's, ingest's).
"""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from devtools.commands import CLI_ARGS, clean_environment
from tests.conftest import ROOT

CLI = [sys.executable, *CLI_ARGS]


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
    """``clean_environment`` with the data directory in ``tmp_path`` and ``env``."""
    return clean_environment(**{"CHM_DATA_DIR": str(tmp_path / "data"), "COLUMNS": "200", **env})


def run_python(argv: list[str], env: dict[str, str], timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """A fresh interpreter run with ``argv`` in ``env`` from the repository's root, its output kept."""
    return subprocess.run([sys.executable, *argv], capture_output=True, text=True, env=env, timeout=timeout, cwd=ROOT)


def run(tmp_path: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return run_python([*CLI_ARGS, *args], environment(tmp_path, **env))


def start(tmp_path: Path, *args: str, capture: bool = False) -> subprocess.Popen[str]:
    """``chm-search *args`` started in the background as ``run`` runs it (``capture``: its output
    kept for ``communicate``, else dropped): for the tests that kill it mid-run."""
    output = subprocess.PIPE if capture else subprocess.DEVNULL
    return subprocess.Popen([*CLI, *args], env=environment(tmp_path), stdout=output, stderr=output, text=True, cwd=ROOT)
