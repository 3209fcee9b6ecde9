"""Shared fixtures: settings in a temporary data directory, a migrated catalogue, sample paths."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from record_catalogue.settings import Settings, load_settings
from record_catalogue.store import Catalogue

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "samples"


@pytest.fixture(autouse=True)
def _isolated_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests never read the developer's CHM_* variables except CHM_ES_URL (which selects ES tests)."""
    import os

    for name in list(os.environ):
        if name.startswith("CHM_") and not name.startswith("CHM_ES_"):
            monkeypatch.delenv(name)
    from record_catalogue.settings import get_settings

    get_settings.cache_clear()


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """Embedded defaults inside a fresh data directory."""
    return load_settings(data_dir=tmp_path / "data", es_url=None)


@pytest.fixture
def catalogue(settings: Settings) -> Iterator[Catalogue]:
    store = Catalogue(settings.catalogue_dsn)
    yield store
    store.close()
