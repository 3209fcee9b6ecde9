"""``chm-search records ...``: curators' and operators' commands on single records."""

from __future__ import annotations

from typing import Annotated

import typer

from record_catalogue.cli_output import fail, say
from record_catalogue.errors import EXIT_PARTIAL, NotFound
from record_catalogue.settings import get_settings

records_app = typer.Typer(no_args_is_help=True, help="Withdraw records, split wrongly matched duplicates.")


@records_app.command("delete")
def delete(
    ids: Annotated[list[str], typer.Argument(help="Ids of the records to withdraw.")],
    actor: Annotated[str, typer.Option(help="Who withdraws them (kept in the audit trail).")] = "cli",
    reason: Annotated[str, typer.Option(help="Why (kept in the audit trail).")] = "",
) -> None:
    """Withdraw records: out of search at once, kept as tombstones the feeds report as deleted; an
    ingest of the same id restores them. Exit 1 if any id is unknown."""
    from ingest.withdraw import withdraw
    from record_catalogue.store import Catalogue
    from search_index.factory import get_backend

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
        say(f"{record_id}: {message}")
    if not done.index_updated:
        say("the search engine could not be reached: the next ingest or translate run removes them from it")
    if any(outcome == "not_found" for outcome in done.outcomes.values()):
        raise typer.Exit(EXIT_PARTIAL)


@records_app.command("split")
def split(
    record_id: Annotated[str, typer.Argument(help="The record a duplicate group wrongly holds.")],
    undo: Annotated[bool, typer.Option("--undo", help="Let the record be grouped again.")] = False,
    actor: Annotated[str, typer.Option(help="Who decides (kept in the audit trail).")] = "cli",
) -> None:
    """A curator's "not the same document": take a record out of the duplicate group it was
    recognised in; it is shown on its own, and stays so. Exit 1 for an unknown id."""
    from record_catalogue.store import Catalogue
    from search_index.factory import get_backend
    from search_index.sync import reindex

    settings = get_settings()
    catalogue = Catalogue(settings.catalogue_dsn)
    backend = get_backend(settings)
    try:
        regrouped = catalogue.split_record(record_id, actor, split=not undo)
        if regrouped is None:
            raise fail(NotFound(f"{record_id}: no such record"))
        result = reindex(catalogue, backend, sorted(regrouped), tolerate_down=True)
        group = catalogue.group_of(record_id)
    finally:
        backend.close()
        catalogue.close()
    shown = ", ".join(f"{r.id} ({r.realm})" for r in group)
    say(f"{record_id}: {'may be grouped again' if undo else 'split'}; shown with: {shown}")
    if result is None:
        say("the search engine could not be reached: the next ingest or translate run updates it")
