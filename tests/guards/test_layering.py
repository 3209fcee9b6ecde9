"""The packages' import rule (README "How it is built", docs/architecture.md), checked on every run.

Imports run downhill: ``record_catalogue`` at the bottom; ``analyzers`` and ``search_index`` above
it (``search_index`` may use ``analyzers``' text primitives, never the reverse); ``ingest`` and
``translate`` above those and never each other; ``search_api`` on top, imported by nothing.
"""

from __future__ import annotations

import ast
import re
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


# -- SQL lives in the catalogue ------------------------------------------------------------------
# ``record_catalogue`` is the only package that talks to the database: the others work with the
# typed records it returns. Database drivers and SQL toolkits may be imported there alone.
DATABASE_MODULES = ("sqlalchemy", "alembic", "psycopg", "psycopg2", "sqlite3")
SQL_STATEMENT = re.compile(
    r"\b(?:SELECT\s+\S|INSERT\s+INTO|UPDATE\s+\w+\s+SET|DELETE\s+FROM|LISTEN\s+\w|NOTIFY\s+\w|pg_\w+\s*\()"
)
# Calls only a database session or statement has: a module that makes them is running queries.
SESSION_CALLS = frozenset({"execute", "scalars", "scalar", "with_for_update", "get_bind", "execution_options"})
# Every package but the catalogue: none imports SQLAlchemy or a driver, even to catch their
# errors (the catalogue raises the project's: ``record_catalogue.db.database_error``).
SQL_FREE_PACKAGES = tuple(package for package in PACKAGES if package != "record_catalogue")


def _docstrings(tree: ast.AST) -> set[int]:
    """ids of the string constants that are docstrings (prose may name SQL; code may not)."""
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                found.add(id(first.value))
    return found


def sql_in(source: str) -> list[str]:
    """Where ``source`` imports a database module, writes an SQL statement or calls a session."""
    tree = ast.parse(source)
    docstrings = _docstrings(tree)
    found = []
    for node in ast.walk(tree):
        modules: list[str] = []
        if isinstance(node, ast.Import):
            modules = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            modules = [node.module]
        found.extend(
            f"{node.lineno}: imports {module}" for module in modules if module.split(".")[0] in DATABASE_MODULES
        )
        if (
            isinstance(node, ast.Constant)
            and isinstance(node.value, str)
            and id(node) not in docstrings
            and SQL_STATEMENT.search(node.value)
        ):
            found.append(f"{node.lineno}: SQL {node.value[:40]!r}")
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in SESSION_CALLS:
            found.append(f"{node.lineno}: calls .{node.func.attr}()")
        if isinstance(node, ast.Attribute) and node.attr == "dialect":
            found.append(f"{node.lineno}: asks for the database's dialect")
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            called = node.func
            if called.attr == "sessions" or (
                called.attr == "begin" and isinstance(called.value, ast.Attribute) and called.value.attr == "sessions"
            ):
                found.append(f"{node.lineno}: opens a session")
    return found


def _sql_free_modules() -> list[Path]:
    return [path for package in SQL_FREE_PACKAGES for path in sorted((ROOT / package).rglob("*.py"))]


def test_only_the_catalogue_writes_sql() -> None:
    """No module outside ``record_catalogue`` imports a database library, holds SQL or runs a query."""
    crossings = [
        f"{path.relative_to(ROOT)}:{where}"
        for path in _sql_free_modules()
        for where in sql_in(path.read_text(encoding="utf-8"))
    ]
    assert crossings == []


def test_only_the_catalogue_makes_table_rows() -> None:
    """Rows (inserts) are made by the catalogue's functions; other packages change the typed
    records it returns, never construct a mapped class themselves."""
    import record_catalogue.event_models
    import record_catalogue.memory_models
    import record_catalogue.work_models  # noqa: F401 - every table's class registered
    from record_catalogue.models import Base

    tables = {mapper.class_.__name__ for mapper in Base.registry.mappers}
    assert {"FieldText", "TranslationMemoryEntry", "TranslationUse", "TranslationWork"} <= tables
    makers = [
        f"{path.relative_to(ROOT)}:{node.lineno} makes a {node.func.id}"
        for path in _sql_free_modules()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in tables
    ]
    assert makers == []


def test_the_sql_check_can_fail() -> None:
    """Each kind of crossing is seen; prose about SQL in a docstring is not one."""
    source = (
        '"""Takes rows with SELECT … FOR UPDATE SKIP LOCKED."""\n'
        "from sqlalchemy import select\n"
        "import psycopg\n"
        "def f(session):\n"
        '    """UPDATE x SET y: prose."""\n'
        '    session.execute("UPDATE translation_memory SET id = id WHERE 0 = 1")\n'
        '    return "SELECT pg_advisory_xact_lock(:key)"\n'
        'postgres = engine.dialect.name == "postgresql"\n'
        "with catalogue.sessions() as session, self.sessions.begin() as other:\n"
        "    pass\n"
        "run(catalogue.sessions)\n"
    )
    assert sorted(sql_in(source)) == [
        "2: imports sqlalchemy",
        "3: imports psycopg",
        "6: SQL 'UPDATE translation_memory SET id = id WH'",
        "6: calls .execute()",
        "7: SQL 'SELECT pg_advisory_xact_lock(:key)'",
        "8: asks for the database's dialect",
        "9: opens a session",
        "9: opens a session",
    ]
    assert sql_in('"""Reads with SELECT."""\nx = {"a": 1}.get("a")\n') == []


def test_audit_entries_have_one_writer() -> None:
    """Every audit row is made by ``record_catalogue.audit`` (typed action names), nowhere else."""
    writers = [
        f"{path.relative_to(ROOT)}:{node.lineno}"
        for package in PACKAGES
        for path in sorted((ROOT / package).rglob("*.py"))
        if path.relative_to(ROOT).as_posix() != "record_catalogue/audit.py"
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "AuditEntry"
    ]
    assert writers == []
