"""``chm-search translate`` and ``chm-search models``: registered on the root CLI.

Known failures end with one line saying what is wrong and what to do, and a non-zero exit: 1 for
a package that cannot be installed or removed (the Argos index unreachable included), and 1
after a translate run in which a model failed to load (the other pairs were still done).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskProgressColumn,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from record_catalogue.languages import UN_LANGUAGES
from record_catalogue.record import REALMS
from record_catalogue.settings import get_settings
from record_catalogue.store import Catalogue
from search_index.factory import get_backend
from translate.argos_engine import ArgosEngine
from translate.glossary import Glossary
from translate.memory import TranslationMemory
from translate.packages import PackageError, install_file, install_from_index, installed, packages_dir, remove
from translate.translator import Translator
from translate.worker import TranslateReport, TranslateWorker

console = Console(stderr=True)
out = Console()
models_app = typer.Typer(no_args_is_help=True, help="List, install and remove translation models (Argos packages).")


def _fail(message: str, code: int = 1) -> typer.Exit:
    console.print(f"[red]error:[/] {message}", soft_wrap=True, highlight=False)
    return typer.Exit(code)


def _language(code: str) -> str:
    code = code.strip().lower()
    if code not in UN_LANGUAGES:
        raise _fail(f"unknown language {code!r}; known: {', '.join(UN_LANGUAGES)}", 2)
    return code


def translate(
    realm: Annotated[
        list[str] | None, typer.Option(help="Only records of this realm (CHM, ABS, BCH); repeatable.")
    ] = None,
    lang: Annotated[list[str] | None, typer.Option(help="Only into this language; repeatable. Default: all.")] = None,
    limit: Annotated[int | None, typer.Option(min=1, help="Translate at most this many records.")] = None,
    glossary: Annotated[Path | None, typer.Option(help="A glossary CSV instead of the project's own.")] = None,
    batch: Annotated[int, typer.Option(min=1, help="Records per batch (their sentences share model calls).")] = 64,
) -> None:
    """Fill the missing UN-language versions of every record's texts with machine translation, then re-index."""
    realms = [r.upper() for r in realm or []]
    unknown = [r for r in realms if r not in REALMS]
    if unknown:
        raise _fail(f"unknown realm(s) {', '.join(unknown)}; known: {', '.join(REALMS)}", 2)
    targets = [_language(code) for code in lang or []]
    settings = get_settings()
    try:
        terms = Glossary.load(glossary)
    except (OSError, ValueError) as exc:
        raise _fail(f"glossary: {exc}", 2) from None
    catalogue = Catalogue(settings.catalogue_dsn)
    backend = get_backend(settings)
    engine = ArgosEngine()
    if not engine.models():
        console.print(
            f"[yellow]no translation model installed in {engine.directory}[/]: every text stays pending; "
            "install one with `chm-search models install FROM TO` (or `--file X.argosmodel`)",
            soft_wrap=True,
        )
    translator = Translator(engine, TranslationMemory(catalogue.sessions), terms)
    worker = TranslateWorker(catalogue, backend, translator, settings.languages, batch_records=batch)
    columns = (
        TextColumn("[bold]translate[/]"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("records"),
        TextColumn("{task.fields[segments]} segments"),
        TextColumn("{task.fields[rate]:.1f} segments/s"),
        TaskProgressColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=console) as bar:
        task = bar.add_task("translate", total=None, segments=0, rate=0.0)

        def show(report: TranslateReport) -> None:
            bar.update(
                task,
                total=report.records_total,
                completed=report.records_seen,
                segments=report.stats.segments,
                rate=report.segments_per_second,
            )

        try:
            report = worker.run(realms, targets, limit, progress=show)
        finally:
            backend.close()
            engine.close()
            catalogue.close()
    out.print(report.summary(), soft_wrap=True, highlight=False)
    for reason, count in sorted(report.pending_reasons.items()):
        out.print(f"pending ({count} fields): {reason}", soft_wrap=True, highlight=False)
    for doc_id, reason in report.index_errors:
        console.print(f"[red]not indexed:[/] {doc_id}: {reason}", soft_wrap=True, highlight=False)
    for pair, reason in sorted(report.model_errors.items()):
        console.print(f"[red]model {pair} failed to load:[/] {reason}", soft_wrap=True, highlight=False)
    if report.model_errors or report.index_errors:
        raise typer.Exit(1)


@models_app.command("list")
def list_models() -> None:
    """The installed translation packages: pair, name, version, and what is wrong with broken ones."""
    directory = packages_dir()
    found = installed(directory)
    if not found:
        out.print(f"no translation models installed in {directory}")
        return
    for package in found:
        state = f"  [red]BROKEN: {package.problem}[/]" if package.problem else ""
        out.print(f"{package.source} → {package.target}  {package.name} {package.version}{state}", highlight=False)
    out.print(f"({len(found)} in {directory})", highlight=False)


@models_app.command("install")
def install_model(
    source: Annotated[str | None, typer.Argument(metavar="FROM", help="Source language code.")] = None,
    target: Annotated[str | None, typer.Argument(metavar="TO", help="Target language code.")] = None,
    file: Annotated[Path | None, typer.Option("--file", help="Install this local .argosmodel instead.")] = None,
) -> None:
    """Install a model: FROM TO from the Argos package index, or --file X.argosmodel from disk."""
    try:
        if file is not None:
            if source or target:
                raise _fail("give either FROM TO (from the index) or --file (a local package), not both", 2)
            package = install_file(file)
        elif source and target:
            package = install_from_index(_language(source), _language(target))
        else:
            raise _fail("give FROM TO (e.g. `models install en fr`) or --file X.argosmodel", 2)
    except PackageError as exc:
        raise _fail(str(exc)) from None
    out.print(
        f"installed {package.source} → {package.target}: {package.name} {package.version} in {package.path.parent}"
    )


@models_app.command("remove")
def remove_model(
    source: Annotated[str, typer.Argument(metavar="FROM")],
    target: Annotated[str, typer.Argument(metavar="TO")],
) -> None:
    """Remove the installed model for FROM → TO."""
    try:
        removed = remove(source.strip().lower(), target.strip().lower())
    except PackageError as exc:
        raise _fail(str(exc)) from None
    for package in removed:
        out.print(f"removed {package.source} → {package.target}: {package.name} {package.version}")


def register(app: typer.Typer) -> None:
    """Add the translation commands to the root CLI."""
    app.command()(translate)
    app.add_typer(models_app, name="models")
