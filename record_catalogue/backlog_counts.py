"""The counts behind ``chm-search translate --status`` and the health route's translation backlog.

Why here: they are aggregates over ``field_texts``, ``translation_work`` and
``translation_memory`` (index-backed anti-joins), the catalogue's tables; ``translate.backlog``
turns them into the backlog per pair, a rate and an ETA.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy import and_, exists, func, or_, select
from sqlalchemy.orm import Session, aliased, sessionmaker

from record_catalogue.codes import Provenance, TextStatus
from record_catalogue.db import translating_faults
from record_catalogue.memory_models import TranslationMemoryEntry
from record_catalogue.memory_store import SEGMENT_ENGINE
from record_catalogue.models import FieldText
from record_catalogue.work_models import TranslationWork


@dataclass
class BacklogCounts:
    """What is left to translate and what the workers did lately, as counted from the catalogue."""

    to_translate: list[tuple[str, str, int]] = field(default_factory=list)  # (source, target, field versions)
    failed: dict[str, int] = field(default_factory=dict)  # machine versions the gate refused, by target
    pending: dict[str, int] = field(default_factory=dict)  # machine versions without a model, by target
    queued_records: int = 0
    leased_records: int = 0
    held_back_records: int = 0
    workers: int = 0
    fields_done: int = 0  # machine field versions stored since ``since``
    segments_done: int = 0  # model answers stored since ``since``


@translating_faults
def count_backlog(sessions: sessionmaker[Session], languages: Sequence[str], window: float) -> BacklogCounts:
    """The counts for the configured ``languages``, the rates over the last ``window`` seconds.

    A field version is to translate when a configured language has no version of it (or only a
    ``stale`` one); a field with originals in two languages counts once per source language.
    """
    counts = BacklogCounts()
    original = aliased(FieldText)
    other = aliased(FieldText)
    now = time.time()
    since = dt.datetime.fromtimestamp(now - window, dt.UTC)
    with sessions() as session:
        for target in languages:
            done = exists().where(
                other.record_id == original.record_id,
                other.field == original.field,
                other.language == target,
                or_(other.provenance == Provenance.ORIGINAL, other.status != TextStatus.STALE),
            )
            stmt = (
                select(original.language, func.count())
                .where(
                    original.provenance == Provenance.ORIGINAL,
                    original.language != target,
                    original.language.in_(list(languages)),
                    func.length(func.trim(original.text)) > 0,
                    ~done,
                )
                .group_by(original.language)
            )
            for source, count in session.execute(stmt):
                counts.to_translate.append((str(source), target, int(count)))
        stuck = (
            select(FieldText.language, FieldText.status, func.count())
            .where(
                FieldText.provenance == Provenance.MACHINE,
                FieldText.status.in_([TextStatus.FAILED, TextStatus.PENDING]),
            )
            .group_by(FieldText.language, FieldText.status)
        )
        for language, state, count in session.execute(stuck):
            (counts.failed if state == TextStatus.FAILED else counts.pending)[str(language)] = int(count)
        counts.queued_records = int(session.scalar(select(func.count()).select_from(TranslationWork)) or 0)
        live = and_(TranslationWork.leased_by.is_not(None), TranslationWork.leased_until >= now)
        counts.leased_records = int(session.scalar(select(func.count()).where(live)) or 0)
        counts.workers = int(
            session.scalar(select(func.count(func.distinct(TranslationWork.leased_by))).where(live)) or 0
        )
        counts.held_back_records = int(
            session.scalar(
                select(func.count()).where(TranslationWork.last_error.is_not(None), TranslationWork.leased_by.is_(None))
            )
            or 0
        )
        counts.fields_done = int(
            session.scalar(
                select(func.count()).where(
                    FieldText.provenance == Provenance.MACHINE,
                    FieldText.status.in_(["current", "failed"]),
                    FieldText.updated_at >= since,
                )
            )
            or 0
        )
        counts.segments_done = int(
            session.scalar(
                select(func.count()).where(
                    TranslationMemoryEntry.engine != SEGMENT_ENGINE,
                    TranslationMemoryEntry.updated_at >= since,
                )
            )
            or 0
        )
    return counts
