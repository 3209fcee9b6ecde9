"""A throwaway PostgreSQL server on loopback, run from Debian's binaries: for the tests and for developers.

    python -m devservers.postgres        # start one, print its DSN, stop it on Ctrl-C

The suite starts one per session (``tests/conftest.py``): a template database is migrated once
with the catalogue's migrations, and every test gets its own copy (``CREATE DATABASE ... TEMPLATE``),
which costs a few milliseconds. The cluster lives in a temporary directory with durability off
(``fsync``, ``full_page_writes``, ``synchronous_commit``): nothing in it is meant to survive.

``initdb`` refuses to run as root, so as root the cluster belongs to the ``postgres`` system user
(made by Debian's package) and its programs run through ``runuser`` (or ``su``). The server is
stopped when the process that started it exits (``atexit``); one left behind by a process that
was killed is stopped by the next start. Standard library only: the tests' fixtures and a
developer's shell use it before anything else is set up.
"""

from __future__ import annotations

import argparse
import atexit
import contextlib
import os
import pwd
import re
import shlex
import shutil
import signal
import socket
import stat
import subprocess
import sys
import tempfile
import threading
import uuid
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from types import TracebackType

from devservers import log_tail
from ingest.lifeline import alive

INSTALL_HINT = "PostgreSQL is not installed: run ./scripts/system-packages.sh (it installs Debian's postgresql)"
SUPERUSER = "postgres"  # the cluster's superuser, and the system user that owns it when we run as root
PREFIX = "chm-postgres-"  # temporary directories of clusters started here
OWNER_FILE = "owner.pid"  # the pid of the process that started a cluster, to find abandoned ones
TOOLS = ("initdb", "pg_ctl", "psql")
SERVER_OPTIONS = (
    "-c fsync=off -c full_page_writes=off -c synchronous_commit=off "
    "-c max_connections=300 -c listen_addresses=127.0.0.1"
)
NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")
DEBIAN_ROOT = Path("/usr/lib/postgresql")  # Debian's server programs: <version>/bin, off the PATH


class PostgresUnavailable(RuntimeError):
    """PostgreSQL cannot be found, started or used; the message says what to try."""


def find_bindir() -> Path:
    """The directory holding ``initdb``, ``pg_ctl`` and ``psql``.

    In order: ``$CHM_PG_BINDIR``; the newest ``/usr/lib/postgresql/<version>/bin`` (Debian keeps
    the server programs there, off the PATH); ``pg_config --bindir``; ``initdb`` on the PATH.
    """
    candidates: list[Path] = []
    override = os.environ.get("CHM_PG_BINDIR")
    if override:
        candidates.append(Path(override))
    debian = DEBIAN_ROOT
    if debian.is_dir():
        versions = [p for p in debian.iterdir() if p.name.replace(".", "").isdigit()]
        for version in sorted(versions, key=lambda p: [int(part) for part in p.name.split(".")], reverse=True):
            candidates.append(version / "bin")
    pg_config = shutil.which("pg_config")
    if pg_config:
        with contextlib.suppress(OSError, subprocess.SubprocessError):
            out = subprocess.run([pg_config, "--bindir"], capture_output=True, text=True, timeout=10, check=True)
            candidates.append(Path(out.stdout.strip()))
    initdb = shutil.which("initdb")
    if initdb:
        candidates.append(Path(initdb).resolve().parent)
    for candidate in candidates:
        if all((candidate / tool).is_file() for tool in TOOLS):
            return candidate
    raise PostgresUnavailable(INSTALL_HINT)


def free_port() -> int:
    """A TCP port on loopback that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _running_as_root() -> bool:
    return os.geteuid() == 0


def _owner_ids() -> tuple[int, int]:
    """uid and gid of the ``postgres`` system user (clusters started as root belong to it)."""
    try:
        entry = pwd.getpwnam(SUPERUSER)
    except KeyError:
        raise PostgresUnavailable(
            f"running as root, PostgreSQL needs the {SUPERUSER!r} system user, which Debian's postgresql "
            "package creates: run ./scripts/system-packages.sh"
        ) from None
    return entry.pw_uid, entry.pw_gid


def _as_owner(argv: Sequence[str]) -> list[str]:
    """``argv`` run as the cluster's owner: ourselves, or the postgres user when we are root."""
    if not _running_as_root():
        return list(argv)
    runuser = shutil.which("runuser")
    if runuser:
        return [runuser, "-u", SUPERUSER, "--", *argv]
    su = shutil.which("su")
    if su:
        return [su, SUPERUSER, "-s", "/bin/sh", "-c", shlex.join(argv)]
    raise PostgresUnavailable(
        "running as root, PostgreSQL must run as the postgres user, but runuser and su are missing"
    )


def _traversable(path: Path) -> bool:
    """Whether every directory from the root down to ``path`` lets other users through."""
    for directory in (path.resolve(), *path.resolve().parents):
        try:
            if not directory.stat().st_mode & stat.S_IXOTH:
                return False
        except OSError:
            return False
    return True


def cluster_parent(parent: Path | None = None) -> Path:
    """Where clusters go: ``parent``, or the temporary directory; as root it must be one the
    postgres user can reach (a private ``TMPDIR`` is not), else ``/tmp``."""
    chosen = parent or Path(tempfile.gettempdir())
    if not _running_as_root() or _traversable(chosen):
        return chosen
    if parent is None and _traversable(Path("/tmp")):
        return Path("/tmp")
    raise PostgresUnavailable(f"the postgres user cannot reach {chosen}: give a directory every user can traverse")


class PostgresServer:
    """One cluster in a temporary directory, served on a loopback port; superuser ``postgres``, no password."""

    def __init__(self, bindir: Path | None = None, port: int | None = None, parent: Path | None = None) -> None:
        self.bindir = bindir or find_bindir()
        self.requested_port = port
        self.parent = parent
        self.port = 0
        self.root: Path | None = None
        self._lock = threading.Lock()
        self._running = False

    # -- paths -----------------------------------------------------------------------------------
    @property
    def data_dir(self) -> Path:
        return self._root() / "data"

    @property
    def socket_dir(self) -> Path:
        return self._root() / "run"

    @property
    def log_file(self) -> Path:
        return self._root() / "server.log"

    def _root(self) -> Path:
        if self.root is None:
            raise PostgresUnavailable("the PostgreSQL server has not been started")
        return self.root

    def dsn(self, database: str = "postgres") -> str:
        """The SQLAlchemy URL of ``database`` on this server (psycopg 3 driver)."""
        return f"postgresql+psycopg://{SUPERUSER}@127.0.0.1:{self.port}/{database}"

    # -- life --------------------------------------------------------------------------------------
    def start(self) -> PostgresServer:
        """initdb into a fresh temporary directory, then start the server and wait until it answers."""
        with self._lock:
            if self._running:
                return self
            parent = cluster_parent(self.parent)
            reap_abandoned(self.bindir, parent)
            self.root = Path(tempfile.mkdtemp(prefix=PREFIX, dir=parent))
            (self.root / OWNER_FILE).write_text(str(os.getpid()), encoding="utf-8")
            self.data_dir.mkdir()
            self.socket_dir.mkdir()
            if _running_as_root():
                uid, gid = _owner_ids()
                for path in (self.root, self.data_dir, self.socket_dir):
                    os.chown(path, uid, gid)
            atexit.register(self.stop)
            try:
                self._initdb()
                self._start_server()
            except BaseException:
                self._remove()
                raise
            self._running = True
            return self

    def _run(self, argv: Sequence[str], what: str, timeout: float = 120) -> str:
        try:
            done = subprocess.run(
                _as_owner(argv), capture_output=True, text=True, timeout=timeout, check=False, cwd=self._root()
            )
        except (OSError, subprocess.SubprocessError) as exc:
            raise PostgresUnavailable(f"{what} failed: {exc}") from None
        if done.returncode != 0:
            detail = (done.stderr or done.stdout).strip().splitlines()[-6:]
            raise PostgresUnavailable(f"{what} failed (exit {done.returncode}): " + " | ".join(detail))
        return done.stdout

    def _initdb(self) -> None:
        self._run(
            [
                str(self.bindir / "initdb"),
                "-D",
                str(self.data_dir),
                "-U",
                SUPERUSER,
                "--auth=trust",
                "--encoding=UTF8",
                "--locale=C",  # byte order, as SQLite sorts
                "--no-sync",
            ],
            "initdb",
        )

    def _start_server(self) -> None:
        attempts = 1 if self.requested_port else 5
        for attempt in range(attempts):
            self.port = self.requested_port or free_port()
            options = f"-p {self.port} -k {self.socket_dir} {SERVER_OPTIONS}"
            try:
                self._run(
                    [
                        str(self.bindir / "pg_ctl"),
                        "-D",
                        str(self.data_dir),
                        "-l",
                        str(self.log_file),
                        "-w",
                        "-t",
                        "60",
                        "-o",
                        options,
                        "start",
                    ],
                    "pg_ctl start",
                )
                return
            except PostgresUnavailable as exc:
                log = log_tail(self.log_file, 8)
                if "already in use" in log and attempt + 1 < attempts:
                    continue  # another process took the port between our probe and the server's bind
                raise PostgresUnavailable(f"{exc}; server log: {log}") from None

    def stop(self) -> None:
        """Stop the server (immediately: its data is thrown away) and remove its directory."""
        with self._lock:
            if self.root is None:
                return
            if self._running and (self.data_dir / "postmaster.pid").exists():
                with contextlib.suppress(PostgresUnavailable):
                    self._run(
                        [str(self.bindir / "pg_ctl"), "-D", str(self.data_dir), "-m", "immediate", "-w", "stop"],
                        "pg_ctl stop",
                        60,
                    )
            self._running = False
            self._remove()

    def _remove(self) -> None:
        if self.root is not None:
            shutil.rmtree(self.root, ignore_errors=True)
            self.root = None

    def __enter__(self) -> PostgresServer:
        return self.start()

    def __exit__(
        self, _type: type[BaseException] | None, _value: BaseException | None, _traceback: TracebackType | None
    ) -> None:
        self.stop()

    # -- SQL ---------------------------------------------------------------------------------------
    def psql(self, sql: str, database: str = "postgres") -> str:
        """Run ``sql`` with psql over the server's Unix socket; its output, unaligned, without headers."""
        argv = [
            str(self.bindir / "psql"),
            "-h",
            str(self.socket_dir),
            "-p",
            str(self.port),
            "-U",
            SUPERUSER,
            "-d",
            database,
            "-X",
            "-q",
            "-A",
            "-t",
            "-v",
            "ON_ERROR_STOP=1",
            "-c",
            sql,
        ]
        try:
            done = subprocess.run(argv, capture_output=True, text=True, timeout=120, check=False)
        except (OSError, subprocess.SubprocessError) as exc:
            raise PostgresUnavailable(f"psql failed: {exc}") from None
        if done.returncode != 0:
            raise PostgresUnavailable(f"psql {sql!r} failed: {done.stderr.strip()}")
        return done.stdout

    def create_database(self, name: str, template: str | None = None) -> str:
        """A new database (a copy of ``template`` if given); returns its DSN."""
        _check_name(name)
        sql = f'CREATE DATABASE "{name}"'
        if template is not None:
            _check_name(template)
            sql += f' TEMPLATE "{template}"'
        self.psql(sql)
        return self.dsn(name)

    def drop_database(self, name: str) -> None:
        """Drop ``name``, disconnecting whoever is still connected to it."""
        _check_name(name)
        self.psql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _check_name(name: str) -> None:
    if not NAME.match(name):
        raise ValueError(f"{name!r} is not a plain database name (lower-case letters, digits, _)")


def reap_abandoned(bindir: Path, parent: Path | None = None) -> list[Path]:
    """Stop and remove the clusters of processes that died without stopping them (kill -9)."""
    reaped: list[Path] = []
    for root in Path(parent or tempfile.gettempdir()).glob(PREFIX + "*"):
        try:
            owner = int((root / OWNER_FILE).read_text(encoding="utf-8").strip())
        except (OSError, ValueError):
            continue  # being set up right now, or not ours
        if alive(owner):
            continue
        data = root / "data"
        if (data / "postmaster.pid").exists():
            with contextlib.suppress(OSError, subprocess.SubprocessError, PostgresUnavailable):
                subprocess.run(
                    _as_owner([str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop"]),
                    capture_output=True,
                    timeout=60,
                    check=False,
                )
        shutil.rmtree(root, ignore_errors=True)
        reaped.append(root)
    return reaped


def migrate_catalogue(dsn: str) -> None:
    """Bring the catalogue's schema in ``dsn`` to the latest migration (as every start of the app does)."""
    from record_catalogue.db import make_engine, migrate

    engine = make_engine(dsn)
    try:
        migrate(engine)
    finally:
        engine.dispose()


class TemplateDatabases:
    """Fresh databases copied from one template: the template is prepared once (migrated), each
    copy costs a ``CREATE DATABASE ... TEMPLATE``. Copies are dropped with ``drop``."""

    def __init__(
        self, server: PostgresServer, prepare: Callable[[str], None] = migrate_catalogue, template: str = "chm_template"
    ) -> None:
        self.server = server
        self.template = template
        server.create_database(template)
        prepare(server.dsn(template))  # must leave no connection open: a template in use cannot be copied

    def create(self, prefix: str = "t") -> tuple[str, str]:
        """A new copy of the template: its name and DSN."""
        name = f"{prefix}_{uuid.uuid4().hex[:16]}"
        return name, self.server.create_database(name, self.template)

    def drop(self, name: str) -> None:
        self.server.drop_database(name)

    @contextlib.contextmanager
    def database(self, prefix: str = "t") -> Iterator[str]:
        """A fresh copy for the duration of the block; its DSN."""
        name, dsn = self.create(prefix)
        try:
            yield dsn
        finally:
            self.drop(name)


def main(argv: Sequence[str] | None = None) -> int:
    """Start a server for a developer, print how to point the project at it, stop it on Ctrl-C."""
    parser = argparse.ArgumentParser(
        prog="python -m devservers.postgres", description="Start a throwaway PostgreSQL on loopback."
    )
    parser.add_argument("--port", type=int, default=None, help="TCP port (default: a free one)")
    parser.add_argument("--database", default="chm", help="database to create (default: chm)")
    parser.add_argument("--no-migrate", action="store_true", help="leave the database empty (no catalogue tables)")
    args = parser.parse_args(argv)
    try:
        server = PostgresServer(port=args.port)
    except PostgresUnavailable as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    try:
        server.start()
        dsn = server.create_database(args.database)
        if not args.no_migrate:
            migrate_catalogue(dsn)
    except (PostgresUnavailable, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except Exception as exc:  # e.g. the catalogue's migrations: one line, not a traceback
        print(f"error: {exc.__class__.__name__}: {str(exc).splitlines()[0] if str(exc) else ''}", file=sys.stderr)
        server.stop()
        return 1
    print(f"CHM_CATALOGUE_URL={dsn}", flush=True)
    print(
        f"PostgreSQL {server.bindir.parent.name} on 127.0.0.1:{server.port}, data thrown away on exit; Ctrl-C stops it",
        file=sys.stderr,
    )
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    while not stop.wait(1.0):
        pass
    server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
