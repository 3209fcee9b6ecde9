"""``chm-search ingest | errors | reindex``: the stages' commands (registered on the root CLI)."""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from ingest.disk_full import disk_full
from record_catalogue.cli_output import JsonOption, emit_json, fail, note, progress, say
from record_catalogue.codes import RunStatus
from record_catalogue.errors import EXIT_INTERRUPTED, EXIT_PARTIAL, DiskFull
from record_catalogue.settings import get_settings

if TYPE_CHECKING:
    from ingest.pipeline import IngestReport, Pipeline
    from ingest.prepare import Tagger

PARALLEL_FROM = 5_000  # below this, starting worker processes costs more than it saves
INDEX_BUSY_WAIT = 3600.0  # another run writing the embedded index holds it until it commits


def make_tagger(languages: Sequence[str]) -> Tagger:
    """The entity tagger the pipeline uses (spaCy pipelines are built lazily, once per process)."""
    from ingest.tagging import RecordTagger

    return RecordTagger(languages)


def open_pipeline() -> Pipeline:
    """The pipeline on the configured catalogue and index (errors surface as one-line messages)."""
    from analyzers.detect import LanguageDetector
    from ingest.pipeline import Pipeline
    from record_catalogue.store import Catalogue
    from search_index.factory import get_backend

    settings = get_settings()
    catalogue = Catalogue(settings.catalogue_dsn)
    backend = get_backend(settings)
    return Pipeline(
        catalogue,
        backend,
        LanguageDetector(settings.languages),
        settings.languages,
        tagger=make_tagger(settings.languages),
        index_busy_wait=INDEX_BUSY_WAIT,
        waiting=lambda _busy: note(
            "another process is writing the index (an ingest or translate run); waiting for it to finish"
        ),
    )


def ingest(
    paths: Annotated[
        list[Path] | None, typer.Argument(help="Files or directories (CBD JSON, JSON lines, .txt).")
    ] = None,
    realm: Annotated[
        str | None, typer.Option(help="Realm for schemas that several realms share (CHM, ABS, BCH).")
    ] = None,
    resume: Annotated[bool, typer.Option(help="Carry on with the last run that did not finish.")] = False,
    workers: Annotated[
        int | None,
        typer.Option(min=0, help="Processes detecting and tagging (default: one per core for 5,000+ records)."),
    ] = None,
) -> None:
    """Read, detect, store and index records; every rejected input is listed by `chm-search errors`."""
    try:
        _ingest(paths, realm, resume, workers)
    except (typer.Exit, typer.Abort, typer.BadParameter):  # the command's own answers
        raise
    except Exception as exc:
        reason = disk_full(exc, storage_places())
        if reason is None:
            raise
        raise fail(DiskFull(f"{reason}; free some space, then carry on with: chm-search ingest --resume")) from None


def storage_places() -> list[Path]:
    """Where ingest writes: the data directory, the index, a SQLite catalogue's directory."""
    from record_catalogue.dialect import sqlite_file

    settings = get_settings()
    places = [settings.data_dir, settings.index_dir]
    database = sqlite_file(settings.catalogue_dsn)
    if database is not None:
        places.append(Path(database).parent)
    return places


def _ingest(paths: list[Path] | None, realm: str | None, resume: bool, workers: int | None) -> None:
    from rich.progress import BarColumn, MofNCompleteColumn, TextColumn, TimeElapsedColumn, TimeRemainingColumn

    from ingest.sources.files import count_items, read_path

    pipeline = open_pipeline()
    catalogue = pipeline.catalogue
    skip = 0
    crashed = False
    if resume:
        if paths:
            raise typer.BadParameter("--resume carries on with the interrupted run's own paths; give none")
        run = catalogue.unfinished_run()
        if run is None:
            say("nothing to resume: every ingest run finished")
            return
        run_id, sources, hint, skip = run.id, [Path(p) for p in run.paths], run.realm, run.checkpoint
        crashed = run.status == RunStatus.RUNNING  # an interrupted run (Ctrl-C) says "interrupted"
        say(f"resuming run {run_id} after {skip} items: {' '.join(run.paths)}")
    else:
        if not paths:
            raise typer.BadParameter("give files or directories to ingest, or --resume")
        run_id, sources, hint = catalogue.new_run_id(), paths, realm.upper() if realm else None
        catalogue.start_run(run_id, [str(p) for p in sources], hint)
    total = sum(count_items(path) for path in sources)
    if workers is None:
        workers = (os.cpu_count() or 1) if total - skip >= PARALLEL_FROM else 0
    if resume and crashed and workers < 2:
        # The last attempt died rather than stopped: if a record killed it (a crash in a library
        # while preparing it), preparing in workers makes that record its error, not a crash again.
        workers = 2
        say("its last attempt ended without a word (killed or crashed): preparing records in worker processes")
    if workers <= 1 and total - skip >= PARALLEL_FROM:
        pipeline.settle()  # a long run in this process (one core, or --workers 1)
    items = (item for path in sources for item in read_path(path, hint, defer=True))
    columns = (
        TextColumn("[bold]ingest[/]"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[rate]:.0f} records/s"),
        TextColumn("[red]{task.fields[errors]} errors"),
        TimeElapsedColumn(),
        TextColumn("ETA"),
        TimeRemainingColumn(),
    )
    with progress(*columns) as bar:
        task = bar.add_task("ingest", total=total, completed=skip, rate=0.0, errors=0)

        def show(report: IngestReport) -> None:
            bar.update(task, completed=report.read, rate=report.rate, errors=report.errors)

        try:
            report = pipeline.run(items, progress=show, run_id=run_id, skip=skip, total=total, workers=workers)
        except KeyboardInterrupt:
            catalogue.finish_run(run_id, RunStatus.INTERRUPTED, {})
            note(f"interrupted; carry on with: chm-search ingest --resume (run {run_id})")
            raise typer.Exit(EXIT_INTERRUPTED) from None
        finally:
            pipeline.backend.close()
    catalogue.finish_run(run_id, RunStatus.FINISHED, report.counts())
    say(report.summary())
    if report.errors:
        say(f"see the errors with: chm-search errors --run {report.run_id}")


def errors(
    run: Annotated[str | None, typer.Option(help="Only this run's errors.")] = None,
    limit: Annotated[int, typer.Option(min=1)] = 100,
    as_json: JsonOption = False,
) -> None:
    """List ingest errors: file, position, record and reason."""
    from record_catalogue.store import Catalogue

    settings = get_settings()
    reports = Catalogue(settings.catalogue_dsn).errors(run_id=run, limit=limit)
    if as_json:
        emit_json(dataclasses.asdict(e) for e in reports)
        return
    if not reports:
        say("no ingest errors")
        return
    for e in reports:
        where = f"{e.source}:{e.position}" if e.position else e.source
        record = f" [{e.record_id}]" if e.record_id else ""
        say(f"{e.created_at[:19]} run {e.run_id} {where}{record}: {e.reason}")


def reindex() -> None:
    """Rebuild the search index from the catalogue into a new version, then swap it in."""
    from rich.progress import BarColumn, MofNCompleteColumn, TextColumn, TimeElapsedColumn, TimeRemainingColumn

    pipeline = open_pipeline()
    total = pipeline.catalogue.count()
    columns = (
        TextColumn("[bold]reindex[/]"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
    )
    with progress(*columns) as bar:
        task = bar.add_task("reindex", total=total)
        try:
            version, result = pipeline.rebuild_index(progress=lambda n: bar.update(task, completed=n))
        finally:
            pipeline.backend.close()
    say(f"index version {version} now live: {result.indexed} documents, {len(result.errors)} errors")
    for doc_id, reason in result.errors:
        say(f"  {doc_id}: {reason}")
    if result.errors:
        raise typer.Exit(EXIT_PARTIAL)


def register(app: typer.Typer) -> None:
    """Add the ingest-side commands to the root CLI."""
    app.command()(ingest)
    app.command()(errors)
    app.command()(reindex)
    from ingest.harvest_cli import register as register_harvest

    register_harvest(app)
