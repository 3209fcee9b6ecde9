"""The translation backlog's tables, declared on the catalogue's ``Base`` (migration 0008).

Why in the catalogue: several ``chm-search translate --worker`` processes, on one machine or
many, share one backlog, and the catalogue is the one thing they all reach. ``record_catalogue.work_queue``
reads and writes these tables.

- ``translation_work``: one row per record whose original texts changed since a worker last went
  through it. Database triggers on ``field_texts`` add or bump the row whenever an original text
  is inserted or changed, whichever code path wrote it (ingest, the API's push, a bulk copy), and
  on PostgreSQL notify ``chm_translate_work`` so that waiting workers wake up. A worker leases a
  batch of rows (``leased_by``, ``leased_until``, renewed while it works) and deletes them once
  their translations are stored; a killed worker's lease runs out and another worker takes the
  rows over. ``generation`` is bumped by every change, so a row changed while leased is not
  deleted with the old work.
- ``translation_claims``: the model calls in flight, one row per segment and model, so that two
  workers meeting the same sentence in different records translate it once: the second waits
  for the first's answer in the translation memory (or takes the claim over when it expires).
"""

from __future__ import annotations

from sqlalchemy import Float, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from record_catalogue.models import Base


class TranslationWork(Base):
    """A record waiting for the translate workers, and who holds it until when (epoch seconds)."""

    __tablename__ = "translation_work"
    __table_args__ = (Index("ix_translation_work_lease", "leased_until", "queued_at"),)

    record_id: Mapped[str] = mapped_column(ForeignKey("records.id", ondelete="CASCADE"), primary_key=True)
    generation: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    queued_at: Mapped[float] = mapped_column(Float)
    leased_by: Mapped[str | None] = mapped_column(String(120))
    leased_until: Mapped[float | None] = mapped_column(Float)
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    last_error: Mapped[str | None] = mapped_column(Text)


class TranslationClaim(Base):
    """A segment a worker is translating with one model now, until ``expires`` (epoch seconds)."""

    __tablename__ = "translation_claims"

    source_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    source_language: Mapped[str] = mapped_column(String(8), primary_key=True)
    target_language: Mapped[str] = mapped_column(String(8), primary_key=True)
    engine: Mapped[str] = mapped_column(String(40), primary_key=True)
    model_version: Mapped[str] = mapped_column(String(200), primary_key=True)
    worker: Mapped[str] = mapped_column(String(120))
    expires: Mapped[float] = mapped_column(Float)
