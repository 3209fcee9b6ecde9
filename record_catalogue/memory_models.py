"""The translation memory's table, declared on the catalogue's ``Base`` (migration 0003).

Why in the catalogue: the memory is as much the truth as the records are (curated segments must
survive everything), it has to be shared by every worker and the API, and it must be backed up
with the catalogue. Its reads and writes are ``record_catalogue.memory_store``'s; ``translate`` uses them.

One row is one segment (a sentence, or a piece of one) translated from one language into
another, keyed by (source text, source language, target language, engine, model version): the
same segment is never translated twice by the same model, and a new model version translates it
afresh. Rows whose output the sanity gate rejected are kept too (``status = 'failed'`` with the
reason), so re-runs do not ask the model again for an answer already known to be bad.

Two kinds of rows share the table (migration 0004 added the second):

- **model answers** (``engine`` = the engine's name, ``model_version`` = its models): what a model
  said for what it was given, glossary terms already replaced by placeholders. A cache, never
  shown to anyone.
- **segments** (``engine = 'segment'``, ``model_version = ''``, so one row per source sentence and
  language pair): a source sentence's translation as readers get it. This is what curators
  review: the machine's final output first (``provenance = 'machine'``, with the engine and
  model in ``machine_engine``/``machine_model``), then a curator's correction or approval
  (``provenance = 'reviewed'``) or rejection (``status = 'rejected'``). Reviewed segments beat
  the machine whatever model is installed. ``version`` increases on every change and every
  version is kept in ``translation_memory_history``: nothing is ever deleted.

``translation_uses`` says which record fields are made of which segments, so a correction
reaches every record containing the sentence without scanning every text.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from record_catalogue.codes import Provenance, TextStatus
from record_catalogue.models import Base, Code, utcnow


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
        # the review queue ranks every sentence of a status from this index alone (migration 0010)
        Index(
            "ix_translation_memory_queue",
            "engine",
            "status",
            "provenance",
            "target_language",
            "source_language",
            "source_hash",
            "updated_at",
        ),
        # the queue's default pages ("most used", "newest") read in the index's order, a page's
        # worth of rows, instead of ranking every sentence first (migration 0015)
        Index("ix_translation_memory_by_use", "engine", "status", "provenance", "use_count", "updated_at", "id"),
        Index("ix_translation_memory_by_time", "engine", "status", "provenance", "updated_at", "id"),
        # "most read" (order=impact) likewise, from the kept readers' count (migration 0017)
        Index(
            "ix_translation_memory_by_reads",
            "engine",
            "status",
            "provenance",
            "read_count",
            "use_count",
            "updated_at",
            "id",
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    source_hash: Mapped[str] = mapped_column(String(64))
    source_text: Mapped[str] = mapped_column(Text)
    source_language: Mapped[str] = mapped_column(String(8))
    target_language: Mapped[str] = mapped_column(String(8))
    engine: Mapped[str] = mapped_column(String(40))
    model_version: Mapped[str] = mapped_column(String(200))
    target_text: Mapped[str] = mapped_column(Text)
    provenance: Mapped[Provenance] = mapped_column(Code(Provenance, 16), default=Provenance.MACHINE)
    status: Mapped[TextStatus] = mapped_column(Code(TextStatus, 16), default=TextStatus.CURRENT)
    status_reason: Mapped[str | None] = mapped_column(Text)
    pivot: Mapped[str | None] = mapped_column(String(40))
    actor: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    # Segments only: which engine and models made the machine text (kept after a review, so a
    # curator can see what was corrected), and the version curators edit against.
    machine_engine: Mapped[str | None] = mapped_column(String(40))
    machine_model: Mapped[str | None] = mapped_column(String(200))
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    # Segments only: how many distinct records' fields use the sentence (``translation_uses``),
    # kept by every writer of uses (``record_catalogue.segment_uses``) under the translation
    # writers' lock, so the queue ranks by it from an index. Model answers keep 0.
    use_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # Segments only, kept beside ``use_count`` by the same writers (and by the catalogue when a
    # record's realm, type or country changes): the distinct realms, record types and countries
    # of the records using the sentence, as ",ABS,BCH," (empty: none), so that the queue's
    # filters by them test the row itself instead of joining every use to its record (migration 0016).
    record_realms: Mapped[str] = mapped_column(Text, default="", server_default="")
    record_schemas: Mapped[str] = mapped_column(Text, default="", server_default="")
    record_governments: Mapped[str] = mapped_column(Text, default="", server_default="")
    # Segments only: how often readers of ``target_language`` opened or followed the records using
    # the sentence (views and clicks in ``reader_events``; each record once, however many of its
    # fields hold the sentence), kept by the writers of events and of uses under the translation
    # writers' lock, so the queue's "most read" order reads an index (migration 0017).
    read_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


class TranslationMemoryVersion(Base):
    """One version of a segment as it was: text, status, who made it, when, and from which version.

    Written with every change of a segment row (machine fill, new model, review, rejection,
    staleness), never updated or deleted: the history curators and auditors read.
    """

    __tablename__ = "translation_memory_history"
    __table_args__ = (UniqueConstraint("entry_id", "version", name="uq_translation_memory_history"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("translation_memory.id"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    from_version: Mapped[int | None] = mapped_column(Integer)
    text: Mapped[str] = mapped_column(Text)
    provenance: Mapped[Provenance] = mapped_column(Code(Provenance, 16))
    status: Mapped[TextStatus] = mapped_column(Code(TextStatus, 16))
    status_reason: Mapped[str | None] = mapped_column(Text)
    engine: Mapped[str | None] = mapped_column(String(40))
    model: Mapped[str | None] = mapped_column(String(200))
    actor: Mapped[str] = mapped_column(String(200))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class TranslationUse(Base):
    """A segment occurring in one field of one record, translated into one language.

    Written by the translate worker (and by curation when it reassembles a field) each time a
    field's translation is made, replacing the field's previous uses; deleted with the record.
    Counting them gives "used by N records"; following them spreads a correction.
    """

    __tablename__ = "translation_uses"
    __table_args__ = (
        # with record_id: counting a sentence's records reads the index alone (migration 0010)
        Index("ix_translation_uses_segment", "source_hash", "source_language", "target_language", "record_id"),
        Index("ix_translation_uses_field", "record_id", "field", "target_language"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    record_id: Mapped[str] = mapped_column(ForeignKey("records.id", ondelete="CASCADE"))
    field: Mapped[str] = mapped_column(String(40))
    source_language: Mapped[str] = mapped_column(String(8))
    target_language: Mapped[str] = mapped_column(String(8))
    source_hash: Mapped[str] = mapped_column(String(64))
