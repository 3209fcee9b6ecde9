"""What the catalogue remembers of harvested sources: their settings, high-water marks, the items
each gave, and the thesaurus labels records refer to.

Kept apart from ``store`` (records, texts, audit): a harvest run reads and writes these between
the records it stores, and a source's state must survive a killed run as it was at its last
completed step (every operation here is one short transaction).
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from record_catalogue.codes import RunStatus, SourceKind
from record_catalogue.db import in_chunks, translating_faults
from record_catalogue.dialect import is_postgresql, session_advisory_lock
from record_catalogue.errors import BadInput, Cause
from record_catalogue.models import HarvestItem, HarvestSource, ThesaurusTerm, utcnow
from record_catalogue.store import Catalogue


class SourceProblem(BadInput, ValueError):
    """A source cannot be added, found or changed; the message says why."""


class SourceBusy(SourceProblem):
    """Another process is harvesting the source now (a scheduled run overlapping a long one)."""

    cause = Cause.LOCKED


def source_kind(kind: str) -> SourceKind:
    """``kind`` as a member of the vocabulary; SourceProblem naming the known kinds otherwise."""
    try:
        return SourceKind(kind)
    except ValueError:
        raise SourceProblem(f"unknown source kind {kind!r}; known: {', '.join(SourceKind)}") from None


@dataclass(frozen=True)
class SourceConfig:
    """One configured source, as ``chm-search sources list`` shows it."""

    name: str
    kind: SourceKind
    url: str
    params: dict[str, Any]
    high_water: str | None
    validators: dict[str, Any]
    last_run_id: str | None
    last_run_at: str | None
    last_status: RunStatus | None
    last_counts: dict[str, Any]


@dataclass(frozen=True)
class ItemState:
    """What a source last gave for one of its items."""

    item_id: str
    record_id: str
    remote_updated: str | None
    etag: str | None


def _config(row: HarvestSource) -> SourceConfig:
    return SourceConfig(
        name=row.name,
        kind=row.kind,
        url=row.url,
        params=dict(row.params or {}),
        high_water=row.high_water,
        validators=dict(row.validators or {}),
        last_run_id=row.last_run_id,
        last_run_at=row.last_run_at.isoformat() if row.last_run_at else None,
        last_status=row.last_status,
        last_counts=dict(row.last_counts or {}),
    )


class HarvestState:
    """Sources, their items and thesaurus terms in one catalogue."""

    def __init__(self, catalogue: Catalogue) -> None:
        self.catalogue = catalogue
        self.sessions = catalogue.sessions

    # -- sources -------------------------------------------------------------------------------
    def add_source(self, name: str, kind: str, url: str, params: dict[str, Any]) -> SourceConfig:
        """Configure a new source; SourceProblem if the name is taken or the kind unknown."""
        kind = source_kind(kind)
        try:
            with self.sessions.begin() as session:
                row = HarvestSource(
                    name=name, kind=kind, url=url, params=params, validators={}, last_counts={}, created_at=utcnow()
                )
                session.add(row)
                session.flush()
                return _config(row)
        except IntegrityError:
            raise SourceProblem(f"a source named {name!r} exists already (chm-search sources list)") from None

    def ensure_source(self, name: str, kind: str, url: str, params: dict[str, Any]) -> SourceConfig:
        """The source ``name``, created with these settings if it does not exist; an existing one
        of the same kind keeps its high-water mark and takes the settings given."""
        existing = self.source(name)
        if existing is None:
            try:
                return self.add_source(name, kind, url, params)
            except SourceProblem:  # created meanwhile by another run
                existing = self.source(name)
                if existing is None:
                    raise
        if existing.kind != kind:
            raise SourceProblem(f"source {name!r} is a {existing.kind} source, not {kind}")
        if existing.url != url or existing.params != params:
            with self.sessions.begin() as session:
                session.execute(update(HarvestSource).where(HarvestSource.name == name).values(url=url, params=params))
        found = self.source(name)
        assert found is not None
        return found

    def source(self, name: str) -> SourceConfig | None:
        with self.sessions() as session:
            row = session.get(HarvestSource, name)
            return None if row is None else _config(row)

    def sources(self) -> list[SourceConfig]:
        with self.sessions() as session:
            return [_config(row) for row in session.scalars(select(HarvestSource).order_by(HarvestSource.name))]

    def remove_source(self, name: str) -> bool:
        """Forget a source and its items (the records it gave stay in the catalogue)."""
        with self.sessions.begin() as session:
            row = session.get(HarvestSource, name)
            if row is None:
                return False
            session.execute(delete(HarvestItem).where(HarvestItem.source == name))
            session.delete(row)
            return True

    @contextlib.contextmanager
    def running(self, name: str) -> Iterator[None]:
        """Hold the source for one run: two runs of one source at once would race for its mark and
        fetch everything twice. A lock the database (PostgreSQL: a session advisory lock) or the
        operating system (SQLite: a lock file beside the catalogue) releases when the process
        ends, however it ends; SourceBusy at once when another process holds it."""
        busy = f"source {name!r} is being harvested by another process; this run of it is skipped"
        engine = self.catalogue.engine
        if is_postgresql(engine):
            digest = hashlib.sha256(f"chm-search harvest {name}".encode()).digest()
            with session_advisory_lock(engine, int.from_bytes(digest[:8], "big", signed=True)) as taken:
                if not taken:
                    raise SourceBusy(busy)
                yield
            return
        database = engine.url.database
        if not database or database == ":memory:":
            yield
            return
        slug = hashlib.sha256(name.encode()).hexdigest()[:16]
        with open(f"{database}.harvest-{slug}.lock", "a") as lock:
            try:
                fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                raise SourceBusy(busy) from None
            try:
                yield
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)

    def set_high_water(self, name: str, value: str | None) -> None:
        self._update_source(name, high_water=value)

    def resumption(self, name: str) -> Resumption | None:
        """Where the source's unfinished OAI-PMH list stopped, if it did."""
        with self.sessions() as session:
            row = session.get(HarvestSource, name)
            saved = row.resumption if row is not None else None
        if not saved or not isinstance(saved.get("token"), str):
            return None
        return Resumption(
            token=saved["token"],
            request=dict(saved.get("request") or {}),
            first_date=saved.get("first_date"),
            saved_at=str(saved.get("saved_at") or ""),
        )

    def save_resumption(self, name: str, resumption: Resumption | None) -> None:
        """Remember the next page's token (after the page before it is stored), or forget it."""
        value = None
        if resumption is not None:
            value = {
                "token": resumption.token,
                "request": resumption.request,
                "first_date": resumption.first_date,
                "saved_at": resumption.saved_at or utcnow().isoformat(timespec="seconds"),
            }
        self._update_source(name, resumption=value)

    def finish_list(self, name: str, high_water: str | None) -> None:
        """A list read to its end: move the mark (when given) and forget the token, in one step."""
        values: dict[str, Any] = {"resumption": None}
        if high_water is not None:
            values["high_water"] = high_water
        self._update_source(name, **values)

    def set_validators(self, name: str, validators: dict[str, Any]) -> None:
        self._update_source(name, validators=validators)

    def run_started(self, name: str, run_id: str) -> None:
        self._update_source(name, last_run_id=run_id, last_run_at=utcnow(), last_status=RunStatus.RUNNING)

    def run_finished(self, name: str, status: RunStatus, counts: dict[str, Any]) -> None:
        self._update_source(name, last_status=status, last_counts=counts, last_run_at=utcnow())

    def _update_source(self, name: str, **values: Any) -> None:
        """Set these columns of source ``name``."""
        with self.sessions.begin() as session:
            session.execute(update(HarvestSource).where(HarvestSource.name == name).values(**values))

    # -- items ---------------------------------------------------------------------------------
    def items(self, name: str) -> dict[str, ItemState]:
        """Every item the source has given, by its id at the source."""
        with self.sessions() as session:
            rows = session.scalars(select(HarvestItem).where(HarvestItem.source == name))
            return {r.item_id: ItemState(r.item_id, r.record_id, r.remote_updated, r.etag) for r in rows}

    def save_items(self, name: str, items: Sequence[ItemState]) -> None:
        """Remember what the source gave for these items (replacing what it gave before)."""
        if not items:
            return
        latest = {item.item_id: item for item in items}
        ids = list(latest)
        with self.sessions.begin() as session:
            _delete_items(session, name, ids)
            session.add_all(
                HarvestItem(
                    source=name,
                    item_id=item.item_id,
                    record_id=item.record_id,
                    remote_updated=item.remote_updated,
                    etag=item.etag,
                    fetched_at=utcnow(),
                )
                for item in latest.values()
            )

    def drop_items(self, name: str, item_ids: Iterable[str]) -> None:
        ids = list(item_ids)
        with self.sessions.begin() as session:
            _delete_items(session, name, ids)

    # -- thesaurus -----------------------------------------------------------------------------
    def terms(self, identifiers: Iterable[str]) -> dict[str, ThesaurusTermLabels]:
        """The stored terms among ``identifiers`` (those the thesaurus does not know have no labels)."""
        ids = sorted(set(identifiers))
        found: dict[str, ThesaurusTermLabels] = {}
        with self.sessions() as session:
            for chunk in in_chunks(ids):
                for row in session.scalars(select(ThesaurusTerm).where(ThesaurusTerm.identifier.in_(chunk))):
                    found[row.identifier] = ThesaurusTermLabels(row.identifier, row.domain, dict(row.labels or {}))
        return found

    @translating_faults  # read by the API for its facet labels
    def labelled_terms(self, domains: Sequence[str] | None = None) -> list[ThesaurusTermLabels]:
        """Every stored term (of these domains, when given) that has labels."""
        stmt = select(ThesaurusTerm)
        if domains is not None:
            stmt = stmt.where(ThesaurusTerm.domain.in_(list(domains)))
        with self.sessions() as session:
            return [
                ThesaurusTermLabels(r.identifier, r.domain, dict(r.labels)) for r in session.scalars(stmt) if r.labels
            ]

    def save_terms(self, terms: Sequence[ThesaurusTermLabels]) -> None:
        if not terms:
            return
        latest = {t.identifier: t for t in terms}
        ids = list(latest)
        with self.sessions.begin() as session:
            for chunk in in_chunks(ids):
                session.execute(delete(ThesaurusTerm).where(ThesaurusTerm.identifier.in_(chunk)))
            session.add_all(
                ThesaurusTerm(identifier=t.identifier, domain=t.domain, labels=t.labels, fetched_at=utcnow())
                for t in latest.values()
            )


def _delete_items(session: Session, name: str, item_ids: list[str]) -> None:
    """Forget what source ``name`` gave for these items."""
    for chunk in in_chunks(item_ids):
        session.execute(delete(HarvestItem).where(HarvestItem.source == name, HarvestItem.item_id.in_(chunk)))


@dataclass(frozen=True)
class Resumption:
    """An unfinished list: the token of its next page, the request it continues (what the run
    asked: prefix, set, from, until), the first response's date (the mark the list will set) and
    when it was saved."""

    token: str
    request: dict[str, Any]
    first_date: str | None
    saved_at: str = ""


@dataclass(frozen=True)
class ThesaurusTermLabels:
    """A thesaurus term's labels by language (``{}``: not a term the thesaurus knows)."""

    identifier: str
    domain: str | None
    labels: dict[str, str]
