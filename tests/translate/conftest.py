"""Real Argos packages built for the tests, installed into temporary directories.

Packages are built once per builder version (cached under pytest's cache directory, keyed by a
hash of ``devtools/argos_models.py``) and installed once per session with the real
``argostranslate.package.install_from_path``. Argos Translate reads its directories from the
environment when ``argostranslate.settings`` is first imported, so that import happens here with
``XDG_*`` pointing into the session's temporary directory: the tests never touch the user's
packages or settings, and the variables are restored right after (a browser or another tool
run by other tests reads the real ones).
"""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from devtools.argos_models import cached_package
from record_catalogue.memory_store import TranslationMemory
from record_catalogue.store import Catalogue
from translate.argos_engine import ArgosEngine
from translate.glossary import Glossary
from translate.packages import environment_set, install_file
from translate.translator import Translator


@dataclass(frozen=True)
class Models:
    """The built package files and a packages directory with the standard set installed."""

    archives: dict[str, Path]
    installed: Path
    home: Path

    def env(self, packages: Path | None = None) -> dict[str, str]:
        """Environment for a ``chm-search`` subprocess using these packages (never the user's)."""
        return {
            "XDG_DATA_HOME": str(self.home / "data"),
            "XDG_CONFIG_HOME": str(self.home / "config"),
            "XDG_CACHE_HOME": str(self.home / "cache"),
            "CHM_MODELS_DIR": str(packages or self.installed),
            "CHM_TRANSLATE_INTRA_THREADS": "1",
        }


@pytest.fixture(scope="session")
def models(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Models]:
    """en→fr, es→en, a broken en→ru (corrupt model.bin) and a mislabelled en→ar (writes Spanish)."""
    home = tmp_path_factory.mktemp("argos-home")
    imported_before = "argostranslate.settings" in sys.modules
    argos_home = {
        "XDG_DATA_HOME": str(home / "data"),
        "XDG_CONFIG_HOME": str(home / "config"),
        "XDG_CACHE_HOME": str(home / "cache"),
        "ARGOS_PACKAGES_DIR": str(home / "unused-packages"),
    }
    with environment_set(argos_home):
        from argostranslate import settings  # type: ignore[import-untyped]

        # Imported earlier by another test, Argos' own directories may be the user's; our code never
        # uses them (every directory is passed explicitly), so only a first import is checked.
        assert imported_before or str(settings.data_dir).startswith(str(home))
    pytest_cache = getattr(request.config, "cache", None)  # absent with -p no:cacheprovider
    if pytest_cache:
        cache = Path(pytest_cache.mkdir("chm-test-models"))
    elif os.environ.get("PYTEST_XDIST_WORKER"):  # built once for the run's workers (cached_package locks)
        cache = tmp_path_factory.getbasetemp().parent / "chm-test-models"
    else:
        cache = home / "built"
    archives = {
        "en_fr": cached_package("en", "fr", cache),
        "es_en": cached_package("es", "en", cache),
        "en_ru": cached_package("en", "ru", cache),
        "en_ar": cached_package("en", "ar", cache, output_language="es"),
    }
    installed = home / "packages"
    for archive in archives.values():
        install_file(archive, installed)
    (installed / "translate-en_ru-1_0" / "model" / "model.bin").write_bytes(b"this is not a CTranslate2 model")
    yield Models(archives, installed, home)


@pytest.fixture
def packages(models: Models, tmp_path: Path) -> Path:
    """A private copy of the installed set, for tests that add or remove packages."""
    target = tmp_path / "packages"
    shutil.copytree(models.installed, target)
    return target


@pytest.fixture(scope="session")
def engine(models: Models) -> Iterator[ArgosEngine]:
    """One engine over the standard set for the session (loaded models stay loaded)."""
    engine = ArgosEngine(models.installed, intra_threads=1)
    yield engine
    engine.close()


@pytest.fixture
def store(tmp_path: Path, catalogue_url: str | None) -> Iterator[Catalogue]:
    catalogue = Catalogue(catalogue_url or f"sqlite:///{tmp_path}/c.sqlite3")
    yield catalogue
    catalogue.close()


@pytest.fixture
def translator(engine: ArgosEngine, store: Catalogue) -> Translator:
    return Translator(engine, TranslationMemory(store.sessions), Glossary.load())
