"""What readers do, without personal data: the events table, declared on the catalogue's ``Base``.

Why: curators should review first what readers actually read. The page and the widget report,
in batches (``POST /api/v1/events``), each search (its text, page language, result count and
filters), each record opened and each result followed. Nothing identifies a reader: no address,
no key, no cookie, no session or browser id, no referrer, and the time is kept to the hour only,
so an event cannot be matched with a server's access log line. Events older than
``CHM_EVENTS_RETENTION_DAYS`` are deleted (``record_catalogue.reader_events.prune``).

``record_id`` is not a foreign key: a deleted record's events stay until they are pruned (the
counts of the past do not change), and writing an event never waits on the records table.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, DateTime, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from record_catalogue.models import Base

EVENT_KINDS = ("search", "view", "click")
EVENT_SOURCES = ("page", "widget")


class ReaderEvent(Base):
    """One thing a reader did: ``search`` (query, results, filters), ``view`` (a record opened) or
    ``click`` (a result followed, with its position); in the page language ``lang``."""

    __tablename__ = "reader_events"
    __table_args__ = (
        # order=impact: views and clicks per record and language
        Index("ix_reader_events_records", "kind", "lang", "record_id"),
        # the curators' overview: a language's events over time; pruning by time
        Index("ix_reader_events_time", "kind", "lang", "at"),
        Index("ix_reader_events_at", "at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    kind: Mapped[str] = mapped_column(String(16))
    lang: Mapped[str] = mapped_column(String(8))
    source: Mapped[str] = mapped_column(String(16))
    query: Mapped[str | None] = mapped_column(Text)
    results: Mapped[int | None] = mapped_column(Integer)
    filters: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    record_id: Mapped[str | None] = mapped_column(String(200))
    position: Mapped[int | None] = mapped_column(Integer)
    machine: Mapped[bool | None] = mapped_column(Boolean)
