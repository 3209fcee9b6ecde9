"""A page's strings table is read from its data file and refused, naming the fault, when a
language is missing or lacks a key English has (a translator's slip must not reach a reader)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from record_catalogue.errors import ConfigurationError
from record_catalogue.languages import UN_LANGUAGES
from record_catalogue.ui_strings import load_strings


def _package(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, table: object) -> str:
    package = tmp_path / "strings_package"
    (package / "data").mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "data" / "page.json").write_text(json.dumps(table, ensure_ascii=False), encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delitem(sys.modules, "strings_package", raising=False)
    return "strings_package"


def _table() -> dict[str, dict[str, str]]:
    return {lang: {"title": f"title in {lang}", "back": "← 返回"} for lang in UN_LANGUAGES}


def test_a_complete_table_is_read_as_written(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert load_strings(_package(tmp_path, monkeypatch, _table()), "page") == _table()


def test_a_language_without_a_key_is_refused_naming_both(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    table = _table()
    del table["ru"]["back"]
    with pytest.raises(ConfigurationError, match=r"page\.json: ru lacks or adds keys English has not: back"):
        load_strings(_package(tmp_path, monkeypatch, table), "page")


def test_a_missing_language_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    table = _table()
    del table["ar"]
    with pytest.raises(ConfigurationError, match="the languages must be ar, en, es, fr, ru, zh"):
        load_strings(_package(tmp_path, monkeypatch, table), "page")


def test_a_value_that_is_not_text_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    table: dict[str, dict[str, object]] = {lang: dict(strings) for lang, strings in _table().items()}
    table["zh"]["title"] = {"other": "标题"}
    with pytest.raises(ConfigurationError, match="zh has a value that is not a string"):
        load_strings(_package(tmp_path, monkeypatch, table), "page")
