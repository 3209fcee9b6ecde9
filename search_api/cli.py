"""``chm-search``: the one command-line entry point.

It lives here because ``serve`` needs the app and nothing may import ``search_api``; the
ingest-side commands come from ``ingest.cli``. Known failures (bad settings, catalogue or engine
down) end with one line saying what to try and a non-zero exit, never a traceback.
"""

from __future__ import annotations

import sys
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape

from ingest import cli as ingest_cli
from ingest.records_cli import records_app
from record_catalogue.db import CatalogueUnavailable
from record_catalogue.keys import ROLES, KeyProblem, KeyStore, parse_presets
from record_catalogue.settings import SettingsError, get_settings
from record_catalogue.store import Catalogue
from search_index.base import IndexUnavailable
from search_index.factory import get_backend
from translate import cli as translate_cli

app = typer.Typer(
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    help="Multilingual search across the CBD clearing-houses.",
)
ingest_cli.register(app)
translate_cli.register(app)
err = Console(stderr=True, soft_wrap=True)
keys_app = typer.Typer(no_args_is_help=True, help="API keys for partners, ingest clients, curators and admins.")
app.add_typer(keys_app, name="keys")
app.add_typer(records_app, name="records")


def _key_store() -> KeyStore:
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
    try:
        key = _key_store().create(name, role, rate_limit, presets=parse_presets(preset or []), origins=origin or [])
    except KeyProblem as exc:
        err.print(f"[red]error:[/] {exc}")
        raise typer.Exit(2) from None
    typer.echo(key)
    err.print(f"key for {name!r} with role {role!r} created; keep it now, it will not be shown again")


@keys_app.command("list")
def keys_list() -> None:
    """Every key: name, role, the key's first characters, limits, use, revocation."""
    for info in _key_store().list():
        state = f"revoked {info.revoked_at:%Y-%m-%d}" if info.revoked_at else "active"
        used = f"last used {info.last_used_at:%Y-%m-%d %H:%M}" if info.last_used_at else "never used"
        limit = f"{info.rate_limit}/min" if info.rate_limit else "default limit"
        typer.echo(f"{info.name}\t{info.role}\t{info.prefix}…\t{limit}\t{used}\t{state}")


@keys_app.command("revoke")
def keys_revoke(name: Annotated[str, typer.Argument(help="The key's name.")]) -> None:
    """Revoke a key (it stops working within 30 seconds on running servers)."""
    try:
        _key_store().revoke(name)
    except KeyProblem as exc:
        err.print(f"[red]error:[/] {exc}")
        raise typer.Exit(2) from None
    typer.echo(f"key {name!r} revoked")


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Default: CHM_HOST.")] = None,
    port: Annotated[int | None, typer.Option(help="Default: CHM_PORT.")] = None,
    reload: Annotated[bool, typer.Option(help="Restart on code changes (development).")] = False,
) -> None:
    """Run the HTTP API (and the pages) with uvicorn."""
    import uvicorn

    settings = get_settings()
    Catalogue(settings.catalogue_dsn).close()  # migrate before the first request
    get_backend(settings).ensure_index()
    uvicorn.run(
        "search_api.app:create_app",
        factory=True,
        host=host or settings.host,
        port=port or settings.port,
        reload=reload,
        log_level="info",
    )


@app.command()
def migrate() -> None:
    """Bring the catalogue schema up to date (also done automatically on start)."""
    settings = get_settings()
    Catalogue(settings.catalogue_dsn).close()
    typer.echo("catalogue is up to date")


@app.command()
def health() -> None:
    """Check the catalogue and the search engine; exit 1 if either is down."""
    settings = get_settings()
    ok, detail = Catalogue(settings.catalogue_dsn).health()
    engine = get_backend(settings).health()
    typer.echo(f"catalogue: {detail}")
    state = "degraded: " if engine.degraded else ""
    typer.echo(f"search engine ({engine.engine}): {state}{engine.detail}")
    if not (ok and engine.ok):
        raise typer.Exit(1)


def main() -> None:
    """Console-script entry: run the CLI, turning known failures into one clear line."""
    try:
        app()
    except SettingsError as exc:
        err.print(f"[red]error:[/] {escape(str(exc))}")
        sys.exit(2)
    except CatalogueUnavailable as exc:  # messages may hold brackets: pip install 'chm-search[postgres]'
        err.print(f"[red]catalogue unavailable:[/] {escape(str(exc))}")
        sys.exit(3)
    except IndexUnavailable as exc:
        err.print(f"[red]search engine unavailable:[/] {escape(str(exc))}")
        sys.exit(4)
