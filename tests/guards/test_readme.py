"""README against the code (datasette's test_docs pattern): every setting and every command is
documented, and nothing documented is gone from the code."""

from __future__ import annotations

import re
from collections.abc import Iterator

import click
import typer.main

from record_catalogue.codes import ROLES
from record_catalogue.settings import Settings
from search_api.cli import app
from tests.conftest import ROOT

README = (ROOT / "README.md").read_text(encoding="utf-8")
# Variables README names that are not settings: the test harness's own.
NOT_SETTINGS = {"CHM_PG_BINDIR", "CHM_CHROMIUM"}


def setting_variables() -> set[str]:
    prefix = Settings.model_config.get("env_prefix", "")
    return {f"{prefix}{name}".upper() for name in Settings.model_fields}


def documented(variable: str) -> bool:
    """Named in README, literally or by a family such as ``CHM_TRANSLATE_*``."""
    if re.search(rf"\b{variable}\b", README):
        return True
    return any(variable.startswith(family + "_") for family in re.findall(r"\b(CHM_[A-Z0-9_]+)_\*", README))


def test_every_setting_is_documented() -> None:
    assert sorted(v for v in setting_variables() if not documented(v)) == []


def test_every_variable_readme_names_is_a_setting() -> None:
    named = set(re.findall(r"\bCHM_[A-Z0-9_]*[A-Z0-9]\b", README)) - NOT_SETTINGS
    assert sorted(named - setting_variables()) == []


def commands(group: click.Command, path: tuple[str, ...] = ()) -> Iterator[str]:
    for name, command in getattr(group, "commands", {}).items():
        yield " ".join((*path, name))
        yield from commands(command, (*path, name))


def test_every_command_is_documented() -> None:
    """``chm-search keys revoke`` or, in a line listing a group's commands, ``keys revoke``."""
    cli = typer.main.get_command(app)
    missing = [c for c in commands(cli) if f"chm-search {c}" not in README and f"| {c}" not in README]
    assert missing == []


def test_every_documented_command_exists() -> None:
    cli = typer.main.get_command(app)
    known = set(commands(cli))
    # "chm-search WORD" as a command, not the widget's <chm-search api=…> element.
    written = {m.group(1) for m in re.finditer(r"(?<!<)chm-search ([a-z][a-z-]+)(?!=)", README)}
    assert sorted(written - known) == []


def test_the_key_roles_readme_lists_are_the_code_s() -> None:
    listed = re.search(r"# roles: ([a-z, ]+)", README)
    assert listed is not None, "README's `keys` line no longer lists the roles"
    assert [role.strip() for role in listed[1].split(",")] == list(ROLES)
