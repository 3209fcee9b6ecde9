"""A light ``chm-search`` command loads none of the heavy libraries (README "Command line").

``--help`` of the root, of every command and group, and a command refused for a missing option
run in a fresh process, as a user runs them; none of them may import the SQL toolkit, the HTTP
client, the language, translation and search libraries, the web server, or the pipeline, engine
and analysis modules: each command imports what it uses inside its function, so the ~330
``chm-search`` processes a test run starts pay only for what they do.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import typer.main

from search_api.cli import app
from tests.commands import environment, run_python

# Libraries and modules no light command needs (a name stands for its submodules too).
HEAVY = (
    "sqlalchemy",
    "alembic",
    "psycopg",
    "httpx",
    "spacy",
    "langdetect",
    "argostranslate",
    "ctranslate2",
    "sentencepiece",
    "tantivy",
    "opensearchpy",
    "elasticsearch",
    "fastapi",
    "starlette",
    "uvicorn",
    "trafilatura",
    "pypdf",
    "rich.progress",
    "analyzers",
    "search_index",
    "record_catalogue.store",
    "record_catalogue.models",
    "record_catalogue.record",
    "ingest.pipeline",
    "ingest.harvest",
    "translate.worker",
    "translate.packages",
)
# The CLI as tests/commands.py runs it, then which of HEAVY it left in sys.modules, as JSON on the
# last line of stdout (after whatever the command printed).
PROBE = """
import json, sys
from search_api.cli import main
heavy = {heavy!r}
try:
    main()
except SystemExit as exc:
    code = exc.code
else:
    code = 0
loaded = [h for h in heavy if any(m == h or m.startswith(h + ".") for m in sys.modules)]
print(json.dumps({{"exit": code, "heavy": loaded}}))
"""


def light_commands() -> list[tuple[str, ...]]:
    """The root's ``--help``, each command's and group's ``--help``, and a command missing its options."""
    names = sorted(getattr(typer.main.get_command(app), "commands", {}))
    assert "keys" in names  # the root's commands were found
    return [("--help",), *((name, "--help") for name in names), ("keys", "create")]


def probe(tmp_path: Path, args: tuple[str, ...]) -> tuple[dict[str, object], str]:
    done = run_python(["-c", PROBE.format(heavy=HEAVY), *args], environment(tmp_path))
    *_, last = done.stdout.splitlines() or [""]
    return json.loads(last), done.stdout + done.stderr


@pytest.mark.parametrize("args", light_commands(), ids=" ".join)
def test_a_light_command_imports_no_heavy_module(tmp_path: Path, args: tuple[str, ...]) -> None:
    found, output = probe(tmp_path, args)
    assert found["exit"] == (2 if args == ("keys", "create") else 0), output
    assert "Usage:" in output  # the command ran: its help, or the usage line of a refusal
    assert found["heavy"] == []


def test_the_probe_sees_a_heavy_import(tmp_path: Path) -> None:
    """A command that opens the catalogue does import SQLAlchemy (a guard that cannot fail guards nothing)."""
    found, output = probe(tmp_path, ("keys", "list"))
    assert found["exit"] == 0, output
    assert "sqlalchemy" in found["heavy"]
