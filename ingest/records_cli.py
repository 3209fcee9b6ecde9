"""``chm-search records ...``: curators' and operators' commands on single records."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console

from ingest.withdraw import withdraw
from record_catalogue.settings import get_settings
from record_catalogue.store import Catalogue
from search_index.factory import get_backend

records_app = typer.Typer(no_args_is_help=True, help="Withdraw records, split wrongly matched duplicates.")
out = Console(highlight=False, soft_wrap=True)


@records_app.command("delete")
def delete(
    ids: Annotated[list[str], typer.Argument(help="Ids of the records to withdraw.")],
    actor: Annotated[str, typer.Option(help="Who withdraws them (kept in the audit trail).")] = "cli",
    reason: Annotated[str, typer.Option(help="Why (kept in the audit trail).")] = "",
) -> None:
    """Withdraw records: out of search at once, kept as tombstones the feeds report as deleted; an
    ingest of the same id restores them. Exit 1 if any id is unknown."""
    settings = get_settings()
    catalogue = Catalogue(settings.catalogue_dsn)
    backend = get_backend(settings)
    try:
        done = withdraw(catalogue, backend, ids, actor, reason=reason)
    finally:
        backend.close()
        catalogue.close()
    for record_id in ids:
        outcome = done.outcomes[record_id]
        message = {
            "deleted": "deleted",
            "already_deleted": "was already deleted",
            "not_found": "no such record",
            "not_yours": "not deleted",
        }[outcome]
        out.print(f"{record_id}: {message}")
    if not done.index_updated:
        out.print("the search engine could not be reached: the next ingest or translate run removes them from it")
    if any(outcome == "not_found" for outcome in done.outcomes.values()):
        raise typer.Exit(1)
