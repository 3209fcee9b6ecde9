"""The `chm-search` command run as a user runs it: a real process in a clean environment.

Shared by every suite that drives the CLI (its own tests, the catalogue's, ingest's).
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

from tests.conftest import ROOT

CLI = [sys.executable, "-c", "from search_api.cli import main; main()"]


def run(tmp_path: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("CHM_")}
    environment.update({"CHM_DATA_DIR": str(tmp_path / "data"), "COLUMNS": "200"}, **env)
    return subprocess.run(
        [*CLI, *args],
        capture_output=True,
        text=True,
        env=environment,
        timeout=120,
        cwd=ROOT,
    )


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])
