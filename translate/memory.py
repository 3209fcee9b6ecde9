"""The translation memory: every segment the engine was given, and what it answered, in the catalogue.

Keyed by (source text, source language, target language, engine, model version), so the same
segment is never sent to the same model twice, whichever record it comes from and however often
records are re-ingested; a new model version starts afresh. Curated segments (``reviewed``,
written by curators through :meth:`TranslationMemory.add_reviewed`) are looked up first and win
over any machine output, whatever model is installed.

Reads and writes are in bulk (one query per few hundred segments) because the worker asks about
thousands of segments per batch of records.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from record_catalogue.memory_models import TranslationMemoryEntry
from record_catalogue.models import utcnow

CHUNK = 400
REVIEWED_ENGINE = "curator"


def text_hash(text: str) -> str:
    """The key of a segment's text (SHA-256, hex)."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _chunks(items: Sequence[str], size: int = CHUNK) -> Iterator[Sequence[str]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


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
    status: str = "current"
    status_reason: str | None = None
    pivot: str | None = None


class TranslationMemory:
    """Bulk lookups and writes of translated segments, on the catalogue's database."""

    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self.sessions = sessions

    def reviewed(self, source: str, target: str, texts: Iterable[str]) -> dict[str, Remembered]:
        """Curated translations of those texts, which beat any machine translation."""
        return self._find(source, target, list(texts), engine=None, model_version=None)

    def lookup(
        self, source: str, target: str, engine: str, model_version: str, texts: Iterable[str]
    ) -> dict[str, Remembered]:
        """What this engine and model version already answered for those texts."""
        return self._find(source, target, list(texts), engine=engine, model_version=model_version)

    def _find(
        self, source: str, target: str, texts: list[str], engine: str | None, model_version: str | None
    ) -> dict[str, Remembered]:
        unique = list(dict.fromkeys(texts))
        by_hash = {text_hash(text): text for text in unique}
        found: dict[str, Remembered] = {}
        with self.sessions() as session:
            for hashes in _chunks(list(by_hash)):
                stmt = select(TranslationMemoryEntry).where(
                    TranslationMemoryEntry.source_hash.in_(hashes),
                    TranslationMemoryEntry.source_language == source,
                    TranslationMemoryEntry.target_language == target,
                )
                if engine is None:
                    stmt = stmt.where(
                        TranslationMemoryEntry.provenance == "reviewed", TranslationMemoryEntry.status == "current"
                    )
                else:
                    stmt = stmt.where(
                        TranslationMemoryEntry.engine == engine,
                        TranslationMemoryEntry.model_version == model_version,
                        TranslationMemoryEntry.provenance == "machine",
                    )
                for row in session.scalars(stmt.order_by(TranslationMemoryEntry.updated_at)):
                    text = by_hash.get(row.source_hash)
                    if text is None or row.source_text != text:
                        continue  # a hash collision would need a different text: never trust it
                    found[text] = Remembered(
                        row.source_text, row.target_text, row.provenance, row.status, row.status_reason, row.pivot
                    )
        return found

    def store(self, source: str, target: str, engine: str, model_version: str, segments: Sequence[NewSegment]) -> None:
        """Remember machine translations (an existing entry for the same key is replaced)."""
        if not segments:
            return
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
        existing: dict[str, TranslationMemoryEntry] = {}
        for hashes in _chunks(list(by_hash)):
            stmt = select(TranslationMemoryEntry).where(
                TranslationMemoryEntry.source_hash.in_(hashes),
                TranslationMemoryEntry.source_language == source,
                TranslationMemoryEntry.target_language == target,
                TranslationMemoryEntry.engine == engine,
                TranslationMemoryEntry.model_version == model_version,
            )
            existing.update({row.source_hash: row for row in session.scalars(stmt)})
        now = utcnow()
        for digest, segment in by_hash.items():
            row = existing.get(digest)
            if row is None:
                session.add(
                    TranslationMemoryEntry(
                        source_hash=digest,
                        source_text=segment.source_text,
                        source_language=source,
                        target_language=target,
                        engine=engine,
                        model_version=model_version,
                        target_text=segment.target_text,
                        provenance="machine",
                        status=segment.status,
                        status_reason=segment.status_reason,
                        pivot=segment.pivot,
                        created_at=now,
                        updated_at=now,
                    )
                )
            else:
                row.target_text = segment.target_text
                row.status = segment.status
                row.status_reason = segment.status_reason
                row.pivot = segment.pivot
                row.updated_at = now

    def add_reviewed(self, source: str, target: str, source_text: str, target_text: str, actor: str) -> None:
        """Remember a curator's translation of a segment; it wins over the machine from now on."""
        digest = text_hash(source_text)
        with self.sessions.begin() as session:
            row = session.scalar(
                select(TranslationMemoryEntry).where(
                    TranslationMemoryEntry.source_hash == digest,
                    TranslationMemoryEntry.source_language == source,
                    TranslationMemoryEntry.target_language == target,
                    TranslationMemoryEntry.engine == REVIEWED_ENGINE,
                    TranslationMemoryEntry.model_version == "",
                )
            )
            now = utcnow()
            if row is None:
                row = TranslationMemoryEntry(
                    source_hash=digest,
                    source_text=source_text,
                    source_language=source,
                    target_language=target,
                    engine=REVIEWED_ENGINE,
                    model_version="",
                    provenance="reviewed",
                    created_at=now,
                )
                session.add(row)
            row.target_text = target_text
            row.status = "current"
            row.status_reason = None
            row.actor = actor
            row.updated_at = now

    def count(self, provenance: str | None = None) -> int:
        """How many segments the memory holds (of one provenance, if given)."""
        with self.sessions() as session:
            stmt = select(func.count()).select_from(TranslationMemoryEntry)
            if provenance is not None:
                stmt = stmt.where(TranslationMemoryEntry.provenance == provenance)
            return int(session.scalar(stmt) or 0)
