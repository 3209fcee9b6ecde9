"""The CLI's one output layer: a failure is one line with its cause's exit code from the error
table, results go to stdout exactly as written, and every listing command's ``--json`` is one JSON
array of objects — run as a user runs ``chm-search``, in real processes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import typer

from record_catalogue.cli_output import emit_json, fail, say
from record_catalogue.errors import OUTCOMES, Cause, ChmSearchError, DiskFull
from tests.commands import run


@pytest.mark.parametrize("cause", list(Cause))
def test_fail_exits_with_the_causes_code_in_one_line(cause: Cause, capsys: pytest.CaptureFixture[str]) -> None:
    error = type("Failing", (ChmSearchError,), {"cause": cause})("the [bold]reason[/bold]")
    exit_ = fail(error)
    assert isinstance(exit_, typer.Exit) and exit_.exit_code == OUTCOMES[cause].exit_code
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err == f"{OUTCOMES[cause].label}: the [bold]reason[/bold]\n"  # markup in a message is text


def test_a_plain_message_fails_as_bad_input_unless_told(capsys: pytest.CaptureFixture[str]) -> None:
    assert fail("--status must be one of current, all").exit_code == 2
    assert fail("the index is gone", Cause.SEARCH_UNAVAILABLE).exit_code == 4
    assert capsys.readouterr().err.splitlines() == [
        "error: --status must be one of current, all",
        "search engine unavailable: the index is gone",
    ]
    assert fail(DiskFull("no space left where /data is: 0 bytes free")).exit_code == 4


def test_say_writes_exactly_what_it_is_given(capsys: pytest.CaptureFixture[str]) -> None:
    line = "a\t[red]record[/red] :smile: " + "x" * 300
    say(line)
    assert capsys.readouterr().out == line + "\n"


def test_emit_json_writes_one_array(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    from datetime import datetime

    emit_json([{"at": datetime(2026, 1, 2, 3, 4, 5), "path": tmp_path, "n": 1, "text": "forêt"}])
    assert json.loads(capsys.readouterr().out) == [
        {"at": "2026-01-02T03:04:05", "path": str(tmp_path), "n": 1, "text": "forêt"}
    ]


def listing(tmp_path: Path, *args: str) -> list[dict[str, object]]:
    done = run(tmp_path, *args, "--json")
    assert done.returncode == 0, done.stderr
    rows = json.loads(done.stdout)
    assert isinstance(rows, list)
    return rows


def test_keys_list_json(tmp_path: Path) -> None:
    assert listing(tmp_path, "keys", "list") == []
    assert run(tmp_path, "keys", "create", "--role", "curator", "--name", "Ana").returncode == 0
    made = run(tmp_path, "keys", "create", "--role", "partner", "--name", "Peru", "--preset", "government=pe")
    key = made.stdout.strip()
    assert run(tmp_path, "keys", "revoke", "Ana").returncode == 0
    rows = {row["name"]: row for row in listing(tmp_path, "keys", "list")}
    assert set(rows) == {"Ana", "Peru"}
    assert rows["Ana"]["role"] == "curator" and rows["Ana"]["revoked_at"] is not None
    assert rows["Peru"]["revoked_at"] is None and rows["Peru"]["presets"] == {"government": ["pe"]}
    assert key.startswith(str(rows["Peru"]["prefix"])) and key not in json.dumps(rows)  # never the key itself


def test_sources_list_json(tmp_path: Path) -> None:
    assert listing(tmp_path, "sources", "list") == []
    added = run(
        tmp_path, "sources", "add", "abs", "--kind", "cbd", "--url", "https://api.example.org", "--realm", "ABS"
    )
    assert added.returncode == 0, added.stderr
    [row] = listing(tmp_path, "sources", "list")
    assert (row["name"], row["kind"], row["url"]) == ("abs", "cbd", "https://api.example.org")
    assert row["params"]["realm"] == "ABS" and row["last_run_at"] is None  # type: ignore[index]
    assert row["resumption"] is None  # a cbd source never has an unfinished OAI-PMH list


def test_errors_json(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text('{"header": {"identifier": "X"}}', encoding="utf-8")
    assert run(tmp_path, "ingest", str(bad)).returncode == 0
    [row] = listing(tmp_path, "errors")
    assert row["source"] == str(bad) and row["record_id"] == "X"
    assert "record has no header.schema" in str(row["reason"]) and row["run_id"]
    assert listing(tmp_path, "errors", "--run", "no-such-run") == []


def test_a_listing_of_nothing_is_an_empty_array_not_a_sentence(tmp_path: Path) -> None:
    assert run(tmp_path, "errors").stdout.strip() == "no ingest errors"
    assert listing(tmp_path, "errors") == []
