"""``chm-search ingest | errors | reindex``: the stages' commands (registered on the root CLI)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

from analyzers.detect import LanguageDetector
from catalogue.settings import get_settings
from catalogue.store import Catalogue
from ingest.pipeline import IngestReport, Pipeline
from ingest.sources.files import read_path
from search_index.factory import get_backend

console = Console(stderr=True)
out = Console()


def open_pipeline() -> Pipeline:
    """The pipeline on the configured catalogue and index (errors surface as one-line messages)."""
    settings = get_settings()
    catalogue = Catalogue(settings.catalogue_dsn)
    backend = get_backend(settings)
    return Pipeline(catalogue, backend, LanguageDetector(settings.languages), settings.languages)


def ingest(
    paths: Annotated[list[Path], typer.Argument(help="Files or directories (CBD JSON, JSON lines, .txt).")],
    realm: Annotated[
        str | None, typer.Option(help="Realm for schemas that several realms share (CHM, ABS, BCH).")
    ] = None,
) -> None:
    """Read, detect, store and index records; every rejected input is listed by `chm-search errors`."""
    pipeline = open_pipeline()
    items = (item for path in paths for item in read_path(path, realm.upper() if realm else None))
    columns = (
        TextColumn("[bold]ingest[/]"),
        BarColumn(),
        TextColumn("{task.fields[read]} records"),
        TextColumn("{task.fields[rate]:.0f}/s"),
        TextColumn("[red]{task.fields[errors]} errors"),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=console, transient=False) as bar:
        task = bar.add_task("ingest", total=None, read=0, rate=0.0, errors=0)

        def show(report: IngestReport) -> None:
            rate = report.read / report.seconds if report.seconds > 0 else 0.0
            bar.update(task, read=report.read, rate=rate, errors=report.errors)

        try:
            report = pipeline.run(items, progress=show)
        finally:
            pipeline.backend.close()
    out.print(report.summary())
    if report.errors:
        out.print(f"see the errors with: chm-search errors --run {report.run_id}")


def errors(
    run: Annotated[str | None, typer.Option(help="Only this run's errors.")] = None,
    limit: Annotated[int, typer.Option(min=1)] = 100,
) -> None:
    """List ingest errors: file, position, record and reason."""
    settings = get_settings()
    reports = Catalogue(settings.catalogue_dsn).errors(run_id=run, limit=limit)
    if not reports:
        out.print("no ingest errors")
        return
    for e in reports:
        where = f"{e.source}:{e.position}" if e.position else e.source
        record = f" [{e.record_id}]" if e.record_id else ""
        out.print(f"{e.created_at[:19]} run {e.run_id} {where}{record}: {e.reason}", soft_wrap=True, highlight=False)


def reindex() -> None:
    """Rebuild the search index from the catalogue into a new version, then swap it in."""
    pipeline = open_pipeline()
    total = pipeline.catalogue.count()
    columns = (
        TextColumn("[bold]reindex[/]"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=console) as bar:
        task = bar.add_task("reindex", total=total)
        try:
            version, result = pipeline.rebuild_index(progress=lambda n: bar.update(task, completed=n))
        finally:
            pipeline.backend.close()
    out.print(f"index version {version} now live: {result.indexed} documents, {len(result.errors)} errors")
    for doc_id, reason in result.errors:
        out.print(f"  {doc_id}: {reason}")
    if result.errors:
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    """Add the ingest-side commands to the root CLI."""
    app.command()(ingest)
    app.command()(errors)
    app.command()(reindex)
