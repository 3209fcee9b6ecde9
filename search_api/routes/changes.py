"""``GET /api/v1/changes?since=TOKEN``: what changed in the catalogue since a partner last asked.

What a partner needs to mirror us in JSON: every record created, changed (its texts, a new machine
translation, a curator's review) or deleted since the position ``since`` names, in the order the
changes committed, each with every language version of every field and its provenance (deleted
ones as tombstones), and the token to continue from. Tokens are opaque positions in the
catalogue's change sequence (``record_catalogue.changes``): they do not expire, and a partner who
keeps the last ``next`` and asks again never misses a change (a record changed twice is sent once,
at its latest position).
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import json
from typing import Annotated, Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from record_catalogue.codes import LanguageCode
from record_catalogue.feeds import START, Position, changed_records, position_of
from search_api.dependencies import ServicesDep
from search_api.errors import ApiError
from search_api.routes.records import RecordOut, record_out

router = APIRouter(tags=["records"])
MAX_TOKEN_CHARS = 600


class Change(BaseModel):
    """One record as it is now: changed (with ``record``) or deleted (a tombstone)."""

    id: str
    change: Literal["changed", "deleted"]
    changed_at: str = Field(description="When its last change committed (UTC)")
    deleted_at: str | None = None
    deleted_by: str | None = None
    record: RecordOut | None = Field(default=None, description="Every version of every field; null once deleted")


class Changes(BaseModel):
    changes: list[Change]
    next: str = Field(description="Ask again with since=<next> for what changes after these")
    more: bool = Field(description="True: more changes are waiting now; ask again at once")


def _utc(value: dt.datetime | None) -> str | None:
    """ISO 8601 in UTC (catalogues without time zones store UTC)."""
    if value is None:
        return None
    return (value if value.tzinfo else value.replace(tzinfo=dt.UTC)).astimezone(dt.UTC).isoformat()


def encode_token(position: Position) -> str:
    raw = json.dumps([position.seq, position.record_id], ensure_ascii=False, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_token(token: str) -> Position:
    """The position a ``since`` token names; 400 for anything this API did not issue."""
    bad = ApiError(400, "invalid_token", "since is not a token this API issued; start again without since")
    if len(token) > MAX_TOKEN_CHARS:
        raise bad
    try:
        payload = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
    except (binascii.Error, ValueError):
        raise bad from None
    if not (
        isinstance(payload, list)
        and len(payload) == 2
        and isinstance(payload[0], int)
        and isinstance(payload[1], str)
        and payload[0] >= -1
    ):
        raise bad
    return Position(payload[0], payload[1])


@router.get("/changes", response_model=Changes, responses={400: {"description": "A token this API did not issue"}})
async def changes(
    services: ServicesDep,
    since: Annotated[str | None, Query(max_length=MAX_TOKEN_CHARS, description="The last response's next")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    lang: LanguageCode = LanguageCode.EN,
) -> Changes:
    """Records changed or deleted since ``since`` (from the beginning without it), oldest change first."""
    after = START if since is None else decode_token(since)
    rows = await run_in_threadpool(changed_records, services.catalogue, after, limit + 1)
    more = len(rows) > limit
    rows = rows[:limit]
    out = [
        Change(
            id=row.id,
            change="deleted" if row.deleted_at is not None else "changed",
            changed_at=_utc(row.changed_at) or "",
            deleted_at=_utc(row.deleted_at),
            deleted_by=row.deleted_by,
            record=None if row.deleted_at is not None else record_out(row, lang),
        )
        for row in rows
    ]
    last = position_of(rows[-1]) if rows else after
    return Changes(changes=out, next=encode_token(last), more=more)
