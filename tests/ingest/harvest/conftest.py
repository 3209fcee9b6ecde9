"""Harvest tests: the `chm-search` command run as a user runs it, against fixture sources on loopback."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator

import pytest

from analyzers.detect import LanguageDetector
from devtools.commands import clean_environment
from ingest.pipeline import Pipeline
from record_catalogue.settings import Settings
from record_catalogue.store import Catalogue
from search_index.factory import get_backend
from tests.commands import CLI
from tests.conftest import ROOT
from tests.ingest.harvest.fixture_server import FixtureServer, World

__all__ = ["CLI", "ROOT", "chm", "environment"]


def environment(settings: Settings) -> dict[str, str]:
    env = clean_environment(CHM_DATA_DIR=str(settings.data_dir), COLUMNS="250")
    if settings.catalogue_url:
        env["CHM_CATALOGUE_URL"] = settings.catalogue_url
    return env


def chm(settings: Settings, *args: str, timeout: float = 180) -> subprocess.CompletedProcess[str]:
    """Run ``chm-search ARGS`` on ``settings``'s catalogue and index."""
    return subprocess.run(
        [*CLI, *args], capture_output=True, text=True, env=environment(settings), timeout=timeout, cwd=ROOT
    )


@pytest.fixture
def pipeline(settings: Settings) -> Iterator[Pipeline]:
    """The ingest pipeline on ``settings`` (each module's own: the root's, or its override)."""
    backend = get_backend(settings)
    yield Pipeline(Catalogue(settings.catalogue_dsn), backend, LanguageDetector(settings.languages), settings.languages)
    backend.close()


@pytest.fixture
def serve() -> Iterator[callable]:  # type: ignore[valid-type]
    """Start fixture servers on ``World`` s; stopped after the test."""
    servers: list[FixtureServer] = []

    def start(world: World) -> FixtureServer:
        server = FixtureServer(world).__enter__()
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.__exit__(None, None, None)
