"""``chm-search harvest cbd|oai|feed|--all`` and ``chm-search sources add|list|run|remove``.

``harvest cbd/oai/feed`` configure a source on first use (named after what it reads unless
``--name`` says otherwise) and run it; ``sources add`` only configures one; ``harvest --all``
(what cron or a systemd timer runs) runs every configured source, each after the other, one
failing not stopping the rest. Every failure is in ``chm-search errors`` with its URL.
"""

from __future__ import annotations

import dataclasses
from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Any

import typer

from record_catalogue.cli_output import USAGE_EXIT, JsonOption, emit_json, say
from record_catalogue.codes import SourceKind
from record_catalogue.errors import EXIT_PARTIAL
from record_catalogue.settings import get_settings

if TYPE_CHECKING:
    from record_catalogue.harvest_state import HarvestState, SourceConfig

CBD_API = "https://api.cbd.int"

harvest_app = typer.Typer(
    invoke_without_command=True,
    help="Pull records from the clearing-houses' API, OAI-PMH repositories and news feeds (incremental).",
)
sources_app = typer.Typer(no_args_is_help=True, help="Sources harvested on a schedule: configured once, run by name.")

Rate = Annotated[float | None, typer.Option(help="Requests per second at most (default 2).")]
Timeout = Annotated[float | None, typer.Option(help="Seconds a response may take in all (default 30).")]
Retries = Annotated[int | None, typer.Option(help="Retries on 429, 5xx and timeouts (default 4).")]
MaxBytes = Annotated[int | None, typer.Option(help="Largest response accepted, in bytes (default 20,000,000).")]


def _sources() -> HarvestState:
    """The configured sources (the catalogue alone: no index opened to list or change them)."""
    from record_catalogue.harvest_state import HarvestState
    from record_catalogue.store import Catalogue

    return HarvestState(Catalogue(get_settings().catalogue_dsn))


def _since(value: str | None) -> datetime | None:
    if value is None:
        return None
    from ingest.harvest.cbd_api import parse_since

    try:
        return parse_since(value)
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="--since") from None


def _run(sources: list[SourceConfig], since: datetime | None = None) -> None:
    """Run sources one after the other and print what each did.

    Exit 1 when a source could not be read (down, not the protocol, endless paging) or its run
    failed; records refused are errors listed by ``chm-search errors`` and, as for ``ingest``,
    do not change the exit code."""
    from ingest.cli import open_pipeline
    from ingest.harvest import run_source
    from record_catalogue.db import CatalogueUnavailable
    from record_catalogue.harvest_state import HarvestState, SourceBusy

    pipeline = open_pipeline()
    state = HarvestState(pipeline.catalogue)
    failed = False
    try:
        for source in sources:
            run_id = pipeline.catalogue.new_run_id()
            try:
                run = run_source(pipeline, state, source, run_id, since=since)
            except CatalogueUnavailable:
                raise
            except SourceBusy as exc:  # an overlapping scheduled run: the other one does the work
                say(f"{source.name}: {exc!s}")
                continue
            except Exception as exc:  # one source's fault must not stop the others
                reason = f"harvest stopped: {exc.__class__.__name__}: {exc}"
                pipeline.catalogue.add_error(run_id, source.url, "", reason)
                say(f"{source.name}: {reason}")
                failed = True
                continue
            say(f"{source.name}: {run.counts.summary()}")
            for note in run.notes:
                say(f"  {note}")
            if run.stopped:
                failed = True
                say(f"  stopped: {run.stopped}")
            if run.counts.errors:
                say(f"  see the errors with: chm-search errors --run {run_id}")
    finally:
        pipeline.backend.close()
    if failed:
        raise typer.Exit(EXIT_PARTIAL)


def _checked(name: str, kind: SourceKind, url: str, params: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """A source's name and settings as stored, checked; a usage error naming what is wrong."""
    from ingest.harvest import check_params, source_name

    try:
        checked = check_params(kind, url, params)
        return source_name(name), checked
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from None


def _configure(name: str, kind: SourceKind, url: str, params: dict[str, Any]) -> SourceConfig:
    from record_catalogue.harvest_state import SourceProblem

    name, checked = _checked(name, kind, url, params)
    state = _sources()
    try:
        return state.ensure_source(name, kind, url, checked)
    except SourceProblem as exc:
        raise typer.BadParameter(str(exc)) from None


@harvest_app.callback()
def harvest(
    ctx: typer.Context,
    all_sources: Annotated[bool, typer.Option("--all", help="Run every configured source (for cron/systemd).")] = False,
) -> None:
    """Harvest one source (a subcommand) or every configured one (--all)."""
    if ctx.invoked_subcommand is not None:
        if all_sources:
            raise typer.BadParameter("--all runs every configured source; give it without a subcommand")
        return
    if not all_sources:
        say(ctx.get_help())
        raise typer.Exit(USAGE_EXIT)
    state = _sources()
    sources = state.sources()
    if not sources:
        say("no sources configured (chm-search sources add ...)")
        return
    _run(sources)


@harvest_app.command("cbd")
def harvest_cbd_command(
    realm: Annotated[str, typer.Option(help="ABS, BCH or CHM.")],
    since: Annotated[
        str | None, typer.Option(help="Read changes since this date (default: since the last run).")
    ] = None,
    schema: Annotated[list[str] | None, typer.Option(help="Only these record types (repeatable).")] = None,
    api_url: Annotated[str, typer.Option(help="The clearing-houses' API.")] = CBD_API,
    name: Annotated[str | None, typer.Option(help="The source's name (default cbd-<realm>).")] = None,
    sweep: Annotated[bool, typer.Option(help="Withdraw records the realm no longer publishes.")] = True,
    page_size: Annotated[int, typer.Option(min=1, max=1000, help="Index entries per request.")] = 100,
    rate: Rate = None,
    timeout: Timeout = None,
    retries: Retries = None,
    max_bytes: MaxBytes = None,
) -> None:
    """Harvest a CBD clearing-house through its public API: changed records, thesaurus labels, withdrawals."""
    realm = realm.upper()
    params: dict[str, Any] = {"realm": realm, "schemas": schema or [], "sweep": sweep, "page_size": page_size}
    params.update(_fetch_params(rate, timeout, retries, max_bytes))
    source = _configure(name or f"cbd-{realm.lower()}", SourceKind.CBD, api_url, params)
    _run([source], _since(since))


@harvest_app.command("oai")
def harvest_oai_command(
    url: Annotated[str, typer.Argument(help="The repository's OAI-PMH base URL.")],
    set_spec: Annotated[str | None, typer.Option("--set", help="Only this set.")] = None,
    prefix: Annotated[str, typer.Option(help="Metadata format.")] = "oai_dc",
    from_date: Annotated[str | None, typer.Option("--from", help="Records changed since (default: last run).")] = None,
    until: Annotated[str | None, typer.Option(help="Records changed up to this date.")] = None,
    realm: Annotated[str, typer.Option(help="Realm the records belong to.")] = "CHM",
    schema: Annotated[str, typer.Option(help="Record type they get.")] = "resource",
    name: Annotated[str | None, typer.Option(help="The source's name (default oai-<host>).")] = None,
    rate: Rate = None,
    timeout: Timeout = None,
    retries: Retries = None,
    max_bytes: MaxBytes = None,
) -> None:
    """Harvest an OAI-PMH repository (ListRecords, resumption tokens, deleted records, Dublin Core)."""
    params: dict[str, Any] = {"set": set_spec, "prefix": prefix, "until": until, "realm": realm, "schema": schema}
    params.update(_fetch_params(rate, timeout, retries, max_bytes))
    source = _configure(name or _default_name(SourceKind.OAI, url), SourceKind.OAI, url, params)
    _run([source], _since(from_date))


@harvest_app.command("feed")
def harvest_feed_command(
    url: Annotated[str, typer.Argument(help="The RSS or Atom feed's URL.")],
    realm: Annotated[str, typer.Option(help="Realm the entries belong to.")] = "CHM",
    schema: Annotated[str, typer.Option(help="Record type they get.")] = "news",
    name: Annotated[str | None, typer.Option(help="The source's name (default feed-<host>).")] = None,
    rate: Rate = None,
    timeout: Timeout = None,
    retries: Retries = None,
    max_bytes: MaxBytes = None,
) -> None:
    """Harvest a national site's news feed (RSS 2.0, RSS 1.0 or Atom)."""
    params: dict[str, Any] = {"realm": realm, "schema": schema}
    params.update(_fetch_params(rate, timeout, retries, max_bytes))
    source = _configure(name or _default_name(SourceKind.FEED, url), SourceKind.FEED, url, params)
    _run([source])


def _fetch_params(
    rate: float | None, timeout: float | None, retries: int | None, max_bytes: int | None
) -> dict[str, Any]:
    """The fetch options every harvest command takes (``--rate``, ``--timeout``, ``--retries``,
    ``--max-bytes``), as a source's params (``None``: the default)."""
    return {"rate": rate, "timeout": timeout, "retries": retries, "max_bytes": max_bytes}


def _default_name(kind: str, url: str) -> str:
    from urllib.parse import urlsplit

    host = (urlsplit(url).hostname or "source").lower()
    slug = "".join(c if c.isalnum() else "-" for c in host).strip("-")
    return f"{kind}-{slug}"[:100]


@sources_app.command("add")
def sources_add(
    name: Annotated[str, typer.Argument(help="A name to run it by.")],
    kind: Annotated[SourceKind, typer.Option(help="What the source is.")],
    url: Annotated[str, typer.Option(help="API base URL (cbd), OAI-PMH base URL (oai) or feed URL (feed).")],
    realm: Annotated[str | None, typer.Option(help="ABS, BCH or CHM.")] = None,
    schema: Annotated[list[str] | None, typer.Option(help="cbd: only these types; oai/feed: the type given.")] = None,
    set_spec: Annotated[str | None, typer.Option("--set", help="oai: only this set.")] = None,
    prefix: Annotated[str | None, typer.Option(help="oai: metadata format (default oai_dc).")] = None,
    from_date: Annotated[str | None, typer.Option("--from", help="oai: first run reads from this date.")] = None,
    rate: Rate = None,
    timeout: Timeout = None,
    retries: Retries = None,
    max_bytes: MaxBytes = None,
) -> None:
    """Configure a source once; `chm-search sources run NAME` or `harvest --all` runs it."""
    params: dict[str, Any] = {"realm": realm, **_fetch_params(rate, timeout, retries, max_bytes)}
    if kind == SourceKind.CBD:
        params["schemas"] = schema or []
    else:
        if schema and len(schema) > 1:
            raise typer.BadParameter("an oai or feed source gives its records one --schema", param_hint="--schema")
        params["schema"] = schema[0] if schema else None
    if kind == SourceKind.OAI:
        params.update({"set": set_spec, "prefix": prefix, "from": from_date})
    from record_catalogue.harvest_state import SourceProblem

    name, checked = _checked(name, kind, url, params)
    state = _sources()
    try:
        state.add_source(name, kind, url, checked)
    except SourceProblem as exc:
        raise typer.BadParameter(str(exc)) from None
    say(f"source {name} added ({kind} {url}); run it with: chm-search sources run {name}")


@sources_app.command("list")
def sources_list(as_json: JsonOption = False) -> None:
    """Every configured source: kind, URL, settings, high-water mark, last run, an unfinished list."""
    state = _sources()
    sources = state.sources()
    if as_json:
        emit_json(
            {
                "name": s.name,
                "kind": s.kind,
                "url": s.url,
                "params": s.params,
                "high_water": s.high_water,
                "last_run_id": s.last_run_id,
                "last_run_at": s.last_run_at,
                "last_status": s.last_status,
                "last_counts": s.last_counts,
                "resumption": dataclasses.asdict(r) if (r := state.resumption(s.name)) is not None else None,
            }
            for s in sources
        )
        return
    if not sources:
        say("no sources configured")
        return
    for s in sources:
        settings = ", ".join(f"{k}={v}" for k, v in sorted(s.params.items()) if v not in (None, [], ""))
        last = f"last run {s.last_run_at[:19]} {s.last_status} ({s.last_run_id})" if s.last_run_at else "never run"
        say(f"{s.name}  {s.kind}  {s.url}  [{settings}]  mark {s.high_water or '-'}  {last}")
        resumption = state.resumption(s.name)
        if resumption is not None:  # an OAI-PMH list stopped half-way: the next run continues it
            say(
                f"  list stopped at {resumption.saved_at}: the next run continues from resumptionToken "
                f"{resumption.token[:60]!r}"
            )


@sources_app.command("run")
def sources_run(
    names: Annotated[list[str], typer.Argument(help="Sources to run, in this order.")],
    since: Annotated[str | None, typer.Option(help="Read changes since this date instead of the mark.")] = None,
) -> None:
    """Run configured sources now."""
    state = _sources()
    chosen = []
    for name in names:
        source = state.source(name)
        if source is None:
            raise typer.BadParameter(f"no source named {name!r} (chm-search sources list)")
        chosen.append(source)
    _run(chosen, _since(since))


@sources_app.command("remove")
def sources_remove(names: Annotated[list[str], typer.Argument(help="Sources to forget.")]) -> None:
    """Forget sources (the records they gave stay searchable)."""
    state = _sources()
    for name in names:
        if not state.remove_source(name):
            raise typer.BadParameter(f"no source named {name!r}")
        say(f"source {name} removed")


def register(app: typer.Typer) -> None:
    app.add_typer(harvest_app, name="harvest")
    app.add_typer(sources_app, name="sources")
