"""The translation memory's table, declared on the catalogue's ``Base`` (migration 0003).

Why in the catalogue: the memory is as much the truth as the records are (curated segments must
survive everything), it has to be shared by every worker and the API, and it must be backed up
with the catalogue. The ``translate`` package reads and writes it (``translate.memory``).

One row is one segment (a sentence, or a piece of one) translated from one language into
another, keyed by (source text, source language, target language, engine, model version): the
same segment is never translated twice by the same model, and a new model version translates it
afresh. Curated segments are rows with ``provenance = 'reviewed'`` (engine ``curator``, model
version empty): they beat the machine whatever model is installed. Rows whose output the sanity
gate rejected are kept too (``status = 'failed'`` with the reason), so re-runs do not ask the
model again for an answer already known to be bad.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from record_catalogue.models import Base, utcnow


class TranslationMemoryEntry(Base):
    """One translated segment: source, target, who or what made it, and whether it passed the gate.

    ``source_hash`` is the SHA-256 of ``source_text`` (hex): long segments cannot be indexed as
    text on every database, their hash can. ``source_text`` is what the engine was given, with
    glossary terms already replaced by placeholders (``translate.glossary``), so editing one
    glossary term invalidates only the segments holding it.
    """

    __tablename__ = "translation_memory"
    __table_args__ = (
        UniqueConstraint(
            "source_hash", "source_language", "target_language", "engine", "model_version", name="uq_translation_memory"
        ),
        Index("ix_translation_memory_lookup", "source_hash", "source_language", "target_language"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    source_hash: Mapped[str] = mapped_column(String(64))
    source_text: Mapped[str] = mapped_column(Text)
    source_language: Mapped[str] = mapped_column(String(8))
    target_language: Mapped[str] = mapped_column(String(8))
    engine: Mapped[str] = mapped_column(String(40))
    model_version: Mapped[str] = mapped_column(String(200))
    target_text: Mapped[str] = mapped_column(Text)
    provenance: Mapped[str] = mapped_column(String(16), default="machine")
    status: Mapped[str] = mapped_column(String(16), default="current")
    status_reason: Mapped[str | None] = mapped_column(Text)
    pivot: Mapped[str | None] = mapped_column(String(40))
    actor: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
