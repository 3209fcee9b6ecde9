"""Readers' events in the catalogue: stored in batches, pruned after the retention, summed for curators.

The API validates what the page and the widget send (``search_api.routes.events``); this module
writes it (one transaction per batch, the time cut to the hour; views and clicks also recount
the ``read_count`` of the sentences their records use, which the review queue's "most read"
order reads: ``record_catalogue.segment_uses.records_read_changed``) and answers the curators'
overview for one language: the most viewed machine-translated records, the searches that found
nothing, and day-by-day counts. See ``record_catalogue.event_models`` for what is kept and why
nothing in it identifies a reader.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import and_, case, delete, func, insert, select
from sqlalchemy.orm import Session

from record_catalogue.codes import Provenance, TextStatus
from record_catalogue.dialect import lock_translation_writers
from record_catalogue.event_models import ReaderEvent
from record_catalogue.memory_models import TranslationMemoryEntry, TranslationMemoryVersion
from record_catalogue.memory_store import READER_EVENTS
from record_catalogue.models import FieldText, RecordRow, utcnow
from record_catalogue.segment_uses import records_read_changed
from record_catalogue.store import Catalogue

PRUNE_EVERY_SECONDS = 3600.0
_last_prune: dict[str, float] = {}
_prune_lock = threading.Lock()


@dataclass(frozen=True)
class NewEvent:
    """One validated event, as the API hands it over."""

    kind: str
    lang: str
    source: str
    query: str | None = None
    results: int | None = None
    filters: dict[str, Any] | None = None
    record_id: str | None = None
    position: int | None = None
    machine: bool | None = None


def to_the_hour(moment: datetime) -> datetime:
    """The hour an event happened in: finer times could tie an event to an access-log line."""
    return moment.astimezone(UTC).replace(minute=0, second=0, microsecond=0)


def known_records(catalogue: Catalogue, ids: Sequence[str]) -> set[str]:
    """Which of ``ids`` are records in the catalogue (events about anything else are refused)."""
    wanted = sorted(set(ids))
    if not wanted:
        return set()
    with catalogue.sessions() as session:
        return set(session.scalars(select(RecordRow.id).where(RecordRow.id.in_(wanted))))


def record(catalogue: Catalogue, events: Sequence[NewEvent], retention_days: int, now: datetime | None = None) -> int:
    """Store a batch of events; prune old ones at most once an hour per process. Returns how many were stored."""
    if not events or retention_days <= 0:
        return 0
    moment = to_the_hour(now or utcnow())
    rows = [
        {
            "at": moment,
            "kind": e.kind,
            "lang": e.lang,
            "source": e.source,
            "query": e.query,
            "results": e.results,
            "filters": e.filters,
            "record_id": e.record_id,
            "position": e.position,
            "machine": e.machine,
        }
        for e in events
    ]
    read = {(e.record_id, e.lang) for e in events if e.kind in READER_EVENTS and e.record_id is not None}
    with catalogue.sessions.begin() as session:
        if read:  # before the events are written: no writer of uses changes what these records use meanwhile
            lock_translation_writers(session)
        session.execute(insert(ReaderEvent), rows)
        records_read_changed(session, read)
    key = catalogue.engine.url.render_as_string(hide_password=True)
    with _prune_lock:
        due = time.monotonic() - _last_prune.get(key, float("-inf")) > PRUNE_EVERY_SECONDS
        if due:
            _last_prune[key] = time.monotonic()
    if due:
        prune(catalogue, retention_days, now)
    return len(rows)


def prune(catalogue: Catalogue, retention_days: int, now: datetime | None = None) -> int:
    """Delete events older than ``retention_days`` (the sentences of the records they were about
    are recounted for the queue's "most read" order); returns how many went."""
    before = (now or utcnow()) - timedelta(days=retention_days)
    with catalogue.sessions.begin() as session:
        lock_translation_writers(session)  # as ``record`` does, and before reading what goes
        read = select(ReaderEvent.record_id, ReaderEvent.lang).where(
            ReaderEvent.at < before, ReaderEvent.kind.in_(READER_EVENTS), ReaderEvent.record_id.is_not(None)
        )
        gone = {(str(record_id), str(lang)) for record_id, lang in session.execute(read.distinct())}
        done = session.execute(delete(ReaderEvent).where(ReaderEvent.at < before))
        records_read_changed(session, gone)
        return int(done.rowcount or 0)  # type: ignore[attr-defined]


@dataclass(frozen=True)
class ViewedRecord:
    id: str
    title: str | None
    views: int
    clicks: int


@dataclass(frozen=True)
class MissedQuery:
    query: str
    searches: int
    last: datetime


@dataclass(frozen=True)
class Day:
    day: date
    searches: int
    zero_results: int
    views: int
    clicks: int
    reviewed: int


@dataclass(frozen=True)
class Overview:
    lang: str
    days: int
    most_viewed: list[ViewedRecord]
    zero_results: list[MissedQuery]
    trend: list[Day]


def overview(catalogue: Catalogue, lang: str, days: int, limit: int = 10, now: datetime | None = None) -> Overview:
    """What readers of ``lang`` did over the last ``days`` days, and what curators reviewed in it."""
    end = now or utcnow()
    since = to_the_hour(end) - timedelta(days=days - 1, hours=to_the_hour(end).hour)
    recent = and_(ReaderEvent.lang == lang, ReaderEvent.at >= since)
    with catalogue.sessions() as session:
        # records shown to readers of `lang` in machine translation: they have a machine version in it
        machine = (
            select(FieldText.record_id)
            .where(
                FieldText.language == lang,
                FieldText.provenance == Provenance.MACHINE,
                FieldText.status == TextStatus.CURRENT,
            )
            .distinct()
            .subquery()
        )
        views = func.sum(case((ReaderEvent.kind == "view", 1), else_=0))
        clicks = func.sum(case((ReaderEvent.kind == "click", 1), else_=0))
        stmt = (
            select(ReaderEvent.record_id, views.label("views"), clicks.label("clicks"))
            .join(machine, machine.c.record_id == ReaderEvent.record_id)
            .where(recent, ReaderEvent.kind.in_(("view", "click")))
            .group_by(ReaderEvent.record_id)
            .order_by((views + clicks).desc(), ReaderEvent.record_id)
            .limit(limit)
        )
        viewed = [(str(r), int(v or 0), int(c or 0)) for r, v, c in session.execute(stmt)]
        titles = _titles(session, [r for r, _v, _c in viewed], lang)
        most_viewed = [ViewedRecord(r, titles.get(r), v, c) for r, v, c in viewed]

        missed = (
            select(ReaderEvent.query, func.count().label("n"), func.max(ReaderEvent.at).label("last"))
            .where(recent, ReaderEvent.kind == "search", ReaderEvent.results == 0, ReaderEvent.query.is_not(None))
            .group_by(ReaderEvent.query)
            .order_by(func.count().desc(), func.max(ReaderEvent.at).desc())
            .limit(limit)
        )
        zero = [MissedQuery(str(q), int(n), _aware(last)) for q, n, last in session.execute(missed)]

        counts: dict[tuple[date, str], int] = {}
        zero_result = case((ReaderEvent.results == 0, 1), else_=0)
        hourly = (  # events are stored to the hour: at most 24 rows a day and kind
            select(ReaderEvent.at, ReaderEvent.kind, func.count(), func.sum(zero_result))
            .where(recent)
            .group_by(ReaderEvent.at, ReaderEvent.kind)
        )
        for at, kind, number, zeros in session.execute(hourly):
            day = _aware(at).date()
            counts[(day, kind)] = counts.get((day, kind), 0) + int(number)
            if kind == "search":
                counts[(day, "zero")] = counts.get((day, "zero"), 0) + int(zeros or 0)
        reviewed = (
            select(TranslationMemoryVersion.at)
            .join(TranslationMemoryEntry, TranslationMemoryEntry.id == TranslationMemoryVersion.entry_id)
            .where(
                TranslationMemoryEntry.target_language == lang,
                TranslationMemoryVersion.provenance == Provenance.REVIEWED,
                TranslationMemoryVersion.at >= since,
            )
        )
        for (at,) in session.execute(reviewed):
            day = _aware(at).date()
            counts[(day, "reviewed")] = counts.get((day, "reviewed"), 0) + 1
    first = since.date()
    trend = []
    for offset in range(days):
        day = first + timedelta(days=offset)
        trend.append(
            Day(
                day,
                counts.get((day, "search"), 0),
                counts.get((day, "zero"), 0),
                counts.get((day, "view"), 0),
                counts.get((day, "click"), 0),
                counts.get((day, "reviewed"), 0),
            )
        )
    return Overview(lang, days, most_viewed, zero, trend)


def _aware(moment: datetime) -> datetime:
    """SQLite hands back naive datetimes: they are UTC."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _titles(session: Session, ids: list[str], lang: str) -> dict[str, str]:
    """Each record's title as readers of ``lang`` see it: reviewed, else machine, else the original."""
    if not ids:
        return {}
    rank = {Provenance.REVIEWED: 0, Provenance.MACHINE: 1, Provenance.ORIGINAL: 2}
    best: dict[str, tuple[int, str]] = {}
    stmt = select(FieldText.record_id, FieldText.language, FieldText.provenance, FieldText.text).where(
        FieldText.record_id.in_(ids), FieldText.field == "title", FieldText.status == TextStatus.CURRENT
    )
    for record_id, language, provenance, text in session.execute(stmt):
        if language != lang and provenance != Provenance.ORIGINAL:
            continue
        score = rank.get(provenance, 3) + (0 if language == lang else 10)
        if record_id not in best or score < best[record_id][0]:
            best[record_id] = (score, text)
    return {record_id: text for record_id, (_score, text) in best.items()}
