"""``chm-search translate`` and ``chm-search models``, run as a user runs them: real processes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from devtools.commands import CLI_ARGS
from record_catalogue.settings import load_settings
from search_index.base import SearchQuery
from search_index.tantivy_backend import TantivyBackend
from tests.translate.conftest import Models

CLI = [sys.executable, *CLI_ARGS]
ROOT = Path(__file__).resolve().parents[2]


def run(tmp_path: Path, models: Models, packages: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("CHM_", "ARGOS_", "XDG_"))}
    environment.update(models.env(packages), CHM_DATA_DIR=str(tmp_path / "data"), COLUMNS="200", **env)
    return subprocess.run([*CLI, *args], capture_output=True, text=True, env=environment, timeout=120, cwd=ROOT)


def test_models_install_list_translate_search_remove(tmp_path: Path, models: Models) -> None:
    packages = tmp_path / "packages"
    installed = run(tmp_path, models, packages, "models", "install", "--file", str(models.archives["en_fr"]))
    assert installed.returncode == 0, installed.stderr
    assert "installed en → fr: translate-en_fr 1.0" in installed.stdout
    listed = run(tmp_path, models, packages, "models", "list")
    assert listed.returncode == 0 and "en → fr  translate-en_fr 1.0" in listed.stdout

    document = tmp_path / "strategy.txt"
    document.write_text(
        "The national strategy on biological diversity\n"
        "The forest is protected by the government. The cat eats the fish in the river.\n",
        encoding="utf-8",
    )
    assert run(tmp_path, models, packages, "ingest", str(document)).returncode == 0
    translated = run(tmp_path, models, packages, "translate", "--lang", "fr", "--lang", "es")
    assert translated.returncode == 0, translated.stderr
    assert "1 records read, 1 with work: 2 fields translated, 0 failed the sanity gate, 2 pending" in translated.stdout
    assert "pending (2 fields): en→es: no translation model for en→es" in translated.stdout
    assert "segments/s" in translated.stderr  # the progress bar

    backend = TantivyBackend(load_settings(data_dir=tmp_path / "data").index_dir)
    try:
        hits = backend.search(SearchQuery(text="forêt", lang="fr")).hits
        assert len(hits) == 1 and hits[0].source["status"]["fr"] == "machine"
        assert hits[0].source["title"]["fr"] == "La nationale stratégie sur diversité biologique"
    finally:
        backend.close()

    again = run(tmp_path, models, packages, "translate", "--lang", "fr")
    assert "0 fields translated" in again.stdout and "0 distinct segments: 0 by the model" in again.stdout

    removed = run(tmp_path, models, packages, "models", "remove", "en", "fr")
    assert removed.returncode == 0 and "removed en → fr" in removed.stdout
    assert "no translation models installed" in run(tmp_path, models, packages, "models", "list").stdout


def test_install_from_the_index_fails_clearly_offline(tmp_path: Path, models: Models) -> None:
    result = run(
        tmp_path,
        models,
        tmp_path / "packages",
        "models",
        "install",
        "en",
        "fr",
        CHM_ARGOS_INDEX_URL="http://127.0.0.1:9/",
    )
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in result.stderr
    assert lines[0].startswith("error: Argos package index unreachable: cannot reach http://127.0.0.1:9/index.json")
    assert "models install --file" in lines[0]


def test_a_broken_model_is_reported_and_the_others_go_on(tmp_path: Path, models: Models) -> None:
    document = tmp_path / "forest.txt"
    document.write_text("The forest\nThe cat eats the fish.\n", encoding="utf-8")
    assert run(tmp_path, models, models.installed, "ingest", str(document)).returncode == 0
    result = run(tmp_path, models, models.installed, "translate", "--lang", "fr", "--lang", "ru")
    assert result.returncode == 1
    assert "2 fields translated" in result.stdout
    assert "model en→ru failed to load: translate-en_ru 1.0" in result.stderr
    assert "Traceback" not in result.stderr


def test_bad_arguments_are_one_line(tmp_path: Path, models: Models) -> None:
    result = run(tmp_path, models, tmp_path / "p", "translate", "--lang", "klingon")
    assert result.returncode == 2 and "unknown language 'klingon'" in result.stderr
    result = run(tmp_path, models, tmp_path / "p", "models", "install")
    assert result.returncode == 2 and "give FROM TO" in result.stderr
    result = run(tmp_path, models, tmp_path / "p", "models", "install", "--file", str(tmp_path / "nope.argosmodel"))
    assert result.returncode == 1 and "no such file" in result.stderr


def test_models_list_json(tmp_path: Path, models: Models) -> None:
    """``models list --json``: one object per installed package, with the pairs it serves through English."""
    packages = tmp_path / "packages"
    for pair in ("en_fr", "es_en"):
        done = run(tmp_path, models, packages, "models", "install", "--file", str(models.archives[pair]))
        assert done.returncode == 0, done.stderr
    listed = run(tmp_path, models, packages, "models", "list", "--json")
    assert listed.returncode == 0, listed.stderr
    rows = {(row["source"], row["target"]): row for row in json.loads(listed.stdout)}
    assert set(rows) == {("en", "fr"), ("es", "en")}
    assert rows[("en", "fr")]["name"] == "translate-en_fr" and rows[("en", "fr")]["problem"] is None
    assert {"source": "es", "target": "fr"} in rows[("en", "fr")]["through_english"]
    assert Path(rows[("es", "en")]["path"]).is_dir()
