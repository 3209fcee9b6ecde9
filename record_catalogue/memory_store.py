"""The translation memory's reads and writes: every segment the engine was given, and what it answered.

Model answers are keyed by (source text, source language, target language, engine, model
version), so the same segment is never sent to the same model twice, whichever record it comes
from and however often records are re-ingested; a new model version starts afresh.

Segments (one row per source sentence and language pair, ``engine = 'segment'``) hold what
readers get for a sentence: the machine's final output (glossary applied, gate passed or not),
until a curator approves or corrects it (``reviewed``, which then beats any machine output
whatever model is installed) or rejects it. The translator offers its output to the segment
row but never overwrites a curator's decision; every change of a segment row bumps its
``version`` and is kept in the history table, so concurrent edits are caught and nothing is lost.

Reads and writes are in bulk (one query per few hundred segments) because the worker asks about
thousands of segments per batch of records. The ``translate`` package works with what this module
returns (``SegmentState``, ``Remembered``) and never writes SQL itself.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any

from sqlalchemy import ColumnElement, Select, Text, and_, bindparam, func, literal, select, type_coerce, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from record_catalogue.codes import MemoryExport, Provenance, SegmentKind, TextStatus
from record_catalogue.db import in_chunks
from record_catalogue.dialect import dialect_of, listed, lock_translation_writers
from record_catalogue.event_models import ReaderEvent
from record_catalogue.memory_models import TranslationMemoryEntry, TranslationMemoryVersion, TranslationUse
from record_catalogue.models import RecordRow, plain, utcnow

CHUNK = 400
SEGMENT_ENGINE = "segment"
REVIEWED_ENGINE = SEGMENT_ENGINE  # the name curated rows had before segments held machine text too


def text_hash(text: str) -> str:
    """The key of a segment's text (SHA-256, hex)."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def lock_for_write(session: Session) -> None:
    """Serialise the transaction with every other writer of segments and translations, from here on
    (``record_catalogue.dialect.lock_translation_writers`` says why and how on each database)."""
    lock_translation_writers(session)


@dataclass(frozen=True)
class Remembered:
    """A segment's translation as the memory holds it."""

    source_text: str
    target_text: str
    provenance: str
    status: str
    status_reason: str | None
    pivot: str | None


@dataclass(frozen=True)
class NewSegment:
    """A segment translated just now, to remember."""

    source_text: str
    target_text: str
    status: TextStatus = TextStatus.CURRENT
    status_reason: str | None = None
    pivot: str | None = None


@dataclass(frozen=True)
class MachineSegment:
    """The machine's final translation of a source sentence (glossary applied, gate verdict given)."""

    source_text: str
    target_text: str
    status: TextStatus  # current or failed
    status_reason: str | None
    engine: str
    model: str
    pivot: str | None


@dataclass(frozen=True)
class SegmentState:
    """A segment row as curation and assembly need it."""

    id: int
    source_text: str
    source_language: str
    target_language: str
    target_text: str
    provenance: str
    status: str
    status_reason: str | None
    actor: str | None
    version: int
    machine_engine: str | None
    machine_model: str | None
    pivot: str | None

    @property
    def kind(self) -> SegmentKind:
        """What a reader gets from it: ``reviewed``, ``machine``, or nothing (``rejected``, ``failed``).

        A reviewed segment whose records changed (``stale``) is still a correct translation of
        its sentence, so it is used wherever the sentence occurs again.
        """
        if self.status == TextStatus.REJECTED:
            return SegmentKind.REJECTED
        if self.provenance == Provenance.REVIEWED:
            return SegmentKind.REVIEWED
        if self.status == TextStatus.FAILED:
            return SegmentKind.FAILED
        return SegmentKind.MACHINE


def state_of(row: TranslationMemoryEntry) -> SegmentState:
    return plain(SegmentState, row)


def load_states(
    session: Session, source: str, target: str, texts: Iterable[str], *, for_update: bool = False
) -> dict[str, SegmentState]:
    """The segment rows of those source texts in one language pair, by source text."""
    by_hash = {text_hash(t): t for t in dict.fromkeys(texts)}
    found: dict[str, SegmentState] = {}
    for hashes in in_chunks(sorted(by_hash), CHUNK):
        stmt = (
            select(TranslationMemoryEntry)
            .where(
                TranslationMemoryEntry.source_hash.in_(hashes),
                TranslationMemoryEntry.source_language == source,
                TranslationMemoryEntry.target_language == target,
                TranslationMemoryEntry.engine == SEGMENT_ENGINE,
            )
            .order_by(TranslationMemoryEntry.id)
        )
        if for_update:
            stmt = stmt.with_for_update()
        for row in session.scalars(stmt):
            source_text = by_hash.get(row.source_hash)
            if source_text is not None and row.source_text == source_text:  # never trust a bare hash
                found[source_text] = state_of(row)
    return found


def record_version(session: Session, row: TranslationMemoryEntry, actor: str, from_version: int | None) -> None:
    """Append the row's current state to its history (called after every change of a segment row)."""
    session.add(
        TranslationMemoryVersion(
            entry_id=row.id,
            version=row.version,
            from_version=from_version,
            text=row.target_text,
            provenance=row.provenance,
            status=row.status,
            status_reason=row.status_reason,
            engine=row.machine_engine,
            model=row.machine_model,
            actor=actor,
            at=row.updated_at,
        )
    )


def segment_row(session: Session, source: str, target: str, source_text: str) -> TranslationMemoryEntry | None:
    """The segment row of one source text in one pair, if there is one."""
    row = session.scalar(
        select(TranslationMemoryEntry).where(
            TranslationMemoryEntry.source_hash == text_hash(source_text),
            TranslationMemoryEntry.source_language == source,
            TranslationMemoryEntry.target_language == target,
            TranslationMemoryEntry.engine == SEGMENT_ENGINE,
        )
    )
    return row if row is not None and row.source_text == source_text else None


def uses_of(source: Any = None, target: Any = None, digest: Any = None) -> ColumnElement[bool]:
    """The uses (``TranslationUse``) of a sentence: the one ``source``, ``target`` and ``digest``
    give (values or columns), or, for those left None, the segment row of the enclosing query's."""
    return and_(
        TranslationUse.source_hash == (TranslationMemoryEntry.source_hash if digest is None else digest),
        TranslationUse.source_language == (TranslationMemoryEntry.source_language if source is None else source),
        TranslationUse.target_language == (TranslationMemoryEntry.target_language if target is None else target),
    )


def records_using(source: Any = None, target: Any = None, digest: Any = None) -> ColumnElement[int]:
    """How many distinct records use the segment row of the enclosing query, or the sentence given
    by ``source``, ``target`` and ``digest`` (a scalar subquery that reads
    ``ix_translation_uses_segment`` alone)."""
    distinct_records = func.count(func.distinct(TranslationUse.record_id))
    return select(distinct_records).where(uses_of(source, target, digest)).scalar_subquery()


# What counts as readers' attention to a record, for the queue's "most read" order (``read_count``).
READER_EVENTS = ("view", "click")


def records_read(source: Any = None, target: Any = None, digest: Any = None) -> ColumnElement[int]:
    """How often readers of the sentence's target language opened or followed the records using
    it (views and clicks; each record once, however many of its fields hold the sentence): a
    scalar subquery for the segment row of the enclosing query, or for the sentence given by
    ``source``, ``target`` and ``digest`` (values or columns). Reads the events' record index."""
    records = (
        select(TranslationUse.record_id)
        .where(uses_of(source, target, digest))
        .correlate_except(TranslationUse)  # two levels down: the segment row is the enclosing query's
    )
    return (
        select(func.count())
        .select_from(ReaderEvent)
        .where(
            ReaderEvent.kind.in_(READER_EVENTS),
            ReaderEvent.lang == (TranslationMemoryEntry.target_language if target is None else target),
            ReaderEvent.record_id.in_(records),
        )
        .scalar_subquery()
    )


# The record attributes a segment row keeps (``TranslationMemoryEntry.record_realms`` …), by column.
FACETS = {
    "record_realms": RecordRow.realm,
    "record_schemas": RecordRow.schema_name,
    "record_governments": RecordRow.government,
}


def facet_value(value: str) -> str:
    """How ``value`` appears in a kept list (``,ABS,BCH,``): a list containing it contains this."""
    return f",{value},"


def record_facets(dialect: str, source: Any = None, target: Any = None, digest: Any = None) -> dict[str, Any]:
    """The kept lists of the records using a sentence, by column (``FACETS``): scalar subqueries
    for the segment row of the enclosing query, or for the sentence given by ``source``,
    ``target`` and ``digest`` (values or columns)."""
    values: dict[str, Any] = {}
    for column, attribute in FACETS.items():
        found = (
            select(listed(dialect, attribute))
            .select_from(TranslationUse)
            .join(RecordRow, RecordRow.id == TranslationUse.record_id)
            .where(uses_of(source, target, digest), attribute.is_not(None))
            .scalar_subquery()
        )
        values[column] = func.coalesce(literal(",") + type_coerce(found, Text) + literal(","), "")
    return values


def kept_of_uses(dialect: str, source: Any = None, target: Any = None, digest: Any = None) -> dict[str, Any]:
    """What a segment row keeps of the records using its sentence, by column: ``use_count``,
    ``read_count`` (``records_read``) and the kept lists (``record_facets``), as scalar subqueries
    for the enclosing query's row or for the sentence given (see ``records_using``)."""
    return {
        "use_count": records_using(source, target, digest),
        "read_count": records_read(source, target, digest),
        **record_facets(dialect, source, target, digest),
    }


@cache
def _kept_of_sentence(dialect: str) -> Select[Any]:
    """``kept_of_uses`` of one sentence as a statement built once, the sentence given as the
    parameters ``source``, ``target`` and ``digest``: a translate run adds a row per new sentence,
    and building the five subqueries anew each time cost more than running them."""
    kept = kept_of_uses(dialect, bindparam("source"), bindparam("target"), bindparam("digest"))
    return select(*(value.label(column) for column, value in kept.items()))


def sentences_in_use(session: Session, source: str, target: str, digests: Iterable[str]) -> set[str]:
    """Which of these sentences (by ``text_hash``) in one pair some record already uses: one query
    for a batch, so that ``add_segment`` counts uses only where there are any."""
    found: set[str] = set()
    for chunk in in_chunks(sorted(set(digests)), CHUNK):
        found.update(
            session.scalars(
                select(TranslationUse.source_hash)
                .distinct()
                .where(
                    TranslationUse.source_hash.in_(chunk),
                    TranslationUse.source_language == source,
                    TranslationUse.target_language == target,
                )
            )
        )
    return found


def add_segment(
    session: Session,
    source: str,
    target: str,
    source_text: str,
    history_actor: str,
    now: datetime,
    *,
    may_be_used: bool = True,
    **values: Any,
) -> TranslationMemoryEntry:
    """A new segment row for ``source_text`` in one pair (the key ``segment_row`` finds it by),
    with ``values`` for the rest, and its first version in the history under ``history_actor``.

    ``may_be_used=False``: the caller knows (``sentences_in_use``, under the translation writers'
    lock) that no record uses the sentence yet, so there are no uses to count."""
    row = TranslationMemoryEntry(
        source_hash=text_hash(source_text),
        source_text=source_text,
        source_language=source,
        target_language=target,
        engine=SEGMENT_ENGINE,
        model_version="",
        version=1,
        created_at=now,
        updated_at=now,
        **values,
    )
    # uses written before the row existed (``segment_uses.recount_uses`` found no row to count on),
    # counted in one statement and set on the object, which callers read as it is
    counted: Mapping[str, Any] = {}
    if may_be_used:
        sentence = {"source": source, "target": target, "digest": row.source_hash}
        counted = dict(session.execute(_kept_of_sentence(dialect_of(session)), sentence).one()._mapping)
    row.use_count = int(counted.get("use_count") or 0)
    row.read_count = int(counted.get("read_count") or 0)
    for column in FACETS:
        setattr(row, column, str(counted.get(column) or ""))
    session.add(row)
    session.flush()
    record_version(session, row, history_actor, None)
    return row


def write_reviewed(
    session: Session,
    source: str,
    target: str,
    source_text: str,
    target_text: str,
    actor: str,
    origin: tuple[str | None, str | None] = (None, None),
) -> tuple[TranslationMemoryEntry, bool]:
    """Make a segment reviewed with ``target_text`` (creating it if needed); say whether anything changed.

    ``origin`` is the engine and model of the machine text a new row was reviewed from, if known
    (an import of another memory's export says).
    """
    row = segment_row(session, source, target, source_text)
    now = utcnow()
    if row is None:
        row = add_segment(
            session,
            source,
            target,
            source_text,
            actor,
            now,
            target_text=target_text,
            provenance=Provenance.REVIEWED,
            status=TextStatus.CURRENT,
            actor=actor,
            machine_engine=origin[0],
            machine_model=origin[1],
        )
        return row, True
    if (row.provenance, row.status, row.target_text) == (Provenance.REVIEWED, TextStatus.CURRENT, target_text):
        return row, False
    previous = row.version
    row.target_text = target_text
    row.provenance = Provenance.REVIEWED
    row.status = TextStatus.CURRENT
    row.status_reason = None
    row.actor = actor
    row.version = previous + 1
    row.updated_at = now
    record_version(session, row, actor, previous)
    return row, True


def _answers(
    session: Session, hashes: Sequence[str], key: tuple[str, str, str, str], *also: ColumnElement[bool]
) -> Iterator[TranslationMemoryEntry]:
    """The model answers under ``key`` (source, target, engine, model version) whose source hash is
    among ``hashes`` (and that meet ``also``), a few hundred hashes a query, oldest change first."""
    source, target, engine, model_version = key
    for chunk in in_chunks(hashes, CHUNK):
        stmt = select(TranslationMemoryEntry).where(
            TranslationMemoryEntry.source_hash.in_(chunk),
            TranslationMemoryEntry.source_language == source,
            TranslationMemoryEntry.target_language == target,
            TranslationMemoryEntry.engine == engine,
            TranslationMemoryEntry.model_version == model_version,
            *also,
        )
        yield from session.scalars(stmt.order_by(TranslationMemoryEntry.updated_at))


class TranslationMemory:
    """Bulk lookups and writes of translated segments, on the catalogue's database."""

    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self.sessions = sessions

    def reviewed(self, source: str, target: str, texts: Iterable[str]) -> dict[str, Remembered]:
        """Curated translations of those texts, which beat any machine translation."""
        return {
            text: Remembered(s.source_text, s.target_text, s.provenance, s.status, s.status_reason, s.pivot)
            for text, s in self.states(source, target, texts).items()
            if s.kind == SegmentKind.REVIEWED
        }

    def states(self, source: str, target: str, texts: Iterable[str]) -> dict[str, SegmentState]:
        """The segment rows of those texts (machine, reviewed, rejected or failed), by source text."""
        with self.sessions() as session:
            return load_states(session, source, target, texts)

    def lookup(
        self, source: str, target: str, engine: str, model_version: str, texts: Iterable[str]
    ) -> dict[str, Remembered]:
        """What this engine and model version already answered for those texts."""
        unique = list(dict.fromkeys(texts))
        by_hash = {text_hash(text): text for text in unique}
        found: dict[str, Remembered] = {}
        key = (source, target, engine, model_version)
        with self.sessions() as session:
            for row in _answers(session, list(by_hash), key, TranslationMemoryEntry.provenance == Provenance.MACHINE):
                text = by_hash.get(row.source_hash)
                if text is None or row.source_text != text:
                    continue  # a hash collision would need a different text: never trust it
                found[text] = Remembered(
                    row.source_text, row.target_text, row.provenance, row.status, row.status_reason, row.pivot
                )
        return found

    def store(self, source: str, target: str, engine: str, model_version: str, segments: Sequence[NewSegment]) -> None:
        """Remember model answers (an existing entry for the same key is replaced)."""
        if not segments:
            return
        if engine == SEGMENT_ENGINE:
            raise ValueError(f"{SEGMENT_ENGINE!r} names segment rows, not an engine")
        latest = {segment.source_text: segment for segment in segments}
        try:
            with self.sessions.begin() as session:
                self._upsert(session, source, target, engine, model_version, list(latest.values()))
        except IntegrityError:
            # Another worker stored some of the same segments meanwhile: retry, now updating them.
            with self.sessions.begin() as session:
                self._upsert(session, source, target, engine, model_version, list(latest.values()))

    @staticmethod
    def _upsert(
        session: Session, source: str, target: str, engine: str, model_version: str, segments: list[NewSegment]
    ) -> None:
        by_hash = {text_hash(s.source_text): s for s in segments}
        key = (source, target, engine, model_version)
        existing = {row.source_hash: row for row in _answers(session, list(by_hash), key)}
        now = utcnow()
        for digest, segment in by_hash.items():
            row = existing.get(digest)
            if row is None:
                row = TranslationMemoryEntry(
                    source_hash=digest,
                    source_text=segment.source_text,
                    source_language=source,
                    target_language=target,
                    engine=engine,
                    model_version=model_version,
                    provenance=Provenance.MACHINE,
                    created_at=now,
                )
                session.add(row)
            # the answer, new or replacing the one stored
            row.target_text = segment.target_text
            row.status = segment.status
            row.status_reason = segment.status_reason
            row.pivot = segment.pivot
            row.updated_at = now

    # -- segments ------------------------------------------------------------------------------
    def offer(self, source: str, target: str, segments: Sequence[MachineSegment]) -> None:
        """Give segment rows the machine's latest translation, unless a curator has decided on them.

        A new row starts at version 1; a machine row whose text, verdict or model changed gets a
        new version. Reviewed and rejected rows are never touched: the update is conditional, so
        a curator's decision committed meanwhile wins even against a concurrent worker.
        """
        if not segments:
            return
        latest = {segment.source_text: segment for segment in segments}
        try:
            with self.sessions.begin() as session:
                self._offer(session, source, target, latest)
        except IntegrityError:
            with self.sessions.begin() as session:  # another worker created some rows meanwhile
                self._offer(session, source, target, latest)

    @staticmethod
    def _offer(session: Session, source: str, target: str, latest: Mapping[str, MachineSegment]) -> None:
        lock_for_write(session)  # a new row counts its uses (``add_segment``) as the uses' writers last left them
        states = load_states(session, source, target, latest)
        new = {text: text_hash(text) for text in latest if text not in states}  # the new rows' keys
        in_use = sentences_in_use(session, source, target, new.values()) if new else set()
        now = utcnow()
        for source_text, segment in latest.items():
            state = states.get(source_text)
            values = {
                "target_text": segment.target_text,
                "status": segment.status,
                "status_reason": segment.status_reason,
                "machine_engine": segment.engine,
                "machine_model": segment.model,
                "pivot": segment.pivot,
            }
            if state is None:
                add_segment(
                    session,
                    source,
                    target,
                    source_text,
                    segment.engine,
                    now,
                    may_be_used=new[source_text] in in_use,
                    provenance=Provenance.MACHINE,
                    **values,
                )
                continue
            if state.provenance != Provenance.MACHINE or state.status == TextStatus.REJECTED:
                continue
            current = (
                state.target_text,
                state.status,
                state.status_reason,
                state.machine_engine,
                state.machine_model,
                state.pivot,
            )
            if current == tuple(values.values()):
                continue
            changed = session.execute(
                update(TranslationMemoryEntry)
                .where(
                    TranslationMemoryEntry.id == state.id,
                    TranslationMemoryEntry.version == state.version,
                    TranslationMemoryEntry.provenance == Provenance.MACHINE,
                    TranslationMemoryEntry.status != TextStatus.REJECTED,
                )
                .values(version=state.version + 1, updated_at=now, **values)
            )
            if changed.rowcount == 1:  # type: ignore[attr-defined]
                updated = session.get(TranslationMemoryEntry, state.id, populate_existing=True)
                if updated is not None:
                    record_version(session, updated, segment.engine, state.version)

    def add_reviewed(self, source: str, target: str, source_text: str, target_text: str, actor: str) -> int:
        """Remember a curator's translation of a segment; it wins over the machine from now on.

        Returns the segment's id. Only the memory changes: ``translate.curation`` also brings
        every record containing the segment up to date.
        """
        with self.sessions.begin() as session:
            lock_for_write(session)
            row, _changed = write_reviewed(session, source, target, source_text, target_text, actor)
            return row.id

    def count(self, provenance: str | None = None) -> int:
        """How many entries the memory holds: ``machine`` counts model answers, ``reviewed`` curated segments."""
        with self.sessions() as session:
            stmt = select(func.count()).select_from(TranslationMemoryEntry)
            if provenance == Provenance.MACHINE:
                stmt = stmt.where(
                    TranslationMemoryEntry.provenance == Provenance.MACHINE,
                    TranslationMemoryEntry.engine != SEGMENT_ENGINE,
                )
            elif provenance is not None:
                stmt = stmt.where(
                    TranslationMemoryEntry.provenance == provenance, TranslationMemoryEntry.engine == SEGMENT_ENGINE
                )
            return int(session.scalar(stmt) or 0)


EXPORT_STATUSES = tuple(MemoryExport)


def _exported(status: str) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = [TranslationMemoryEntry.engine == SEGMENT_ENGINE]
    if status == MemoryExport.REVIEWED:
        conditions += [
            TranslationMemoryEntry.provenance == Provenance.REVIEWED,
            TranslationMemoryEntry.status != TextStatus.REJECTED,
        ]
    elif status == MemoryExport.MACHINE:
        conditions += [
            TranslationMemoryEntry.provenance == Provenance.MACHINE,
            TranslationMemoryEntry.status == TextStatus.CURRENT,
        ]
    elif status == MemoryExport.CURRENT:
        conditions.append(TranslationMemoryEntry.status.in_((TextStatus.CURRENT, TextStatus.STALE)))
    elif status != MemoryExport.ALL:
        raise ValueError(f"status must be one of {', '.join(EXPORT_STATUSES)}, not {status!r}")
    return conditions


def segments_to_export(
    sessions: sessionmaker[Session], status: str = "current", languages: Sequence[str] = ()
) -> Iterator[TranslationMemoryEntry]:
    """The segment rows of ``status`` (one of EXPORT_STATUSES), into ``languages`` if any, by id.

    ``current`` is what readers may get: reviewed translations (stale ones too: still right for
    their sentence) and current machine ones; ``reviewed`` and ``machine`` those alone; ``all``
    adds rejected and failed ones. Read a few hundred rows at a time (a memory may be large).
    """
    conditions = _exported(status)
    with sessions() as session:
        stmt = select(TranslationMemoryEntry).where(*conditions).order_by(TranslationMemoryEntry.id)
        if languages:
            stmt = stmt.where(TranslationMemoryEntry.target_language.in_(list(languages)))
        yield from session.scalars(stmt.execution_options(yield_per=500))
