"""What ``chm-search`` prints, in one place: results on stdout, notices and progress on stderr,
failures as one line with the exit code their cause has in the error table, ``--json`` listings.

Every command module (``ingest/cli.py``, ``ingest/records_cli.py``, ``ingest/harvest_cli.py``,
``translate/cli.py``, ``search_api/cli.py``) prints through this module, so that a script can
rely on the same things everywhere: stdout holds only what the command was asked for (with
``--json``, one JSON array a program can read for a listing, one JSON object for a status
report), stderr what a person watching needs, and the exit code says what went wrong
(``record_catalogue.errors.OUTCOMES``). It lives beside the error table in the lowest package
because the ingest and translate commands may not import ``search_api``.

Every ``chm-search`` run imports all the command modules (typer needs each command's signature),
so they import at their top only what defining a command takes (typer, this module, the
settings, the error table, the codes an option names); what a command works with (the
catalogue, the pipeline, an engine, the HTTP client, the translation libraries, progress bars) is
imported inside the command's function, type-only names under ``TYPE_CHECKING``. ``--help`` and a
refused command thus load none of it (``tests/guards/test_cli_imports.py``).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape

from record_catalogue.errors import OUTCOMES, Cause, ChmSearchError

if TYPE_CHECKING:
    from rich.progress import Progress, ProgressColumn

# Results with markup (tables, a word in colour); plain results are written as they are.
out = Console(soft_wrap=True, highlight=False, emoji=False)
# Notices, warnings, progress bars and failures: for the person watching, never parsed.
err = Console(stderr=True, soft_wrap=True, highlight=False, emoji=False)

USAGE_EXIT = OUTCOMES[Cause.BAD_INPUT].exit_code  # a command called the wrong way
JsonOption = Annotated[
    bool, typer.Option("--json", help="Print one JSON array of objects (for scripts) instead of lines.")
]
ReportJsonOption = Annotated[
    bool, typer.Option("--json", help="Print the report as one JSON object (for scripts) instead of lines.")
]


def say(text: str, *, markup: bool = False) -> None:
    """One line of the command's result on stdout: exactly ``text`` (a record id or a reason
    holding "[red]" or a tab prints as it is, never wrapped), or rich markup when asked."""
    if markup:
        out.print(text, markup=True)
    else:
        typer.echo(text)


def note(text: str, *, markup: bool = False) -> None:
    """One line for the person watching, on stderr (progress, waiting, what to do next)."""
    err.print(text, markup=markup)


def warn(text: str) -> None:
    """A problem the command carried on after, on stderr in red (``text`` is printed as it is)."""
    err.print(f"[red]{escape(text)}[/]")


def fail(problem: ChmSearchError | str, cause: Cause = Cause.BAD_INPUT) -> typer.Exit:
    """Print why the command stops (one line on stderr) and return the ``typer.Exit`` to raise.

    An error carries its cause; a plain message is ``cause``'s (by default bad input: a wrong
    option or argument, exit 2). The exit code is the cause's in the error table."""
    if isinstance(problem, ChmSearchError):
        outcome, message = problem.outcome, str(problem)
    else:
        outcome, message = OUTCOMES[cause], problem
    err.print(f"[red]{outcome.label}:[/] {escape(message)}")
    return typer.Exit(outcome.exit_code)


def progress(*columns: str | ProgressColumn) -> Progress:
    """A progress bar on stderr (stdout stays the result's)."""
    from rich.progress import Progress  # only the commands that show one pay for it

    return Progress(*columns, console=err, transient=False)


def _plain(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Path):
        return str(value)
    raise TypeError(f"{type(value).__name__} is not JSON")


def emit_json(rows: Iterable[Mapping[str, Any]]) -> None:
    """A listing as one JSON array on stdout (dates in ISO 8601, paths as strings)."""
    typer.echo(json.dumps([dict(row) for row in rows], ensure_ascii=False, default=_plain, indent=1))


def emit_json_report(report: Mapping[str, Any]) -> None:
    """A status report (``health``, ``translate --status``) as one JSON object on stdout."""
    typer.echo(json.dumps(dict(report), ensure_ascii=False, default=_plain, indent=1))
