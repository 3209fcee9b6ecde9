"""``chm-search translate``, ``models``, ``memory`` and ``glossary``: registered on the root CLI.

Known failures end with one line saying what is wrong and what to do, and a non-zero exit: 1 for
a package that cannot be installed or removed (the Argos index unreachable included), and 1
after a translate run in which a model failed to load (the other pairs were still done). Imports
(``memory import``, ``glossary import``) exit 2 for a file they cannot read at all (nothing is
imported) and 1 when they refused some entries (listed with the reason; the rest is imported).
``translate`` exits 2 for a CHM_TRANSLATE_* setting this machine cannot honour (a GPU it lacks),
3 when another worker already runs on a SQLite catalogue, and 1 after a run that left records
untranslated with an error or unindexed (listed).
"""

from __future__ import annotations

import signal
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape

from record_catalogue.cli_output import (
    JsonOption,
    ReportJsonOption,
    emit_json,
    emit_json_report,
    fail,
    note,
    out,
    progress,
    say,
    warn,
)
from record_catalogue.errors import EXIT_PARTIAL
from record_catalogue.languages import UN_LANGUAGES
from record_catalogue.settings import Settings, get_settings

if TYPE_CHECKING:
    from record_catalogue.store import Catalogue
    from translate.glossary import Glossary
    from translate.hardware import EngineOptions
    from translate.worker import TranslateReport, TranslateWorker

models_app = typer.Typer(no_args_is_help=True, help="List, install and remove translation models (Argos packages).")
memory_app = typer.Typer(no_args_is_help=True, help="Export and import the translation memory (TMX 1.4).")
glossary_app = typer.Typer(no_args_is_help=True, help="Export and import the CBD glossary (TBX or CSV).")


def _language(code: str) -> str:
    code = code.strip().lower()
    if code not in UN_LANGUAGES:
        raise fail(f"unknown language {code!r}; known: {', '.join(UN_LANGUAGES)}")
    return code


def translate(
    realm: Annotated[
        list[str] | None, typer.Option(help="Only records of this realm (CHM, ABS, BCH); repeatable.")
    ] = None,
    lang: Annotated[list[str] | None, typer.Option(help="Only into this language; repeatable. Default: all.")] = None,
    limit: Annotated[int | None, typer.Option(min=1, help="Translate at most this many records.")] = None,
    glossary: Annotated[Path | None, typer.Option(help="A glossary CSV instead of the project's own.")] = None,
    batch: Annotated[int, typer.Option(min=1, help="Records per batch (their sentences share model calls).")] = 64,
    worker: Annotated[
        bool,
        typer.Option("--worker", help="Take leased batches from the shared backlog (several workers on PostgreSQL)."),
    ] = False,
    follow: Annotated[
        bool, typer.Option("--follow", help="Keep running as a worker, taking new and changed records as they come.")
    ] = False,
    status: Annotated[
        bool,
        typer.Option("--status", help="Show the backlog per language pair, the rate and the ETA; translate nothing."),
    ] = False,
    as_json: ReportJsonOption = False,
) -> None:
    """Fill the missing UN-language versions of every record's texts with machine translation, then re-index."""
    from record_catalogue.dialect import is_postgresql
    from record_catalogue.record import REALMS
    from record_catalogue.store import Catalogue
    from record_catalogue.work_queue import WorkerLockError, single_worker
    from translate.glossary import Glossary
    from translate.hardware import HardwareError, engine_options

    realms = [r.upper() for r in realm or []]
    unknown = [r for r in realms if r not in REALMS]
    if unknown:
        raise fail(f"unknown realm(s) {', '.join(unknown)}; known: {', '.join(REALMS)}")
    targets = [_language(code) for code in lang or []]
    if as_json and not status:
        raise fail("--json goes with --status (a run reports its progress on stderr and its outcome as lines)")
    settings = get_settings()
    if status:
        _show_status(settings, as_json)
        return
    worker = worker or follow
    if worker and (realms or limit):
        raise fail("--realm and --limit select records of a whole-catalogue run; a --worker takes the backlog")
    try:
        options = engine_options(settings)
    except HardwareError as exc:
        raise fail(exc) from None
    try:
        terms = Glossary.load(glossary)
    except (OSError, ValueError) as exc:
        raise fail(f"glossary: {exc}") from None
    catalogue = Catalogue(settings.catalogue_dsn)
    postgres = is_postgresql(catalogue.engine)  # workers share the backlog and claim sentences
    try:
        with single_worker(settings.catalogue_dsn):
            report = _translate_with(
                settings, catalogue, terms, options, postgres, batch, realms, targets, limit, follow, worker
            )
    except WorkerLockError as exc:
        raise fail(exc) from None
    finally:
        catalogue.close()
    say(report.summary())
    for reason, count in sorted(report.pending_reasons.items()):
        say(f"pending ({count} fields): {reason}")
    for record_id, reason in report.record_errors:
        warn(f"not translated: {record_id}: {reason}")
    for doc_id, reason in report.index_errors:
        warn(f"not indexed: {doc_id}: {reason}")
    for pair, reason in sorted(report.model_errors.items()):
        warn(f"model {pair} failed to load: {reason}")
    if report.model_errors or report.index_errors or report.record_errors:
        raise typer.Exit(EXIT_PARTIAL)


def _translate_with(
    settings: Settings,
    catalogue: Catalogue,
    terms: Glossary,
    options: EngineOptions,
    postgres: bool,
    batch: int,
    realms: list[str],
    targets: list[str],
    limit: int | None,
    follow: bool,
    worker: bool,
) -> TranslateReport:
    """One run: the whole catalogue, or (``worker``) the shared backlog, with progress on stderr."""
    from record_catalogue.memory_store import TranslationMemory
    from record_catalogue.work_queue import Backlog, Heartbeat, SentenceClaims, Waker, worker_name
    from search_index.factory import get_backend
    from translate.argos_engine import ArgosEngine
    from translate.translator import Translator
    from translate.worker import TranslateWorker

    backend = get_backend(settings)
    engine = ArgosEngine(settings.models_path, options=options)
    if not engine.models():
        note(
            f"[yellow]no translation model installed in {escape(str(engine.directory))}[/]: every text stays "
            "pending; install one with `chm-search models install FROM TO` (or `--file X.argosmodel`)",
            markup=True,
        )
    name = worker_name()
    claims = SentenceClaims(catalogue.sessions, name, settings.translate_lease_seconds) if postgres else None
    translator = Translator(engine, TranslationMemory(catalogue.sessions), terms, claims=claims)
    runner = TranslateWorker(catalogue, backend, translator, settings.languages, batch_records=batch)
    stop = threading.Event()
    previous = {sig: signal.signal(sig, lambda *_args: stop.set()) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        if worker:
            backlog = Backlog(catalogue.sessions, name, settings.translate_lease_seconds)
            waker = Waker.for_catalogue(settings.catalogue_dsn, settings.translate_poll_seconds)
            note(
                f"translate worker {name} on {options.describe()}"
                + (", following new records" if follow else ", until the backlog is empty")
            )
            try:
                return runner.work(
                    backlog,
                    targets,
                    follow=follow,
                    waker=waker,
                    stop=stop,
                    progress=_progress_line if follow else None,
                    notice=lambda message: note(f"[yellow]{escape(message)}[/]", markup=True),
                )
            finally:
                waker.close()
        if claims is None:
            return _run_with_bar(runner, realms, targets, limit)
        with Heartbeat(Backlog(catalogue.sessions, name, settings.translate_lease_seconds)):  # keeps claims alive
            return _run_with_bar(runner, realms, targets, limit)
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        backend.close()
        engine.close()


_last_line = [0.0]


def _progress_line(report: TranslateReport) -> None:
    """A following worker's progress: one line a minute at most (it runs for days)."""
    now = time.monotonic()
    if now - _last_line[0] >= 60 and report.records_seen:
        _last_line[0] = now
        note(f"{report.records_seen} records, {report.stats.segments} segments, {report.stats.translated} translated")


def _run_with_bar(runner: TranslateWorker, realms: list[str], targets: list[str], limit: int | None) -> TranslateReport:
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        TaskProgressColumn,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

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
    with progress(*columns) as bar:
        task = bar.add_task("translate", total=None, segments=0, rate=0.0)

        def show(report: TranslateReport) -> None:
            bar.update(
                task,
                total=report.records_total,
                completed=report.records_seen,
                segments=report.stats.segments,
                rate=report.segments_per_second,
            )

        return runner.run(realms, targets, limit, progress=show)


def _show_status(settings: Settings, as_json: bool = False) -> None:
    from rich.table import Table

    from record_catalogue.store import Catalogue
    from translate.backlog import backlog_status

    catalogue = Catalogue(settings.catalogue_dsn)
    try:
        found = backlog_status(catalogue.sessions, settings.languages)
    finally:
        catalogue.close()
    if as_json:  # the object /api/v1/health carries as translation_backlog
        emit_json_report(found.as_dict())
        return
    table = Table(title="translation backlog", title_justify="left")
    for column in ("pair", "to translate"):
        table.add_column(column, justify="right" if column != "pair" else "left")
    for pair in found.pairs:
        table.add_row(f"{pair.source} → {pair.target}", str(pair.to_translate))
    table.add_row("all", str(found.to_translate))
    out.print(table)
    stuck = [
        f"{language}: {found.failed.get(language, 0)} failed the gate, "
        f"{found.pending.get(language, 0)} pending (no model)"
        for language in settings.languages
        if found.failed.get(language) or found.pending.get(language)
    ]
    for line in stuck:
        say(line)
    say(
        f"queue: {found.queued_records} records ({found.leased_records} leased by {found.workers} workers, "
        f"{found.held_back_records} held back after errors)",
    )
    say(
        f"rate over the last {found.window_seconds / 60:.0f} min: {found.fields_per_second * 60:.1f} fields/min, "
        f"{found.segments_per_second:.1f} segments/s; ETA {found.eta_text()}",
    )


@models_app.command("list")
def list_models(as_json: JsonOption = False) -> None:
    """The installed packages, and the language pairs each one serves, directly or through English."""
    from translate.packages import installed
    from translate.status import reach_by_package

    settings = get_settings()
    directory = settings.models_path
    found = installed(directory)
    reach = reach_by_package(found, settings.languages)
    if as_json:
        emit_json(
            {
                "source": package.source,
                "target": package.target,
                "name": package.name,
                "version": package.version,
                "path": package.path,
                "problem": package.problem,
                "through_english": [
                    {"source": route.source, "target": route.target} for route in reach.get(package.path, [])
                ],
            }
            for package in found
        )
        return
    if not found:
        say(f"no translation models installed in {directory}")
        return
    for package in found:
        head = f"{package.source} → {package.target}  {package.name} {package.version}"
        if package.problem:
            say(f"{escape(head)}  [red]BROKEN: {escape(package.problem)}[/]", markup=True)
            continue
        via = reach.get(package.path, [])
        through = ", ".join(f"{route.source}→{route.target}" for route in via) or "none"
        say(
            f"{head}; also serves through English: {through}",
        )
    say(f"({len(found)} in {directory})")


@models_app.command("update")
def update_models() -> None:
    """Install the newer version the Argos index has of each installed package."""
    from translate.packages import PackageError, install_entry, updates

    directory = get_settings().models_path
    try:
        pending = updates(directory)
    except PackageError as exc:
        raise fail(exc) from None
    newer = [u for u in pending if u.available is not None]
    for update in pending:
        if update.available is None:
            say(
                f"{update.installed.source} → {update.installed.target} {update.installed.version}: up to date",
            )
    failed = 0
    for update in newer:
        assert update.available is not None
        try:
            package = install_entry(update.available, directory)
        except PackageError as exc:
            failed += 1
            warn(f"error: {exc}")
            continue
        say(
            f"updated {package.source} → {package.target}: {update.installed.version} → {package.version}",
        )
    if failed:
        raise typer.Exit(EXIT_PARTIAL)


@models_app.command("install")
def install_model(
    source: Annotated[str | None, typer.Argument(metavar="FROM", help="Source language code.")] = None,
    target: Annotated[str | None, typer.Argument(metavar="TO", help="Target language code.")] = None,
    file: Annotated[Path | None, typer.Option("--file", help="Install this local .argosmodel instead.")] = None,
) -> None:
    """Install a model: FROM TO from the Argos package index, or --file X.argosmodel from disk."""
    from translate.packages import PackageError, install_file, install_from_index

    try:
        if file is not None:
            if source or target:
                raise fail("give either FROM TO (from the index) or --file (a local package), not both")
            package = install_file(file, get_settings().models_path)
        elif source and target:
            package = install_from_index(_language(source), _language(target), get_settings().models_path)
        else:
            raise fail("give FROM TO (e.g. `models install en fr`) or --file X.argosmodel")
    except PackageError as exc:
        raise fail(exc) from None
    say(f"installed {package.source} → {package.target}: {package.name} {package.version} in {package.path.parent}")


@models_app.command("remove")
def remove_model(
    source: Annotated[str, typer.Argument(metavar="FROM")],
    target: Annotated[str, typer.Argument(metavar="TO")],
) -> None:
    """Remove the installed model for FROM → TO."""
    from translate.packages import PackageError, remove

    try:
        removed = remove(source.strip().lower(), target.strip().lower(), get_settings().models_path)
    except PackageError as exc:
        raise fail(exc) from None
    for package in removed:
        say(f"removed {package.source} → {package.target}: {package.name} {package.version}")


def _refused(entries: list[tuple[str, str]], label: str = "refused") -> None:
    for position, reason in entries:
        say(f"{label}: {position}: {reason}")


@memory_app.command("export")
def memory_export(
    file: Annotated[Path, typer.Argument(metavar="FILE.tmx", help="Where to write the TMX file.")],
    status: Annotated[
        str, typer.Option(help="current (what readers may get), reviewed, machine or all (with rejected and failed).")
    ] = "current",
    lang: Annotated[list[str] | None, typer.Option(help="Only translations into this language; repeatable.")] = None,
) -> None:
    """Write the translation memory's sentences to a TMX 1.4 file (for CAT tools)."""
    from record_catalogue.memory_store import EXPORT_STATUSES
    from record_catalogue.store import Catalogue
    from translate.tmx import export_tmx

    if status not in EXPORT_STATUSES:  # MemoryExport
        raise fail(f"--status must be one of {', '.join(EXPORT_STATUSES)}")
    languages = tuple(_language(code) for code in lang or [])
    catalogue = Catalogue(get_settings().catalogue_dsn)
    try:
        count = export_tmx(catalogue.sessions, file, status, languages)
    except OSError as exc:
        raise fail(f"cannot write {file}: {exc.strerror}") from None
    finally:
        catalogue.close()
    say(f"{count} translation units written to {file}")


@memory_app.command("import")
def memory_import(
    file: Annotated[Path, typer.Argument(metavar="FILE.tmx", help="A TMX file (1.4; 1.1 to 1.3 read too).")],
    as_reviewed: Annotated[
        bool, typer.Option("--as-reviewed", help="Every translation is a curator's: reviewed, attributed to --actor.")
    ] = False,
    actor: Annotated[str | None, typer.Option(help="Who vouches for the file (with --as-reviewed).")] = None,
) -> None:
    """Import a TMX file into the translation memory; reviewed translations reach every record at once."""
    from record_catalogue.store import Catalogue
    from search_index.factory import get_backend
    from translate.curation import Curation
    from translate.tmx import TmxError, apply_units, read_tmx

    if as_reviewed and not (actor and actor.strip()):
        raise fail("--as-reviewed needs --actor NAME: every reviewed translation is attributed to someone")
    try:
        units, bad = read_tmx(file, as_reviewed, actor.strip() if actor else None)
    except TmxError as exc:
        raise fail(exc) from None
    settings = get_settings()
    catalogue = Catalogue(settings.catalogue_dsn)
    backend = get_backend(settings)
    try:
        report = apply_units(catalogue.sessions, units, f"TMX {file.name}")
        report.bad = bad
        who = actor.strip() if as_reviewed and actor else "import"
        changed = Curation(catalogue, backend).spread(report.reviewed_segments, who)
        report.records_updated = len(changed)
    finally:
        backend.close()
        catalogue.close()
    say(report.summary())
    _refused(report.bad)
    if report.bad:
        raise typer.Exit(EXIT_PARTIAL)


@glossary_app.command("export")
def glossary_export(
    file: Annotated[Path, typer.Argument(metavar="FILE.tbx|FILE.csv", help="Where to write it; the suffix decides.")],
    glossary: Annotated[Path | None, typer.Option(help="A glossary CSV instead of the project's own.")] = None,
) -> None:
    """Write the glossary as TBX or CSV."""
    from translate.glossary import glossary_path
    from translate.tbx import TermbaseError, export_glossary

    try:
        count = export_glossary(glossary or glossary_path(), file)
    except TermbaseError as exc:
        raise fail(exc) from None
    except OSError as exc:
        raise fail(f"cannot write {file}: {exc.strerror}") from None
    say(f"{count} concepts written to {file}")


@glossary_app.command("import")
def glossary_import(
    file: Annotated[Path, typer.Argument(metavar="FILE.tbx|FILE.csv", help="Concepts to merge in.")],
    glossary: Annotated[
        Path | None, typer.Option(help="The glossary CSV to merge into (default: the project's).")
    ] = None,
    replace: Annotated[bool, typer.Option("--replace", help="Take the file's term where both have one.")] = False,
) -> None:
    """Merge a TBX or CSV glossary into the glossary CSV the translator reads."""
    from translate.glossary import writable_glossary_path
    from translate.tbx import TermbaseError, import_glossary

    try:
        report = import_glossary(file, glossary or writable_glossary_path(), replace)
    except (TermbaseError, ValueError) as exc:
        raise fail(str(exc)) from None
    except OSError as exc:
        raise fail(f"cannot write the glossary: {exc.strerror}") from None
    say(report.summary())
    _refused(report.conflicts, "conflict")
    _refused(report.bad)
    if report.bad:
        raise typer.Exit(EXIT_PARTIAL)


def register(app: typer.Typer) -> None:
    """Add the translation commands to the root CLI."""
    app.command()(translate)
    app.add_typer(models_app, name="models")
    app.add_typer(memory_app, name="memory")
    app.add_typer(glossary_app, name="glossary")
