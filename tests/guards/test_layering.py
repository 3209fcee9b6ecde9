"""The packages' import rule (README "How it is built", docs/architecture.md), checked on every run.

Imports run downhill: ``record_catalogue`` at the bottom; ``analyzers`` and ``search_index`` above
it (``search_index`` may use ``analyzers``' text primitives, never the reverse); ``ingest`` and
``translate`` above those and never each other; ``search_api`` on top, imported by nothing.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from tests.conftest import ROOT

PACKAGES = ("record_catalogue", "analyzers", "search_index", "ingest", "translate", "search_api")
MAY_IMPORT: dict[str, set[str]] = {
    "record_catalogue": set(),
    "analyzers": {"record_catalogue"},
    "search_index": {"record_catalogue", "analyzers"},
    "ingest": {"record_catalogue", "analyzers", "search_index"},
    "translate": {"record_catalogue", "analyzers", "search_index"},
    "search_api": set(PACKAGES),
}


def imported_packages(path: Path) -> list[tuple[int, str]]:
    """(line, module) of every absolute import of one of our packages in ``path``."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        names = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module]
        found.extend((node.lineno, name) for name in names if name.split(".")[0] in PACKAGES)
    return found


@pytest.mark.parametrize("package", PACKAGES)
def test_imports_run_downhill(package: str) -> None:
    crossings = [
        f"{path.relative_to(ROOT)}:{line} imports {module}"
        for path in sorted((ROOT / package).rglob("*.py"))
        for line, module in imported_packages(path)
        if (target := module.split(".")[0]) != package and target not in MAY_IMPORT[package]
    ]
    assert crossings == []


def test_the_rule_can_fail(tmp_path: Path) -> None:
    """The check sees an upward import (a guard that cannot fail guards nothing)."""
    module = tmp_path / "bad.py"
    module.write_text("from search_api.app import create_app\nimport translate.worker\n", encoding="utf-8")
    assert imported_packages(module) == [(1, "search_api.app"), (2, "translate.worker")]


@pytest.mark.parametrize("tool", ["tests", "bench"])
def test_tests_and_benchmarks_do_not_import_each_other(tool: str) -> None:
    other = "bench" if tool == "tests" else "tests"
    crossings = [
        f"{path.relative_to(ROOT)}:{node.lineno}"
        for path in sorted((ROOT / tool).rglob("*.py"))
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
        if (isinstance(node, ast.ImportFrom) and node.level == 0 and (node.module or "").split(".")[0] == other)
        or (isinstance(node, ast.Import) and any(alias.name.split(".")[0] == other for alias in node.names))
    ]
    assert crossings == []
