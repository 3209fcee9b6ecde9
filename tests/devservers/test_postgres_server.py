"""The throwaway PostgreSQL the suite and developers start (``devservers/postgres.py``)."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from devservers import postgres
from devservers.postgres import PostgresServer, PostgresUnavailable, reap_abandoned
from tests.conftest import ROOT

SERVE_AND_HANG = """
import sys, time
from devservers.postgres import PostgresServer
server = PostgresServer(parent=__import__("pathlib").Path(sys.argv[1])).start()
print(server.root, flush=True)
time.sleep(600)
"""


@pytest.fixture
def parent() -> Iterator[Path]:
    """A directory for clusters that the postgres user can reach (pytest's own are private to root)."""
    path = Path(tempfile.mkdtemp(prefix="chm-pg-test-"))
    path.chmod(0o755)
    yield path
    shutil.rmtree(path, ignore_errors=True)


def test_not_installed_is_a_clear_message(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(postgres, "DEBIAN_ROOT", tmp_path / "no-postgresql")
    monkeypatch.setattr(postgres.shutil, "which", lambda _name: None)
    monkeypatch.delenv("CHM_PG_BINDIR", raising=False)
    with pytest.raises(PostgresUnavailable, match=r"run \./scripts/system-packages\.sh"):
        postgres.find_bindir()


def test_a_server_left_by_a_killed_process_is_stopped_by_the_next_start(parent: Path) -> None:
    """kill -9 skips atexit: the next start finds the cluster of a dead owner and stops it."""
    owner = subprocess.Popen(
        [sys.executable, "-c", SERVE_AND_HANG, str(parent)], stdout=subprocess.PIPE, text=True, cwd=ROOT
    )
    try:
        assert owner.stdout is not None
        root = Path(owner.stdout.readline().strip())
        pid_file = root / "data" / "postmaster.pid"
        assert pid_file.exists()
        server_pid = int(pid_file.read_text().splitlines()[0])
    finally:
        owner.send_signal(signal.SIGKILL)
        owner.wait()
    assert root.exists()  # nothing ran at exit
    assert reap_abandoned(postgres.find_bindir(), parent) == [root]
    assert not root.exists()
    deadline = time.monotonic() + 10
    while Path(f"/proc/{server_pid}").exists() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not Path(f"/proc/{server_pid}").exists()


def test_databases_copied_from_a_template_and_stopped_cleanly(parent: Path) -> None:
    server = PostgresServer(parent=parent).start()
    root = server.root
    try:
        server.create_database("tpl")
        server.psql("CREATE TABLE t (n int); INSERT INTO t VALUES (41), (1)", database="tpl")
        server.create_database("copy_1", template="tpl")
        assert server.psql("SELECT sum(n) FROM t", database="copy_1").strip() == "42"
        assert server.dsn("copy_1") == f"postgresql+psycopg://postgres@127.0.0.1:{server.port}/copy_1"
        server.drop_database("copy_1")
        with pytest.raises(ValueError, match="plain database name"):
            server.create_database("x; DROP DATABASE tpl")
    finally:
        server.stop()
    assert root is not None and not root.exists()


def test_the_developer_command_prints_the_url_and_stops_on_ctrl_c() -> None:
    command = subprocess.Popen(
        [sys.executable, "-m", "devservers.postgres"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=ROOT,
    )
    try:
        assert command.stdout is not None
        line = command.stdout.readline().strip()
        assert line.startswith("CHM_CATALOGUE_URL=postgresql+psycopg://postgres@127.0.0.1:")
        from sqlalchemy import create_engine, text

        engine = create_engine(line.split("=", 1)[1])
        with engine.connect() as connection:  # migrated: the catalogue's tables are there
            assert connection.execute(text("SELECT count(*) FROM records")).scalar() == 0
        engine.dispose()
    finally:
        command.send_signal(signal.SIGINT)
        assert command.wait(timeout=60) == 0


def test_a_private_temporary_directory_is_not_where_the_cluster_goes(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """As root the cluster belongs to the postgres user: a TMPDIR only root can enter (pytest's,
    a CI runner's) would make initdb fail, so /tmp is used instead."""
    private = tmp_path / "private"
    private.mkdir(mode=0o700)
    monkeypatch.setattr(tempfile, "tempdir", str(private))
    expected = Path("/tmp") if os.geteuid() == 0 else private
    assert postgres.cluster_parent() == expected
    if os.geteuid() == 0:
        with pytest.raises(PostgresUnavailable, match="cannot reach"):
            postgres.cluster_parent(private)
