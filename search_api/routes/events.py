"""``POST /api/v1/events``: what readers do, from the page and the widget; the curators' overview of it.

The page and the widget queue events and send them in batches with ``navigator.sendBeacon`` (a
``text/plain`` body holding JSON, so that no CORS preflight is needed from a partner's site):

    {"events": [{"type": "search", "lang": "fr", "q": "forêts", "results": 0, "filters": {"realm": ["ABS"]}},
                {"type": "view", "lang": "fr", "record": "ABS-123", "machine": true},
                {"type": "click", "lang": "fr", "record": "ABS-123", "position": 2, "q": "forêts"}],
     "source": "page"}

Each event is checked on its own: a bad one is listed with its reason and the others are kept
(202). Nothing about the reader is stored: no address, no key, no cookie, no browser or session
id; the time is kept to the hour (``record_catalogue.event_models``). The endpoint is public and
rate-limited per address like any anonymous call; ``CHM_EVENTS_RETENTION_DAYS=0`` turns recording
off (events are then accepted and dropped).

``GET /api/v1/events/overview?lang=&days=`` (role ``curator``) is what ``/curate`` shows per
language: the review backlog, the most viewed machine-translated records, the searches that
found nothing (missing translations and vocabulary), and day-by-day counts for small charts.
"""

from __future__ import annotations

import json
from functools import lru_cache
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from starlette.concurrency import run_in_threadpool

from record_catalogue import reader_events
from record_catalogue.codes import LanguageCode
from record_catalogue.reader_events import NewEvent
from search_api.dependencies import CuratorKey, ServicesDep
from search_api.errors import ApiError
from search_api.timestamps import IsoDate, IsoDateTime
from translate.curation import Curation, QueueFilter
from translate.glossary import Glossary

router = APIRouter(tags=["events"])
MAX_BODY = 32 * 1024
MAX_EVENTS = 50
MAX_QUERY = 200
FILTER_NAMES = ("realm", "schema", "government", "original_language", "entity", "year_from", "year_to", "sort")


class EventIn(BaseModel):
    """One event as the page or the widget sends it."""

    model_config = ConfigDict(extra="forbid")

    type: Literal["search", "view", "click"]
    lang: LanguageCode = Field(description="The page language the reader uses.")
    q: str | None = Field(default=None, max_length=1000, description="The search's text (searches, clicks).")
    results: int | None = Field(default=None, ge=0, le=10**9, description="How many results the search found.")
    filters: dict[str, list[str]] | None = Field(default=None, description="The search's filters.")
    record: str | None = Field(default=None, min_length=1, max_length=200, description="The record viewed or clicked.")
    position: int | None = Field(default=None, ge=1, le=100_000, description="The result's rank (clicks).")
    machine: bool | None = Field(default=None, description="Whether the record was shown in machine translation.")

    @field_validator("filters")
    @classmethod
    def _known_filters(cls, value: dict[str, list[str]] | None) -> dict[str, list[str]] | None:
        if value is None:
            return None
        unknown = sorted(set(value) - set(FILTER_NAMES))
        if unknown:
            raise ValueError(f"unknown filter(s) {', '.join(unknown)}; known: {', '.join(FILTER_NAMES)}")
        for name, values in value.items():
            if len(values) > 20 or any(len(item) > 100 for item in values):
                raise ValueError(f"filter {name}: at most 20 values of 100 characters")
        return {name: values for name, values in value.items() if values} or None

    def stored(self, source: str) -> NewEvent:
        query = " ".join(self.q.split())[:MAX_QUERY] if self.q else None
        if self.type == "search":
            if self.results is None:
                raise ValueError("a search needs its result count (results)")
            return NewEvent("search", self.lang, source, query=query or "", results=self.results, filters=self.filters)
        if not self.record:
            raise ValueError(f"a {self.type} needs the record's id (record)")
        position = self.position if self.type == "click" else None
        return NewEvent(
            self.type, self.lang, source, query=query, record_id=self.record, position=position, machine=self.machine
        )


class Rejected(BaseModel):
    index: int
    reason: str


class EventsAccepted(BaseModel):
    accepted: int = Field(description="Events stored.")
    recording: bool = Field(description="False when CHM_EVENTS_RETENTION_DAYS is 0: nothing is stored.")
    rejected: list[Rejected] = Field(description="Events refused, by their position in the batch, with the reason.")


@lru_cache(maxsize=1)
def _glossary() -> Glossary:
    return Glossary.load()


def _reason(error: ValidationError | ValueError) -> str:
    if isinstance(error, ValidationError):
        return "; ".join(
            f"{'.'.join(str(part) for part in item['loc']) or 'event'}: {item['msg']}" for item in error.errors()
        )
    return str(error)


@router.post("/events", response_model=EventsAccepted, status_code=202)
async def post_events(request: Request, services: ServicesDep) -> JSONResponse:
    """Readers' events in a batch (up to 50): searches, record views, result clicks. No personal data."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > MAX_BODY:
        raise ApiError(413, "body_too_large", f"a batch of events is at most {MAX_BODY} bytes")
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_BODY:
            raise ApiError(413, "body_too_large", f"a batch of events is at most {MAX_BODY} bytes")
    try:
        payload = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise ApiError(422, "invalid_body", 'the body is not JSON; send {"events": [...]}') from None
    if not isinstance(payload, dict) or not isinstance(payload.get("events"), list):
        raise ApiError(422, "invalid_body", 'send {"events": [...], "source": "page"|"widget"}')
    source = payload.get("source", "page")
    if source not in ("page", "widget"):
        raise ApiError(422, "invalid_body", f"source must be page or widget, not {source!r}")
    raw: list[Any] = payload["events"]
    if len(raw) > MAX_EVENTS:
        raise ApiError(422, "invalid_body", f"{len(raw)} events in one batch; send at most {MAX_EVENTS}")
    languages = set(services.settings.languages)
    rejected: list[Rejected] = []
    valid: list[tuple[int, NewEvent]] = []
    for index, item in enumerate(raw):
        try:
            event = EventIn.model_validate(item).stored(source)
        except (ValidationError, ValueError) as exc:
            rejected.append(Rejected(index=index, reason=_reason(exc)))
            continue
        if event.lang not in languages:
            rejected.append(Rejected(index=index, reason=f"lang '{event.lang}' is not a language of this service"))
            continue
        valid.append((index, event))
    retention = services.settings.events_retention_days
    stored = 0
    if retention > 0 and valid:
        ids = [event.record_id for _index, event in valid if event.record_id]
        known = await run_in_threadpool(reader_events.known_records, services.catalogue, ids)
        keep = []
        for index, event in valid:
            if event.record_id is not None and event.record_id not in known:
                rejected.append(Rejected(index=index, reason=f"no record {event.record_id!r}"))
            else:
                keep.append(event)
        stored = await run_in_threadpool(reader_events.record, services.catalogue, keep, retention)
    body_out = EventsAccepted(
        accepted=stored, recording=retention > 0, rejected=sorted(rejected, key=lambda r: r.index)
    )
    return JSONResponse(body_out.model_dump(), status_code=202)


class BacklogOut(BaseModel):
    machine: int = Field(description="Machine-translated sentences in use, not reviewed.")
    failed: int = Field(description="Sentences the gate refused (readers see the original).")
    rejected: int
    reviewed: int


class ViewedOut(BaseModel):
    id: str
    title: str | None
    views: int
    clicks: int


class MissedOut(BaseModel):
    query: str
    searches: int
    last: IsoDateTime


class DayOut(BaseModel):
    day: IsoDate
    searches: int
    zero_results: int
    views: int
    clicks: int
    reviewed: int = Field(description="Sentences curators approved or corrected that day.")


class OverviewOut(BaseModel):
    lang: str
    days: int
    retention_days: int
    backlog: BacklogOut
    most_viewed: list[ViewedOut] = Field(description="Machine-translated records readers of `lang` opened most.")
    zero_results: list[MissedOut] = Field(description="Searches in `lang` that found nothing, most frequent first.")
    trend: list[DayOut]


@router.get("/events/overview", response_model=OverviewOut)
def events_overview(
    services: ServicesDep,
    _key: CuratorKey,
    lang: Annotated[LanguageCode, Query(description="The readers' (and translations') language.")],
    days: Annotated[int, Query(ge=1, le=366, description="How many days back, today included.")] = 30,
) -> OverviewOut:
    """What readers of one language did, and the review backlog in it (for /curate)."""
    curation = Curation(services.catalogue, None, _glossary(), services.detector)
    backlog = {
        status: curation.queue(QueueFilter(status=status, lang=lang, size=1)).total
        for status in ("machine", "failed", "rejected", "reviewed")
    }
    found = reader_events.overview(services.catalogue, lang, days)
    return OverviewOut(
        lang=lang,
        days=days,
        retention_days=services.settings.events_retention_days,
        backlog=BacklogOut(**backlog),
        most_viewed=[ViewedOut.model_validate(r, from_attributes=True) for r in found.most_viewed],
        zero_results=[MissedOut.model_validate(m, from_attributes=True) for m in found.zero_results],
        trend=[DayOut.model_validate(d, from_attributes=True) for d in found.trend],
    )
