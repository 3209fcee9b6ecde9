"""Source adapters: each turns one kind of input into Records or errors with a reason."""

from __future__ import annotations

from dataclasses import dataclass

from record_catalogue.record import Record


@dataclass(frozen=True)
class SourceError:
    """An input that could not become a Record: where it is and why."""

    source: str
    position: str
    reason: str
    record_id: str | None = None


SourceItem = Record | SourceError
