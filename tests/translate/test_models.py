"""``chm-search models install/update/list`` against a local Argos index (the real JSON format)
serving the tests' tiny real packages: checksums, faulty downloads, updates, reach."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from devtools.commands import CLI_ARGS
from record_catalogue.settings import get_settings
from tests.conftest import ROOT
from tests.translate.conftest import Models
from tests.translate.index_server import FixtureIndex, serve_index, with_version
from translate.argos_engine import ArgosEngine
from translate.packages import IndexUnreachable, PackageError, install_from_index, installed, read_index

CLI = [sys.executable, *CLI_ARGS]


@pytest.fixture
def index(models: Models, monkeypatch: pytest.MonkeyPatch) -> Iterator[FixtureIndex]:
    with serve_index() as served:
        served.offer(models.archives["en_fr"], "en", "fr")
        served.offer(models.archives["es_en"], "es", "en", checksum=False)  # as the real index: no checksum
        monkeypatch.setenv("CHM_ARGOS_INDEX_URL", served.url)
        get_settings.cache_clear()
        yield served
    get_settings.cache_clear()


def leftovers(directory: Path) -> list[str]:
    """Anything in a packages directory that is not an installed package (staging, downloads)."""
    return sorted(p.name for p in directory.iterdir() if p.name.startswith(".")) if directory.exists() else []


def test_the_index_is_read_in_its_real_format(index: FixtureIndex) -> None:
    entries = {(e.source, e.target): e for e in read_index()}
    assert set(entries) == {("en", "fr"), ("es", "en")}
    assert entries["en", "fr"].code == "translate-en_fr" and entries["en", "fr"].version == "1.0"
    assert entries["en", "fr"].sha256 is not None and entries["es", "en"].sha256 is None
    assert entries["en", "fr"].links[1].startswith("ipfs://")  # kept, and skipped when downloading


def test_install_verifies_and_installs_then_translates(index: FixtureIndex, tmp_path: Path) -> None:
    target = tmp_path / "models"
    package = install_from_index("en", "fr", target, timeout=5)
    assert (package.source, package.target, package.version) == ("en", "fr", "1.0")
    assert ArgosEngine(target).translate("en", "fr", ["The forest is protected."]) == ["La forêt est protégée."]
    assert install_from_index("es", "en", target, timeout=5).problem is None  # no checksum: CRCs still checked
    assert [r for r in index.requests if r.endswith(".argosmodel")] == [
        "translate-en_fr-1_0.argosmodel",
        "translate-es_en-1_0.argosmodel",
    ]
    assert leftovers(target) == []


def test_a_bad_checksum_or_a_cut_download_leaves_nothing_and_says_what_to_try(
    index: FixtureIndex, models: Models, tmp_path: Path
) -> None:
    target = tmp_path / "models"
    index.entries[0]["sha256"] = "0" * 64
    with pytest.raises(IndexUnreachable) as failed:
        install_from_index("en", "fr", target, timeout=5)
    message = str(failed.value)
    assert "\n" not in message and "checksum mismatch" in message
    assert "try again, or without access to the index, download the .argosmodel" in message
    assert installed(target) == [] and leftovers(target) == []

    index.truncate.add("translate-es_en-1_0.argosmodel")
    with pytest.raises(IndexUnreachable, match=r"not a zip archive|corrupted download|cannot reach"):
        install_from_index("es", "en", target, timeout=5)
    assert installed(target) == [] and leftovers(target) == []

    with pytest.raises(PackageError, match=r"the Argos index has no en→zh package \(it has: en→fr, es→en\)"):
        install_from_index("en", "zh", target, timeout=5)


def test_a_failed_update_keeps_the_installed_version_working(
    index: FixtureIndex, models: Models, tmp_path: Path
) -> None:
    target = tmp_path / "models"
    install_from_index("en", "fr", target, timeout=5)
    newer = with_version(models.archives["en_fr"], "1.1", tmp_path / "newer.argosmodel")
    name = index.offer(newer, "en", "fr", "1.1")
    index.truncate.add(name)
    with pytest.raises(IndexUnreachable):
        install_from_index("en", "fr", target, timeout=5)
    [package] = installed(target)
    assert package.version == "1.0" and leftovers(target) == []
    assert ArgosEngine(target).translate("en", "fr", ["The cat."]) == ["La chat."]


def cli(tmp_path: Path, models: Models, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("CHM_", "ARGOS_", "XDG_"))}
    environment.update(models.env(tmp_path / "models"), CHM_DATA_DIR=str(tmp_path / "data"), COLUMNS="200", **env)
    environment["CHM_LANGUAGES"] = "en,fr,es"
    return subprocess.run([*CLI, *args], capture_output=True, text=True, env=environment, timeout=120, cwd=ROOT)


def test_models_install_list_update_from_the_command_line(index: FixtureIndex, models: Models, tmp_path: Path) -> None:
    url = {"CHM_ARGOS_INDEX_URL": index.url}
    for source, target in (("en", "fr"), ("es", "en")):
        done = cli(tmp_path, models, "models", "install", source, target, **url)
        assert done.returncode == 0, done.stderr
        assert f"installed {source} → {target}: translate-{source}_{target} 1.0" in done.stdout
    listed = cli(tmp_path, models, "models", "list", **url)
    assert listed.returncode == 0, listed.stderr
    lines = listed.stdout.splitlines()
    assert "en → fr  translate-en_fr 1.0; also serves through English: es→fr" in lines
    assert "es → en  translate-es_en 1.0; also serves through English: es→fr" in lines

    up_to_date = cli(tmp_path, models, "models", "update", **url)
    assert up_to_date.returncode == 0 and "en → fr 1.0: up to date" in up_to_date.stdout
    index.offer(with_version(models.archives["en_fr"], "1.1", tmp_path / "newer.argosmodel"), "en", "fr", "1.1")
    updated = cli(tmp_path, models, "models", "update", **url)
    assert updated.returncode == 0, updated.stderr
    assert "updated en → fr: 1.0 → 1.1" in updated.stdout and "es → en 1.0: up to date" in updated.stdout
    assert sorted(p.version for p in installed(tmp_path / "models")) == ["1.0", "1.1"]  # es→en 1.0, en→fr 1.1

    offline = cli(tmp_path, models, "models", "install", "en", "fr", CHM_ARGOS_INDEX_URL="http://127.0.0.1:9/")
    assert offline.returncode == 1
    [line] = offline.stderr.strip().splitlines()
    assert line.startswith("error: Argos package index unreachable: cannot reach http://127.0.0.1:9/index.json")
