"""Shared fixtures: settings in a temporary data directory, a migrated catalogue, sample paths.

The catalogue is a fixture parameter, like the engines: every test that takes ``settings``,
``catalogue`` or ``catalogue_url`` runs once on SQLite (``[sqlite]``, the default file in the
test's data directory) and once on PostgreSQL (``[postgresql]``, a fresh database copied from a
template migrated once, on a server this session starts: ``devservers/postgres.py``). A test that
builds its own settings opts in with ``load_settings(..., catalogue_url=catalogue_url)``;
session-scoped fixtures use ``catalogue_database(kind, postgres)`` with ``params=CATALOGUES``.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine

from devservers.postgres import PostgresServer, PostgresUnavailable, TemplateDatabases, migrate_catalogue
from record_catalogue.settings import Settings, load_settings
from record_catalogue.store import Catalogue

# The engines' session fixtures (a real OpenSearch node and cluster) for every suite, and
# pytest-xdist's loadgroup as `make test` runs it (tests/xdist_groups.py).
pytest_plugins = ["tests.engines", "tests.xdist_groups"]

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "samples"
CATALOGUES = ("sqlite", "postgresql")


# Where third-party libraries keep state under the user's home: pointed into each test's own
# directory so that no test reads or writes the developer's Argos packages, Stanza resources or
# caches (and a developer's installed models cannot make a test pass).
HOME_VARIABLES = ("HOME", "XDG_DATA_HOME", "XDG_CONFIG_HOME", "XDG_CACHE_HOME", "XDG_STATE_HOME")
THIRD_PARTY_VARIABLES = ("ARGOS_PACKAGES_DIR", "ARGOS_DEVICE_TYPE", "STANZA_RESOURCES_DIR", "HF_HOME", "SPACY_DATA")


def pytest_configure(config: pytest.Config) -> None:
    """Compile the project's modules once, before the first test: the suite starts hundreds of
    Python processes (each ``chm-search`` run, server and worker), and where
    ``PYTHONDONTWRITEBYTECODE`` is set (as on the development machines and CI) each of them would
    otherwise compile every module it imports again. ``__pycache__`` is in .gitignore. Done by the
    process that starts the run (pytest-xdist's workers start after it)."""
    if hasattr(config, "workerinput"):
        return
    import compileall

    for package in sorted(path for path in ROOT.iterdir() if (path / "__init__.py").is_file()):
        compileall.compile_dir(package, quiet=2)


@pytest.fixture(autouse=True)
def _isolated_environment(monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory) -> None:
    """Tests never read the developer's CHM_* variables except CHM_ES_URL (which selects ES tests)
    and CHM_PG_BINDIR (which PostgreSQL's programs the suite starts), nor the developer's home."""
    import os

    for name in list(os.environ):
        if name.startswith("CHM_") and not name.startswith(("CHM_ES_", "CHM_PG_")):
            monkeypatch.delenv(name)
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("HOME", str(home))
    for name in HOME_VARIABLES[1:]:
        monkeypatch.setenv(name, str(home / name.lower()))
    for name in THIRD_PARTY_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    from record_catalogue.settings import get_settings

    get_settings.cache_clear()


@pytest.fixture(scope="session")
def _sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite catalogue migrated once for this process by the catalogue's own migrations."""
    path = tmp_path_factory.mktemp("sqlite-template") / "catalogue.sqlite3"
    migrate_catalogue(f"sqlite:///{path}")  # as PostgreSQL's template is made
    return path


@pytest.fixture(autouse=True)
def _sqlite_catalogues_from_template(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """A new, empty SQLite catalogue that a test opens in this process starts as a copy of
    ``_sqlite_template`` (SQLite's backup API), as PostgreSQL's databases start as copies of a
    template: running the eighteen migrations again took a tenth of a second of CPU each time,
    for about a thousand catalogues a run. Catalogues that hold anything (an older schema a test
    made) and every ``chm-search`` process migrate for themselves; a test marked
    ``fresh_migrations`` sees the migrations run on its new catalogue."""
    if request.node.get_closest_marker("fresh_migrations"):
        return
    import sqlite3

    from record_catalogue import store
    from record_catalogue.dialect import sqlite_file

    migrate = store.migrate
    template: Path | None = None

    def from_template(engine: Engine) -> None:
        nonlocal template
        database = sqlite_file(engine.url)
        if database is not None and _empty_sqlite(Path(database)):
            template = template or request.getfixturevalue("_sqlite_template")
            with (
                contextlib.closing(sqlite3.connect(template)) as source,
                contextlib.closing(sqlite3.connect(database)) as target,
            ):
                source.backup(target)
        migrate(engine)  # at the head now: one SELECT; else (not ours to copy) the migrations run

    monkeypatch.setattr(store, "migrate", from_template)


def _empty_sqlite(database: Path) -> bool:
    """Whether the SQLite file at ``database`` is missing or has no table, index or trigger yet."""
    import sqlite3

    if not database.exists():
        return True
    with contextlib.closing(sqlite3.connect(database)) as connection:
        return connection.execute("SELECT count(*) FROM sqlite_master").fetchone()[0] == 0


@pytest.fixture(scope="session")
def postgres() -> Iterator[TemplateDatabases]:
    """The session's PostgreSQL server, with the catalogue's template database (migrated once)."""
    try:
        server = PostgresServer().start()
    except PostgresUnavailable as exc:
        pytest.fail(f"the PostgreSQL catalogue tests cannot start a server: {exc}", pytrace=False)
    try:
        yield TemplateDatabases(server)
    finally:
        server.stop()


@contextlib.contextmanager
def catalogue_database(kind: str, request: pytest.FixtureRequest) -> Iterator[str | None]:
    """The catalogue URL for ``kind``: None for SQLite (the default file in the data directory), or
    the DSN of a fresh PostgreSQL database, dropped afterwards."""
    if kind == "sqlite":
        yield None
        return
    databases: TemplateDatabases = request.getfixturevalue("postgres")
    with databases.database() as dsn:
        yield dsn


@pytest.fixture(params=CATALOGUES)
def catalogue_url(request: pytest.FixtureRequest) -> Iterator[str | None]:
    """The catalogue a test runs on: None (SQLite in its data directory) or a fresh PostgreSQL database."""
    with catalogue_database(request.param, request) as url:
        yield url


@pytest.fixture
def settings(tmp_path: Path, catalogue_url: str | None) -> Settings:
    """Embedded defaults inside a fresh data directory, on the test's catalogue."""
    return load_settings(data_dir=tmp_path / "data", es_url=None, catalogue_url=catalogue_url)


@pytest.fixture
def catalogue(settings: Settings) -> Iterator[Catalogue]:
    store = Catalogue(settings.catalogue_dsn)
    yield store
    store.close()
