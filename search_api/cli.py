"""``chm-search``: the one command-line entry point.

It lives here because ``serve`` needs the app and nothing may import ``search_api``; the
ingest-side commands come from ``ingest.cli``. Known failures (bad settings, catalogue or engine
down) end with one line saying what to try and a non-zero exit, never a traceback.
"""

from __future__ import annotations

import os
import sys
from typing import TYPE_CHECKING, Annotated

import typer

from ingest import cli as ingest_cli
from ingest.records_cli import records_app
from record_catalogue.cli_output import JsonOption, ReportJsonOption, emit_json, emit_json_report, fail, note, say
from record_catalogue.codes import ROLES
from record_catalogue.errors import EXIT_DEGRADED, EXIT_PARTIAL, ChmSearchError
from record_catalogue.logs import configure_logging, logging_config
from record_catalogue.settings import Settings, SettingsError, get_settings
from translate import cli as translate_cli

if TYPE_CHECKING:
    from record_catalogue.keys import KeyStore
    from record_catalogue.store import Catalogue
    from search_index.base import SearchBackend

app = typer.Typer(
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    help="Multilingual search across the CBD clearing-houses.",
)
ingest_cli.register(app)
translate_cli.register(app)
keys_app = typer.Typer(no_args_is_help=True, help="API keys for partners, ingest clients, curators and admins.")
app.add_typer(keys_app, name="keys")
app.add_typer(records_app, name="records")


def _key_store() -> KeyStore:
    from record_catalogue.keys import KeyStore
    from record_catalogue.store import Catalogue

    return KeyStore(Catalogue(get_settings().catalogue_dsn))


@keys_app.command("create")
def keys_create(
    role: Annotated[str, typer.Option(help=f"One of: {', '.join(ROLES)}.")],
    name: Annotated[str, typer.Option(help="Who or what uses the key; changes are attributed to it.")],
    rate_limit: Annotated[int | None, typer.Option(help="Requests per minute (default: CHM_RATE_LIMIT_KEY).")] = None,
    preset: Annotated[
        list[str] | None,
        typer.Option(help="A partner key's search filter, e.g. realm=ABS or government=pe (repeatable)."),
    ] = None,
    origin: Annotated[
        list[str] | None,
        typer.Option(help="A web origin allowed to use a partner key from a browser (repeatable)."),
    ] = None,
) -> None:
    """Create a key and print it once: it is stored hashed and cannot be shown again."""
    from record_catalogue.keys import KeyProblem, parse_presets

    try:
        key = _key_store().create(name, role, rate_limit, presets=parse_presets(preset or []), origins=origin or [])
    except KeyProblem as exc:
        raise fail(exc) from None
    say(key)
    note(f"key for {name!r} with role {role!r} created; keep it now, it will not be shown again")


@keys_app.command("list")
def keys_list(as_json: JsonOption = False) -> None:
    """Every key: name, role, the key's first characters, limits, use, revocation."""
    keys = _key_store().list()
    if as_json:
        emit_json(
            {
                "name": info.name,
                "role": info.role,
                "prefix": info.prefix,
                "rate_limit": info.rate_limit,
                "created_at": info.created_at,
                "last_used_at": info.last_used_at,
                "revoked_at": info.revoked_at,
                "presets": info.presets,
                "origins": list(info.origins),
            }
            for info in keys
        )
        return
    for info in keys:
        state = f"revoked {info.revoked_at:%Y-%m-%d}" if info.revoked_at else "active"
        used = f"last used {info.last_used_at:%Y-%m-%d %H:%M}" if info.last_used_at else "never used"
        limit = f"{info.rate_limit}/min" if info.rate_limit else "default limit"
        say(f"{info.name}\t{info.role}\t{info.prefix}…\t{limit}\t{used}\t{state}")


@keys_app.command("revoke")
def keys_revoke(name: Annotated[str, typer.Argument(help="The key's name.")]) -> None:
    """Revoke a key (it stops working within a second on running servers)."""
    from record_catalogue.keys import KeyProblem

    try:
        _key_store().revoke(name)
    except KeyProblem as exc:
        raise fail(exc) from None
    say(f"key {name!r} revoked")


def api_processes(asked: int | None, settings: Settings) -> int:
    """How many API processes ``serve`` runs: as asked, else ``CHM_WORKERS``, else one per core
    this process may use (a process is bound by its GIL to about one core; the rate limits are
    shared, so more processes never give a client more than its limit)."""
    return asked or settings.workers or len(os.sched_getaffinity(0))


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Default: CHM_HOST.")] = None,
    port: Annotated[int | None, typer.Option(help="Default: CHM_PORT.")] = None,
    reload: Annotated[bool, typer.Option(help="Restart on code changes (development).")] = False,
    workers: Annotated[
        int | None,
        typer.Option(
            min=1,
            help="API processes sharing the port (uvicorn workers). Default: CHM_WORKERS, else the cores "
            "this process may use. They share the rate limits (see README).",
        ),
    ] = None,
) -> None:
    """Run the HTTP API (and the pages) with uvicorn."""
    import uvicorn

    from record_catalogue.store import Catalogue
    from search_index.factory import get_backend
    from search_index.restore import ensure_index

    if host or port:
        # The app (made by uvicorn's factory) reads the settings again: it must see these, so that
        # its public base URL (without CHM_PUBLIC_URL) names where it really listens.
        os.environ.update({"CHM_HOST": host or get_settings().host, "CHM_PORT": str(port or get_settings().port)})
        get_settings.cache_clear()
    settings = get_settings()
    log_level = settings.log_level or "INFO"  # a server's log has a line per request
    configure_logging(settings.log_format, log_level)
    catalogue = Catalogue(settings.catalogue_dsn)  # migrate before the first request
    backend = get_backend(settings)
    try:
        ensure_index(backend, catalogue)  # a lost index is rebuilt from the catalogue, saying so
    finally:
        backend.close()
        catalogue.close()
    uvicorn.run(
        "search_api.app:create_app",
        factory=True,
        host=settings.host,
        port=settings.port,
        reload=reload,
        # Each worker is a process of its own (the app made again, its own engine readers, memos
        # and caches; the rate limits shared); uvicorn restarts one that dies. Ignored with --reload.
        workers=api_processes(workers, settings),
        # The one handler and format (CHM_LOG_FORMAT), in every process uvicorn starts; its own
        # access log is replaced by search_api.access (which leaves query values out).
        log_config=logging_config(settings.log_format, log_level),
        access_log=False,
        # Forwarding headers are the app's to judge (CHM_TRUSTED_PROXIES); uvicorn's own handling
        # would believe any X-Forwarded-For from loopback, letting a local client pick its address.
        proxy_headers=False,
        server_header=False,
    )


@app.command()
def migrate() -> None:
    """Bring the catalogue schema up to date (also done automatically on start)."""
    from record_catalogue.store import Catalogue

    settings = get_settings()
    Catalogue(settings.catalogue_dsn).close()
    say("catalogue is up to date")


@app.command()
def health(as_json: ReportJsonOption = False) -> None:
    """Check the catalogue and the search engine, and that the index holds the catalogue's records.

    Exit 0 when everything is ok, 1 when a part is down, 5 when degraded (a cluster short of a
    node, an index missing records the catalogue holds); the same with --json.
    """
    from record_catalogue.db import CatalogueUnavailable
    from record_catalogue.store import Catalogue
    from search_api.health_check import check_health
    from search_index.base import IndexUnavailable
    from search_index.factory import get_backend

    settings = get_settings()
    catalogue: Catalogue | str
    backend: SearchBackend | str
    try:
        catalogue = Catalogue(settings.catalogue_dsn)
    except CatalogueUnavailable as exc:
        catalogue = str(exc)
    try:
        backend = get_backend(settings)
    except IndexUnavailable as exc:
        backend = str(exc)
    report = check_health(catalogue, backend, settings.es_flavour if settings.es_url else "tantivy")
    if as_json:
        emit_json_report(report.as_dict())
    else:
        say(f"catalogue: {report.catalogue.detail}")
        state = "" if report.search_engine.status == "ok" else f"{report.search_engine.status}: "
        say(f"search engine ({report.engine}): {state}{report.search_engine.detail}")
        say(f"status: {report.status}")
    if report.status == "down":
        raise typer.Exit(EXIT_PARTIAL)
    if report.status != "ok":
        raise typer.Exit(EXIT_DEGRADED)


def _configure_logging() -> None:
    """A one-shot command says what it did on its console; its log (``CHM_LOG_LEVEL=INFO`` for
    progress and outcome lines) is for operators running it unattended. Bad settings are the
    command's to report (``--help`` still works with them)."""
    try:
        settings = get_settings()
    except SettingsError:
        configure_logging("text", "WARNING")
    else:
        configure_logging(settings.log_format, settings.log_level or "WARNING")


def main() -> None:
    """Console-script entry: run the CLI, turning known failures into one clear line and the exit
    code their cause has in the one table (``record_catalogue.errors.OUTCOMES``)."""
    try:
        _configure_logging()
        app()
    except ChmSearchError as exc:
        sys.exit(fail(exc).exit_code)
