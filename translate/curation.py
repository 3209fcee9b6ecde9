"""Translation curation: the review queue, edits against a version, corrections that spread, history.

What curators review is a **segment** (``record_catalogue.memory_store``): one source sentence and its
translation into one language, wherever it occurs. Approving or correcting it once fixes every
record containing the sentence; that is why the queue lists sentences, not record fields.

Statuses, as the queue shows them (``Item.status``):

- ``machine``: the machine's translation, not yet reviewed, used by at least one record;
- ``failed``: the sanity gate refused the machine's output (readers keep the original);
- ``reviewed``: approved or corrected by a curator; it beats the machine everywhere;
- ``rejected``: a curator said the translation is wrong. Kept and marked; every field holding
  the sentence shows readers the original again. It is not sent to the machine again (the same
  model would answer the same): it waits for a curator's correction (``reviewed`` with a text);
- ``stale``: a reviewed sentence that the records it was reviewed for no longer contain because
  their source text changed. Kept and listed for curators; readers never see it (no record
  shows it; the fields themselves are marked stale by the catalogue and queued for the worker,
  which translates the new text reusing the reviewed sentences that did not change). Between a
  re-ingest and the next ``chm-search translate`` this is computed from the records' current
  source texts; after it, the segment row itself is marked ``stale``. It becomes ``reviewed``
  again the moment a text contains the sentence again.

Edits carry the version the curator started from; a different current version is a
:class:`VersionConflict` (the API's 409), checked under the catalogue's write lock. Every
change writes a new version to the segment's history (never updated, never deleted), then
re-assembles from the memory alone (no machine translation) every record field containing the
sentence, stores it as a new version of the field (``reviewed`` when every sentence of it is
reviewed), audits it and re-indexes those records at once.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime

from analyzers.detect import LanguageDetector
from record_catalogue.audit import AuditAction
from record_catalogue.codes import EditStatus, Provenance, QueueStatus, TextStatus
from record_catalogue.curation_queries import (
    MAX_SIZE,
    ORDERS,
    QUEUE_STATUSES,
    CurationQueries,
    QueueFilter,
    RecordRef,
    SegmentListing,
)
from record_catalogue.dialect import dialect_of
from record_catalogue.errors import BadInput, Conflict, NotFound
from record_catalogue.memory_store import text_hash
from record_catalogue.models import FieldText, RecordRow, plain, utcnow
from record_catalogue.record import NUL
from record_catalogue.store import Catalogue
from record_catalogue.translation_writes import TranslationWrite, translation_writes
from search_index.base import SearchBackend
from search_index.sync import reindex
from translate.assembly import segments_of
from translate.fields import assemble, write_outcome
from translate.gate import check_language
from translate.glossary import Glossary

# Re-exported: the API, the CLI and the benchmark take the queue's filter and limits from the
# curators' front door; they are the catalogue's queries' own.
__all__ = ["MAX_SIZE", "ORDERS", "QUEUE_STATUSES", "QueueFilter", "RecordRef"]

EDIT_STATUSES = tuple(EditStatus)
BULK_MAX = 500  # sentences approved in one bulk approval (more: narrow the filters)
STALE_REASON = (
    "the source text of the records using it changed; the next `chm-search translate` translates the new text"
)


class InvalidEdit(BadInput, ValueError):
    """An edit that cannot be applied as asked (unknown status, empty text)."""

    error_code = "invalid_edit"


class VersionConflict(Conflict):
    """The segment changed since the curator read it; ``current`` is what it is now."""

    error_code = "version_conflict"

    def __init__(self, current: Item, expected: int) -> None:
        super().__init__(
            f"translation {current.id} is at version {current.version}, not {expected}: "
            "someone changed it meanwhile; review the current version and try again"
        )
        self.current = current


class BulkMismatch(Conflict):
    """The filtered set is not the one the curator confirmed (it changed meanwhile)."""

    error_code = "queue_changed"

    def __init__(self, found: int, expected: int) -> None:
        super().__init__(
            f"{found} machine translations match these filters now, not the {expected} you confirmed: "
            "someone changed the queue meanwhile; look at it again and confirm the new number"
        )
        self.found = found


@dataclass(frozen=True)
class BulkResult:
    """What a bulk approval did: sentences approved, left as they were, records updated."""

    approved: int
    skipped: int
    records: int


@dataclass(frozen=True)
class Item:
    """One segment as curators see it."""

    id: int
    source_language: str
    target_language: str
    source_text: str
    text: str
    status: str
    provenance: str
    version: int
    engine: str | None
    model: str | None
    pivot: str | None
    actor: str | None
    updated_at: datetime
    status_reason: str | None
    glossary: tuple[tuple[str, str], ...]
    records: tuple[RecordRef, ...]
    record_count: int


@dataclass(frozen=True)
class QueuePage:
    total: int
    page: int
    size: int
    order: str
    items: list[Item]


@dataclass(frozen=True)
class Version:
    """One version of a segment: what it said, who made it, when, and which version it replaced."""

    version: int
    text: str
    status: str
    provenance: str
    status_reason: str | None
    engine: str | None
    model: str | None
    actor: str
    at: datetime
    from_version: int | None


def queue_status(provenance: str, status: str, gone: bool) -> QueueStatus:
    """A segment row's status in the queue's words (see the module's docstring)."""
    if status in (TextStatus.REJECTED, TextStatus.FAILED):
        return QueueStatus(status)
    if provenance == Provenance.REVIEWED:
        return QueueStatus.STALE if status == TextStatus.STALE or gone else QueueStatus.REVIEWED
    return QueueStatus.MACHINE


class Curation:
    """Curation over one catalogue; re-indexes through ``backend`` (None: only marks records to index)."""

    def __init__(
        self,
        catalogue: Catalogue,
        backend: SearchBackend | None,
        glossary: Glossary | None = None,
        detector: LanguageDetector | None = None,
    ) -> None:
        self.catalogue = catalogue
        self.backend = backend
        self.glossary = glossary if glossary is not None else Glossary.load()
        self.detector = detector or LanguageDetector()
        self.queries = CurationQueries(catalogue.sessions, dialect_of(catalogue.engine))

    # -- reading -------------------------------------------------------------------------------
    def queue(self, wanted: QueueFilter) -> QueuePage:
        """One page of the queue, filtered and ordered as asked (``record_catalogue.curation_queries``
        says how a page is read in two steps, so that it costs its ranking plus its 20 items)."""
        size = max(1, min(wanted.size, MAX_SIZE))
        page = max(1, wanted.page)
        order_name = wanted.order if wanted.order in ORDERS else "used"
        total, listings = self.queries.page(replace(wanted, size=size, page=page, order=order_name))
        return QueuePage(total, page, size, order_name, [self._item(listing) for listing in listings])

    def item(self, entry_id: int) -> Item:
        """One segment; :class:`NotFound` if there is none with that id."""
        listing = self.queries.segment(entry_id)
        if listing is None:
            raise NotFound(f"no translation with id {entry_id}")
        return self._item(listing)

    def history(self, entry_id: int) -> list[Version]:
        """Every version the segment ever had, oldest first."""
        versions = self.queries.history(entry_id)
        if versions is None:
            raise NotFound(f"no translation with id {entry_id}")
        return [plain(Version, v) for v in versions]

    # -- changing ------------------------------------------------------------------------------
    def review(self, entry_id: int, *, status: str, text: str | None, version: int, actor: str) -> Item:
        """Approve (``reviewed``, ``text`` None keeps the text), correct (``reviewed`` + text) or reject.

        Raises :class:`NotFound`, :class:`InvalidEdit` or :class:`VersionConflict`. The change and
        every record field it reaches are committed together; the records are re-indexed after.
        """
        if status not in EDIT_STATUSES:
            raise InvalidEdit(f"status must be one of {', '.join(EDIT_STATUSES)}, not {status!r}")
        corrected = text.strip() if text is not None else None
        if status == EditStatus.REVIEWED and corrected is not None and not corrected:
            raise InvalidEdit("text is empty; send the corrected translation, or null to approve it as it is")
        if corrected is not None and NUL in corrected:  # PostgreSQL's text cannot hold it; no catalogue does
            raise InvalidEdit("text holds a NUL character (U+0000), which the catalogue does not store; remove it")
        changed: list[str] = []
        with translation_writes(self.catalogue.sessions) as tx:
            row = tx.segment_by_id(entry_id)
            if row is None:
                raise NotFound(f"no translation with id {entry_id}")
            current = row.version
            if current == version:
                now = utcnow()
                tx.review_segment(row, status, corrected, actor, now)
                segment = (row.source_language, row.target_language, row.source_text)
                changed = self._spread(tx, [segment], actor, row.id, now)
        if current != version:
            raise VersionConflict(self.item(entry_id), version)
        self.reindex(changed)
        return self.item(entry_id)

    def approve_matching(self, wanted: QueueFilter, *, expected: int, actor: str, limit: int = BULK_MAX) -> BulkResult:
        """Approve, as they are, every machine translation the filters select: one confirmation
        (``expected``, the number the curator was shown) for the whole set.

        Raises :class:`InvalidEdit` for a status other than ``machine`` or more than ``limit``
        sentences, :class:`BulkMismatch` when the set's size is not ``expected``. A sentence a
        curator reviewed or rejected meanwhile is left as it is (``skipped``): no human
        translation is overwritten. Each approved sentence gets its version and audit entry as a
        single approval does, the bulk approval one more; the records are re-indexed after.
        """
        if wanted.status != QueueStatus.MACHINE:
            raise InvalidEdit(f"only machine translations are approved in bulk, not {wanted.status!r} ones")
        first = self.queue(replace(wanted, order="recent", page=1, size=MAX_SIZE))
        if first.total > limit:
            raise InvalidEdit(
                f"{first.total} machine translations match these filters; "
                f"at most {limit} are approved at once: narrow the filters"
            )
        if first.total != expected:
            raise BulkMismatch(first.total, expected)
        ids = [item.id for item in first.items]
        for page in range(2, -(-first.total // MAX_SIZE) + 1):
            ids += [item.id for item in self.queue(replace(wanted, order="recent", page=page, size=MAX_SIZE)).items]
        ids = list(dict.fromkeys(ids))
        approved: list[tuple[str, str, str]] = []
        with translation_writes(self.catalogue.sessions) as tx:
            now = utcnow()
            for entry_id in ids:
                row = tx.segment_by_id(entry_id)
                if row is None or row.provenance != Provenance.MACHINE:
                    continue
                if row.status != TextStatus.CURRENT:
                    continue  # rejected or failed meanwhile: a curator's decision stands
                tx.review_segment(row, "reviewed", None, actor, now)
                approved.append((row.source_language, row.target_language, row.source_text))
            filters = {
                name: value
                for name in ("lang", "source_lang", "realm", "schema", "government", "q")
                if (value := getattr(wanted, name))
            }
            detail = {"filters": filters, "approved": len(approved), "skipped": len(ids) - len(approved)}
            tx.audit(AuditAction.TRANSLATION_BULK_REVIEWED, actor, detail=detail)
            changed = self._spread(tx, approved, actor, None, now)
        self.reindex(changed)
        return BulkResult(len(approved), len(ids) - len(approved), len(changed))

    def spread(self, segments: Iterable[tuple[str, str, str]], actor: str) -> list[str]:
        """Bring every field containing those (source, target, sentence) segments up to date; re-index them.

        For changes made to the memory outside :meth:`review` (an import of reviewed segments).
        """
        wanted = list(dict.fromkeys(segments))
        if not wanted:
            return []
        with translation_writes(self.catalogue.sessions) as tx:
            changed = self._spread(tx, wanted, actor, None, utcnow())
        self.reindex(changed)
        return changed

    def reindex(self, ids: Sequence[str]) -> None:
        """Send the records' new state to the index now (see ``search_index.sync``)."""
        if ids and self.backend is not None:
            reindex(self.catalogue, self.backend, ids, tolerate_down=True)

    # -- internals -----------------------------------------------------------------------------
    def _spread(
        self,
        tx: TranslationWrite,
        segments: Sequence[tuple[str, str, str]],
        actor: str,
        entry_id: int | None,
        now: datetime,
    ) -> list[str]:
        """Re-assemble every field using any of ``segments`` from the memory; return the records changed."""
        wanted = {(text_hash(sentence), source, target) for source, target, sentence in segments}
        fields = tx.fields_using(segments)
        if not fields:
            return []
        ids = sorted({record_id for record_id, _f, _l in fields})
        rows = tx.records(ids)
        touched: dict[str, list[str]] = {}
        for (record_id, field, target), source in sorted(fields.items()):
            row = rows.get(record_id)
            original = None if row is None else self._original(row, field, source)
            if row is None or original is None:
                continue
            sentences = segments_of(original.text, source)
            if not any((text_hash(s), source, target) in wanted for s in sentences):
                continue  # the source changed since: the translate worker will do the new text
            states = tx.states(source, target, sentences)
            outcome = assemble(original.text, source, target, states, actor, self._check_language)
            if outcome is None:
                continue  # a sentence of the new text has no translation yet: the worker's job
            tx.replace_uses((record_id, field, target), source, outcome.segments, actor, now)
            stored, visible = write_outcome(row, field, target, outcome, now)
            if stored:
                kind = "reviewed" if outcome.provenance == Provenance.REVIEWED else f"machine:{outcome.status}"
                touched.setdefault(record_id, []).append(f"{field}.{target}:{kind}")
            if visible:
                row.needs_index = True
        for record_id, changes in touched.items():
            detail: dict[str, object] = {"fields": changes}
            if entry_id is not None:
                detail["translation"] = entry_id
            tx.audit(AuditAction.TRANSLATION_CURATED, actor, record_id, detail)
        return sorted(record_id for record_id, row in rows.items() if row.needs_index and record_id in touched)

    @staticmethod
    def _original(row: RecordRow, field: str, language: str) -> FieldText | None:
        return next(
            (
                t
                for t in row.texts
                if t.field == field and t.language == language and t.provenance == Provenance.ORIGINAL
            ),
            None,
        )

    def _check_language(self, text: str, language: str) -> str | None:
        return check_language(text, language, self.detector.detect)

    def _item(self, listing: SegmentListing) -> Item:
        row = listing.row
        status = queue_status(row.provenance, row.status, listing.gone)
        reason = STALE_REASON if status == QueueStatus.STALE and row.status != TextStatus.STALE else row.status_reason
        terms = self.glossary.terms_in(row.source_text, row.source_language, row.target_language)
        return Item(
            id=row.id,
            source_language=row.source_language,
            target_language=row.target_language,
            source_text=row.source_text,
            text=row.target_text,
            status=status,
            provenance=row.provenance,
            version=row.version,
            engine=row.machine_engine,
            model=row.machine_model,
            pivot=row.pivot,
            actor=row.actor,
            updated_at=row.updated_at,
            status_reason=reason,
            glossary=tuple(dict.fromkeys(terms)),
            records=listing.records,
            record_count=listing.record_count,
        )
