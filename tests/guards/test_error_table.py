"""README's table of exit and error codes against ``record_catalogue.errors.OUTCOMES`` (datasette's
test_docs pattern), and the hierarchy's one rule: every exception class of ours is a ``ChmSearchError``."""

from __future__ import annotations

import ast
import builtins
import re
from pathlib import Path

import pytest

from record_catalogue.errors import EXIT_DEGRADED, EXIT_INTERRUPTED, EXIT_OK, EXIT_PARTIAL, OUTCOMES, Cause
from tests.conftest import ROOT
from tests.guards.test_layering import PACKAGES

README = (ROOT / "README.md").read_text(encoding="utf-8")
# | `cause` | 503 (`Retry-After: 30`) | `code` | 4 | example |
CAUSE_ROW = re.compile(r"^\| `([a-z_]+)` \| (\d{3})(?: \(`Retry-After: (\d+)`\))? \| `([a-z_]+)` \| (\d+) \|", re.M)
EXIT_TABLE = re.compile(r"^\| exit code \| meaning \|\n\|[-|]+\|\n((?:\|.*\n)+)", re.M)
BUILTIN_EXCEPTIONS = {
    name for name, value in vars(builtins).items() if isinstance(value, type) and issubclass(value, BaseException)
}


def readme_rows() -> dict[str, tuple[int, int | None, str, int]]:
    return {
        cause: (int(status), int(retry) if retry else None, code, int(exit_code))
        for cause, status, retry, code, exit_code in CAUSE_ROW.findall(README)
    }


def test_readme_lists_every_cause_as_the_table_maps_it() -> None:
    table = {
        cause.value: (outcome.status, outcome.retry_after, outcome.code, outcome.exit_code)
        for cause, outcome in OUTCOMES.items()
    }
    assert readme_rows() == table


def test_readme_lists_the_exit_codes_that_are_no_errors() -> None:
    table = EXIT_TABLE.search(README)
    assert table is not None
    codes = {int(row.split("|")[1]) for row in table.group(1).splitlines()}
    assert codes == {EXIT_OK, EXIT_PARTIAL, EXIT_DEGRADED, EXIT_INTERRUPTED}


def test_every_cause_has_an_outcome() -> None:
    assert set(OUTCOMES) == set(Cause)


def test_the_readme_check_can_fail() -> None:
    """A row with another exit code is seen as different (a guard that cannot fail guards nothing)."""
    row = "| `disk_full` | 503 (`Retry-After: 30`) | `storage_unavailable` | 9 | x |\n"
    assert CAUSE_ROW.findall(row) == [("disk_full", "503", "30", "storage_unavailable", "9")]


def exception_classes_outside_the_hierarchy(path: Path) -> list[str]:
    """Classes in ``path`` deriving from built-in exceptions only (not through one of ours)."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if not isinstance(node, ast.ClassDef):
            continue
        bases = [base.id if isinstance(base, ast.Name) else ast.unparse(base) for base in node.bases]
        if bases and any(b in BUILTIN_EXCEPTIONS for b in bases) and all(b in BUILTIN_EXCEPTIONS for b in bases):
            where = path.relative_to(ROOT) if path.is_relative_to(ROOT) else path.name
            found.append(f"{where}:{node.lineno} {node.name}({', '.join(bases)})")
    return found


@pytest.mark.parametrize("package", PACKAGES)
def test_every_exception_class_is_a_chm_search_error(package: str) -> None:
    """Only ``ChmSearchError`` itself derives from ``Exception`` alone; the rest have a cause."""
    outside = [
        found
        for path in sorted((ROOT / package).rglob("*.py"))
        for found in exception_classes_outside_the_hierarchy(path)
        if not found.endswith("ChmSearchError(Exception)")
    ]
    assert outside == []


def test_the_hierarchy_check_can_fail(tmp_path: Path) -> None:
    """A class outside the hierarchy is seen, one inside it is not."""
    module = tmp_path / "bad.py"
    module.write_text("class Oops(ValueError):\n    pass\n\nclass Fine(BadInput, ValueError):\n    pass\n")
    assert exception_classes_outside_the_hierarchy(module) == ["bad.py:1 Oops(ValueError)"]
