"""The status vocabularies are spelled once (``record_catalogue/codes.py``), checked on every run.

A comparison with a bare string of one of them (``status == "reviewed"``, ``kind in ("machine",
"mixed")``) is the typo nobody sees: ``"reveiwed"`` compares false and nothing fails. Code compares
with the members (``TextStatus.REVIEWED``), which a typo turns into an AttributeError and a
reader can find every use of. The check looks at comparisons only: a word in a message or a
docstring is prose, and a bare value stored or sent is caught by the columns and API models,
which take the enums.
"""

from __future__ import annotations

import ast
from enum import StrEnum
from pathlib import Path

from record_catalogue import codes
from tests.conftest import ROOT
from tests.guards.test_layering import PACKAGES

GUARDED = (
    codes.Provenance,
    codes.TextStatus,
    codes.TranslationStatus,
    codes.SegmentKind,
    codes.QueueStatus,
    codes.EditStatus,
    codes.MemoryExport,
    codes.RunStatus,
    codes.TranslatedKind,
    codes.SourceKind,
)
# Also an upsert's outcome (``record_catalogue.store.Outcome``: created, updated, unchanged).
SHARED_WORDS = frozenset({"unchanged"})
WORDS = frozenset(member.value for vocabulary in GUARDED for member in vocabulary) - SHARED_WORDS


def _strings(node: ast.expr) -> list[str]:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value]
    if isinstance(node, ast.Tuple | ast.List | ast.Set):
        return [e.value for e in node.elts if isinstance(e, ast.Constant) and isinstance(e.value, str)]
    return []


def bare_comparisons(source: str) -> list[str]:
    """``line: comparison`` for each comparison in ``source`` with a bare vocabulary word."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Compare):
            sides = [node.left, *node.comparators]
            if any(word in WORDS for side in sides for word in _strings(side)):
                found.append(f"{node.lineno}: {ast.unparse(node)}")
    return found


def _code_modules() -> list[Path]:
    return [
        path
        for package in PACKAGES
        for path in sorted((ROOT / package).rglob("*.py"))
        if path != ROOT / "record_catalogue" / "codes.py" and "migrations" not in path.parts
    ]


def test_the_vocabularies_are_compared_by_member_not_by_bare_string() -> None:
    bare = [
        f"{path.relative_to(ROOT)}:{where}" for path in _code_modules() for where in bare_comparisons(path.read_text())
    ]
    assert bare == []


def test_every_guarded_vocabulary_is_a_str_enum_of_codes() -> None:
    assert all(issubclass(vocabulary, StrEnum) and vocabulary.__module__ == codes.__name__ for vocabulary in GUARDED)
    assert {"reviewed", "stale", "running", "mixed", "all", "feed"} <= WORDS


def test_the_vocabulary_check_can_fail() -> None:
    source = (
        '"""A docstring may say status == "reviewed"."""\n'
        'if status == "reviewed":\n'
        "    pass\n"
        'ok = kind in ("machine", "mixed")\n'
        "fine = status == TextStatus.STALE\n"
        'message = f"{status} is not reviewed"\n'
        'same = outcome != "unchanged"\n'
    )
    assert bare_comparisons(source) == [
        "2: status == 'reviewed'",
        "4: kind in ('machine', 'mixed')",
    ]
