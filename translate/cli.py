"""``chm-search translate`` and ``chm-search models``: registered on the root CLI."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    """Add the translation commands to the root CLI (filled in by the translation issue)."""
    del app
