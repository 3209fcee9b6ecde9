"""The catalogue's tables (SQLAlchemy 2). Migrations in ``record_catalogue/migrations`` create them."""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
from collections.abc import Callable
from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Any, TypeVar

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    false,
    true,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship
from sqlalchemy.types import TypeDecorator

from record_catalogue.codes import Provenance, Realm, RunStatus, SourceKind, TextStatus

if TYPE_CHECKING:
    from _typeshed import DataclassInstance


def utcnow() -> datetime:
    """Timestamps are stored in UTC."""
    return datetime.now(dt.UTC)


D = TypeVar("D", bound="DataclassInstance")


@functools.cache
def _field_names(cls: type[DataclassInstance]) -> tuple[str, ...]:
    return tuple(field.name for field in dataclasses.fields(cls))


def plain(cls: type[D], row: object, **given: Any) -> D:
    """``row`` as the dataclass ``cls``: each field from the row's attribute of the same name (a
    row as plain data, free of its session, matched by name, not by position), ``given`` the
    fields that are not the row's values as they are."""
    values = {name: getattr(row, name) for name in _field_names(cls) if name not in given}
    return cls(**values, **given)


E = TypeVar("E", bound=StrEnum)


class _Members(dict[str, E]):
    """A vocabulary's members by value; a value outside it is an error naming it."""

    def __init__(self, codes: type[E]) -> None:
        super().__init__((member.value, member) for member in codes)
        self.codes = codes

    def __missing__(self, value: str) -> E:
        raise ValueError(f"{value!r} is not a {self.codes.__name__} (one of {', '.join(self)})")


class Code(TypeDecorator[E]):
    """A column of one of ``record_catalogue.codes``' vocabularies: stored as its plain string
    (``VARCHAR``, the rows and migrations of before unchanged), read back as the enum member.
    A value outside the vocabulary, read or written, is an error naming it.

    Rows are read by the million (a rebuild reads every text of every record): the result
    processor is the members' own ``dict.__getitem__``, not a Python call per value."""

    impl = String
    cache_ok = True

    def __init__(self, codes: type[E], length: int) -> None:
        super().__init__(length)
        self.codes = codes
        self._members = _Members(codes)

    def process_bind_param(self, value: E | str | None, dialect: Dialect) -> str | None:
        return None if value is None else self._members[value].value

    def process_result_value(self, value: str | None, dialect: Dialect) -> E | None:
        return None if value is None else self._members[value]

    def result_processor(self, dialect: Dialect, coltype: object) -> Callable[[Any], E | None]:
        members = self._members

        def member(value: str | None) -> E | None:
            return None if value is None else members[value]

        return member


class Base(DeclarativeBase):
    """Declarative base of the catalogue."""


class RecordRow(Base):
    """One clearing-house record; its texts are in ``FieldText``."""

    __tablename__ = "records"

    id: Mapped[str] = mapped_column(String(200), primary_key=True)
    realm: Mapped[Realm] = mapped_column(Code(Realm, 8), index=True)
    schema_name: Mapped[str] = mapped_column(String(100), index=True)
    government: Mapped[str | None] = mapped_column(String(2), index=True)
    original_language: Mapped[str] = mapped_column(String(8))
    declared_languages: Mapped[list[str]] = mapped_column(JSON, default=list)
    date: Mapped[dt.date | None] = mapped_column(Date)
    url: Mapped[str | None] = mapped_column(Text)
    # The clearing-house's own identifier (the BCH's uniqueIdentifier), migration 0013.
    unique_identifier: Mapped[str | None] = mapped_column(String(100))
    links: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    source: Mapped[str] = mapped_column(Text, default="")
    source_position: Mapped[str] = mapped_column(String(100), default="")
    content_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)
    # True from a change until the index has committed it: a crash between the catalogue and the
    # index leaves the flag set, and the next run indexes the record again.
    needs_index: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true(), index=True)
    # A tombstone: deleted at its source or by a partner, out of the index, kept here (texts and
    # reviewed translations for audit, and so that the feeds can report it deleted).
    deleted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    deleted_by: Mapped[str | None] = mapped_column(String(200))
    # Stamped when a transaction changing the record commits (``record_catalogue.changes``):
    # the position of the change in the catalogue's one sequence of changes, and when.
    change_seq: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0", index=True)
    changed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), index=True)
    # The record shown for the document this record is one copy of (``record_catalogue.duplicates``);
    # None when it is the only copy. ``group_split``: a curator said it is not the same document.
    group_id: Mapped[str | None] = mapped_column(String(200), index=True)
    group_split: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())

    texts: Mapped[list[FieldText]] = relationship(
        back_populates="record", cascade="all, delete-orphan", order_by="FieldText.id"
    )
    entities: Mapped[list[RecordEntity]] = relationship(
        back_populates="record", cascade="all, delete-orphan", order_by="RecordEntity.id"
    )
    # The records of its group, itself included, when it is a group's primary (``group_id`` = its
    # id): loaded only where asked for (``Catalogue.iter_records``), to index the group as one.
    group_members: Mapped[list[RecordRow]] = relationship(
        "RecordRow",
        primaryjoin="RecordRow.id == remote(foreign(RecordRow.group_id))",
        viewonly=True,
        lazy="raise",
        order_by="RecordRow.id",
    )


class FieldText(Base):
    """One language version of one text field, with where it came from.

    provenance: ``original`` (the source's text), ``machine`` (engine + model + pivot) or
    ``reviewed`` (a curator, who and when). status: ``current``, ``stale`` (its source text
    changed), ``failed`` (machine output rejected, with the reason) or ``rejected`` (by a curator).
    ``version`` increases on every edit, so concurrent edits are caught.
    """

    __tablename__ = "field_texts"
    __table_args__ = (
        UniqueConstraint("record_id", "field", "language", "provenance", name="uq_field_text"),
        Index("ix_field_texts_status", "provenance", "status", "language"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    # looked up through uq_field_text, which leads with record_id
    record_id: Mapped[str] = mapped_column(ForeignKey("records.id", ondelete="CASCADE"))
    field: Mapped[str] = mapped_column(String(40))
    language: Mapped[str] = mapped_column(String(8))
    text: Mapped[str] = mapped_column(Text)
    provenance: Mapped[Provenance] = mapped_column(Code(Provenance, 16))
    status: Mapped[TextStatus] = mapped_column(Code(TextStatus, 16), default=TextStatus.CURRENT)
    status_reason: Mapped[str | None] = mapped_column(Text)
    declared_language: Mapped[str | None] = mapped_column(String(16))
    detection_confidence: Mapped[float | None]
    engine: Mapped[str | None] = mapped_column(String(40))
    model: Mapped[str | None] = mapped_column(String(200))
    pivot: Mapped[str | None] = mapped_column(String(40))
    actor: Mapped[str | None] = mapped_column(String(200))
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    record: Mapped[RecordRow] = relationship(back_populates="texts")


class IngestError(Base):
    """An input that could not become a record: which file, where in it, and why."""

    __tablename__ = "ingest_errors"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    run_id: Mapped[str] = mapped_column(String(40), index=True)
    source: Mapped[str] = mapped_column(Text)
    position: Mapped[str] = mapped_column(String(100), default="")
    record_id: Mapped[str | None] = mapped_column(String(200))
    reason: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class AuditEntry(Base):
    """Who did what to which record, when: the catalogue's memory of every change."""

    __tablename__ = "audit"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)
    actor: Mapped[str] = mapped_column(String(200))
    action: Mapped[str] = mapped_column(String(40))
    record_id: Mapped[str | None] = mapped_column(String(200), index=True)
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class RecordEntity(Base):
    """Something a record talks about (a country, a target, a decision), where and in which text."""

    __tablename__ = "record_entities"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    record_id: Mapped[str] = mapped_column(ForeignKey("records.id", ondelete="CASCADE"), index=True)
    field: Mapped[str] = mapped_column(String(40))
    language: Mapped[str] = mapped_column(String(8))
    type: Mapped[str] = mapped_column(String(30))
    entity_id: Mapped[str] = mapped_column(String(200))
    text: Mapped[str] = mapped_column(Text)
    start: Mapped[int] = mapped_column(Integer)
    end: Mapped[int] = mapped_column(Integer)

    record: Mapped[RecordRow] = relationship(back_populates="entities")


class ApiKey(Base):
    """A key for partners, ingest clients and curators: stored hashed, shown once, revocable."""

    __tablename__ = "api_keys"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    role: Mapped[str] = mapped_column(String(20))
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(16))
    rate_limit: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # A partner key's scope: search filters its searches are held to, browser origins it serves.
    presets: Mapped[dict[str, list[str]] | None] = mapped_column(JSON)
    origins: Mapped[list[str] | None] = mapped_column(JSON)


class IngestRun(Base):
    """One `chm-search ingest`: what it read, how far it got (for --resume), what it counted."""

    __tablename__ = "ingest_runs"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    status: Mapped[RunStatus] = mapped_column(Code(RunStatus, 16), default=RunStatus.RUNNING)
    paths: Mapped[list[str]] = mapped_column(JSON, default=list)
    realm: Mapped[str | None] = mapped_column(String(8))
    checkpoint: Mapped[int] = mapped_column(Integer, default=0)
    counts: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class RateBucket(Base):
    """A client's token bucket (``key:<name>`` or ``ip:<address>``), shared by every API process
    on PostgreSQL (``record_catalogue.rate_limits``): ``tokens`` left at ``updated`` (Unix time)."""

    __tablename__ = "rate_limits"

    client: Mapped[str] = mapped_column(String(240), primary_key=True)
    tokens: Mapped[float] = mapped_column(Float)
    updated: Mapped[float] = mapped_column(Float)


class HarvestSource(Base):
    """A source harvested on a schedule (``chm-search sources``): what to read, and how far it got.

    ``high_water`` is the source's own update time (an index date, an OAI datestamp, a feed
    date) up to which everything has been stored; a run reads what changed after it, and moves
    it on only past what it stored. ``validators`` keeps the conditional-request validators of
    the source's listing (ETag, Last-Modified) where the protocol has them. ``resumption`` is
    where an unfinished OAI-PMH list stopped (the next page's resumptionToken and the request it
    continues), so that a stopped run's successor goes on from there.
    """

    __tablename__ = "harvest_sources"

    name: Mapped[str] = mapped_column(String(100), primary_key=True)
    kind: Mapped[SourceKind] = mapped_column(Code(SourceKind, 16))
    url: Mapped[str] = mapped_column(Text)
    params: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    high_water: Mapped[str | None] = mapped_column(String(40))
    validators: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    last_run_id: Mapped[str | None] = mapped_column(String(40))
    last_run_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_status: Mapped[RunStatus | None] = mapped_column(Code(RunStatus, 16))
    last_counts: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    resumption: Mapped[dict[str, Any] | None] = mapped_column(JSON)


class HarvestItem(Base):
    """One record a source gave us: its update time and validator there, so that an unchanged one
    is not fetched again and one withdrawn there is removed here."""

    __tablename__ = "harvest_items"

    source: Mapped[str] = mapped_column(ForeignKey("harvest_sources.name", ondelete="CASCADE"), primary_key=True)
    item_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    record_id: Mapped[str] = mapped_column(String(200), index=True)
    remote_updated: Mapped[str | None] = mapped_column(String(40))
    etag: Mapped[str | None] = mapped_column(String(200))
    fetched_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class ThesaurusTerm(Base):
    """A clearing-house thesaurus term (country, region, target, keyword) with its labels in the
    languages the thesaurus gives; ``labels`` empty for an identifier the thesaurus does not know."""

    __tablename__ = "thesaurus_terms"

    identifier: Mapped[str] = mapped_column(String(200), primary_key=True)
    domain: Mapped[str | None] = mapped_column(String(100))
    labels: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    fetched_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class ChangeCounter(Base):
    """The catalogue's one sequence of changes (a single row): taken by a committing transaction
    after it has locked the records it changed, so values are handed out in commit order."""

    __tablename__ = "change_counter"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    value: Mapped[int] = mapped_column(BigInteger)


class DocumentKey(Base):
    """Something that identifies the document a record is about, whichever clearing-house or file
    it came from (a document symbol, a CBD unique id without its realm, a content fingerprint):
    records sharing a key are copies of one document (``record_catalogue.duplicates``)."""

    __tablename__ = "document_keys"

    record_id: Mapped[str] = mapped_column(ForeignKey("records.id", ondelete="CASCADE"), primary_key=True)
    key: Mapped[str] = mapped_column(String(300), primary_key=True, index=True)
