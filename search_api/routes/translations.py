"""``/api/v1/translations``: the curators' review queue, edits against a version, and history.

Every endpoint needs a key with role ``curator`` (or ``admin``); changes are attributed to the
key's name. An item is a translated sentence (a segment of the translation memory), so one
correction reaches every record containing the sentence; the rules are in ``translate.curation``.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Annotated, Literal, cast

from fastapi import APIRouter, Path, Query
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field, StringConstraints
from starlette.concurrency import run_in_threadpool

from record_catalogue.codes import EditStatus, LanguageCode, QueueStatus, Realm
from record_catalogue.logs import request_id
from record_catalogue.memory_store import SEGMENT_ENGINE
from record_catalogue.realms import realm_catalog
from record_catalogue.review_aids import read_filter_values
from search_api.dependencies import CuratorKey, ServicesDep
from search_api.errors import ErrorDetail
from search_api.routes.search import facet_label
from search_api.services import Services
from search_api.timestamps import IsoDateTime
from translate.curation import (
    BULK_MAX,
    MAX_SIZE,
    Curation,
    Item,
    QueueFilter,
    Version,
    VersionConflict,
)
from translate.glossary import Glossary
from translate.queue_hints import why_empty
from translate.review_notes import SentenceNotes, notes_for

router = APIRouter(tags=["curation"])
RealmCode = Realm
SchemaName = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9]{1,100}$")]
CountryCode = Annotated[str, StringConstraints(pattern=r"^[a-zA-Z]{2}$")]
Order = Literal["used", "recent", "impact"]
WarningCode = Literal["source_words", "too_long", "too_short"]
EmptyReason = Literal["no_records", "no_models", "not_translated", "filtered", "all_reviewed", "none"]
# The ids are INTEGER columns: a larger number can name no entry (PostgreSQL would refuse it outright).
EntryId = Annotated[int, Path(alias="id", ge=1, le=2**31 - 1, description="The translation's id.")]
AUTH_ERRORS: dict[int | str, dict[str, str]] = {
    401: {"description": "No API key, or not a valid one"},
    403: {"description": "The key has no curator role"},
}


class GlossaryTerm(BaseModel):
    """A CBD glossary term found in the source sentence, and the term the translation must use."""

    source: str
    target: str


class RecordRef(BaseModel):
    """A record containing the sentence."""

    model_config = ConfigDict(populate_by_name=True)

    id: str
    title: str | None
    realm: str
    schema_name: str = Field(alias="schema")
    government: str | None


class ReviewWarningOut(BaseModel):
    """A reason to look twice at a translation that passed the sanity gate."""

    code: WarningCode = Field(
        description="source_words: a stretch of the source kept untranslated (or the output is the source); "
        "too_long / too_short: far from the language pair's usual length."
    )
    message: str
    detail: str = Field(description="source_words: the words kept; too_long / too_short: the ratio to usual.")


class NeighboursOut(BaseModel):
    """The sentences before and after this one in a record field containing it (source language)."""

    record_id: str
    field: str
    before: str | None
    after: str | None


class TranslationItem(BaseModel):
    """One translated sentence (a translation-memory segment) in one language pair."""

    id: int
    source_language: str
    target_language: str
    source_text: str
    text: str = Field(description="The translation: the machine's, or a curator's once reviewed.")
    status: QueueStatus
    provenance: Literal["machine", "reviewed"]
    version: int = Field(description="Send it back with an edit: a different current version is a 409.")
    engine: str | None = Field(description="The engine that made the machine translation.")
    model: str | None = Field(description="Its models (and glossary version), as record versions show them.")
    pivot: str | None = Field(description="The language path when translated through English, e.g. es>en>fr.")
    actor: str | None = Field(description="The curator who last reviewed or rejected it.")
    updated_at: IsoDateTime
    status_reason: str | None
    glossary: list[GlossaryTerm]
    records: list[RecordRef] = Field(description="Up to 5 records containing the sentence.")
    record_count: int = Field(description="How many records contain the sentence (translated into this language).")
    warnings: list[ReviewWarningOut] = Field(default_factory=list, description="What looks wrong in the output.")
    context: NeighboursOut | None = Field(default=None, description="The sentence's neighbours, for context.")


class EmptyQueueOut(BaseModel):
    """Why a page of the queue has no item, and what to do about it."""

    reason: EmptyReason
    message: str
    count: int = Field(description="not_translated: texts waiting; filtered: matches without the filters.")


class TranslationPage(BaseModel):
    total: int
    page: int
    size: int
    order: Order = Field(
        description="used: sentences in most records first; recent: latest changes first; "
        "impact: sentences of the records readers of the language open most first."
    )
    items: list[TranslationItem]
    empty: EmptyQueueOut | None = Field(default=None, description="Set when the page has no item: why.")


class FilterValue(BaseModel):
    value: str
    label: str = Field(description="In the language asked for (lang).")


class SchemaValue(FilterValue):
    realm: str


class FilterValues(BaseModel):
    """The values the queue's filters can take in this catalogue, with their labels."""

    source_language: list[FilterValue]
    target_language: list[FilterValue]
    realm: list[FilterValue]
    schema_: list[SchemaValue] = Field(alias="schema")
    government: list[FilterValue]

    model_config = ConfigDict(populate_by_name=True)


class BulkApproval(BaseModel):
    """Approve every machine translation the filters select, as it is."""

    model_config = ConfigDict(extra="forbid")

    lang: LanguageCode | None = None
    source_lang: LanguageCode | None = None
    realm: RealmCode | None = None
    schema_: SchemaName | None = Field(default=None, alias="schema")
    government: CountryCode | None = None
    q: Annotated[str, StringConstraints(max_length=500)] | None = None
    expected: int = Field(
        ge=1, le=BULK_MAX, description="How many translations the curator confirmed; another number is a 409."
    )


class BulkApprovalOut(BaseModel):
    approved: int
    skipped: int = Field(description="Reviewed or rejected by someone meanwhile: left as they were.")
    records: int = Field(description="Records updated and re-indexed.")


class TranslationEdit(BaseModel):
    """Approve (``reviewed``, ``text`` null), correct (``reviewed`` with ``text``) or reject."""

    model_config = ConfigDict(extra="forbid")

    text: Annotated[str, StringConstraints(max_length=20_000)] | None = Field(
        default=None, description="The corrected translation; null approves the current text as it is."
    )
    status: EditStatus
    version: int = Field(ge=1, le=2**31 - 1, description="The version the curator started from.")


class ConflictOut(BaseModel):
    error: ErrorDetail
    current: TranslationItem


class VersionOut(BaseModel):
    version: int
    text: str
    status: str
    provenance: str
    status_reason: str | None
    engine: str | None
    model: str | None
    actor: str
    at: IsoDateTime
    from_version: int | None


class HistoryOut(BaseModel):
    id: int
    versions: list[VersionOut]


@lru_cache(maxsize=1)
def _glossary() -> Glossary:
    """The project's glossary, read once (the terms shown beside each sentence)."""
    return Glossary.load()


def realm_schema_label(realm: str, schema: str, lang: str) -> str:
    return realm_catalog().schema_label(realm, schema, lang)


def _curation(services: Services) -> Curation:
    return Curation(services.catalogue, services.backend, _glossary(), services.detector)


def item_out(item: Item, notes: SentenceNotes | None = None) -> TranslationItem:
    """``item`` as the API shows it: its fields as they are, its glossary pairs named, and the
    warnings and neighbours of ``notes`` when given."""
    return TranslationItem.model_validate(
        {
            **vars(item),
            "glossary": [{"source": source, "target": target} for source, target in item.glossary],
            "warnings": notes.warnings if notes is not None else [],
            "context": notes.neighbours if notes is not None else None,
        },
        from_attributes=True,  # the records, warnings and neighbours are read from their dataclasses
    )


def items_out(services: Services, items: list[Item]) -> list[TranslationItem]:
    """Items with their warnings and neighbours (a few queries for the whole list)."""
    notes = notes_for(services.catalogue, items)
    return [item_out(item, notes.get(item.id)) for item in items]


def _version_out(version: Version) -> VersionOut:
    return VersionOut.model_validate(version, from_attributes=True)


@router.get("/translations", response_model=TranslationPage, responses=AUTH_ERRORS)
def list_translations(
    services: ServicesDep,
    _key: CuratorKey,
    status: Annotated[QueueStatus, Query(description="Which queue.")] = QueueStatus.MACHINE,
    lang: Annotated[LanguageCode | None, Query(description="The translation's language.")] = None,
    source_lang: Annotated[LanguageCode | None, Query(description="The source sentence's language.")] = None,
    realm: Annotated[RealmCode | None, Query(description="Only sentences of this clearing-house's records.")] = None,
    schema: Annotated[SchemaName | None, Query(description="Only sentences of records of this type.")] = None,
    government: Annotated[CountryCode | None, Query(description="Only sentences of this country's records.")] = None,
    q: Annotated[str | None, Query(max_length=500, description="Plain text in the source or translation.")] = None,
    order: Annotated[Order, Query(description="used (most records first), recent, or impact (most read).")] = "used",
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
    size: Annotated[int, Query(ge=1, le=MAX_SIZE)] = 20,
) -> TranslationPage:
    """The review queue: translated sentences, filtered, ordered by use (default) or recency."""
    wanted = QueueFilter(
        status=status,
        lang=lang,
        source_lang=source_lang,
        realm=realm,
        schema=schema,
        government=government.lower() if government else None,
        q=q,
        order=order,
        page=page,
        size=size,
    )
    curation = _curation(services)
    found = curation.queue(wanted)
    empty = None
    if not found.items:
        why = why_empty(curation, wanted, services.settings.languages, services.settings.models_path)
        empty = EmptyQueueOut(reason=cast(EmptyReason, why.reason), message=why.message, count=why.count)
    return TranslationPage(
        total=found.total,
        page=found.page,
        size=found.size,
        order=cast(Order, found.order),
        items=items_out(services, found.items),
        empty=empty,
    )


@router.get("/translations/filters", response_model=FilterValues, response_model_by_alias=True, responses=AUTH_ERRORS)
def translation_filters(
    services: ServicesDep,
    _key: CuratorKey,
    lang: Annotated[LanguageCode, Query(description="The language of the labels.")] = LanguageCode.EN,
) -> FilterValues:
    """The values the queue's filters can take in this catalogue (languages of its sentences, its
    clearing-houses, record types and countries), labelled in ``lang``, for the page's dropdowns."""
    found = read_filter_values(services.catalogue.sessions, SEGMENT_ENGINE)

    def labelled(facet: str, values: tuple[str, ...]) -> list[FilterValue]:
        out = [FilterValue(value=v, label=facet_label(facet, v, lang)) for v in values]
        return sorted(out, key=lambda one: one.label.casefold()) if facet == "government" else out

    return FilterValues(
        source_language=labelled("original_language", found.source_languages),
        target_language=labelled("original_language", found.target_languages),
        realm=labelled("realm", found.realms),
        schema=sorted(
            (
                SchemaValue(value=schema, realm=realm, label=realm_schema_label(realm, schema, lang))
                for realm, schema in found.schemas
            ),
            key=lambda one: (one.realm, one.label.casefold()),
        ),
        government=labelled("government", found.governments),
    )


@router.post(
    "/translations/approve",
    response_model=BulkApprovalOut,
    responses={
        **AUTH_ERRORS,
        409: {"description": "The filters select another number of translations than the one confirmed"},
        422: {"description": "Invalid filters, or more translations than one approval may take"},
    },
)
async def approve_translations(services: ServicesDep, key: CuratorKey, approval: BulkApproval) -> BulkApprovalOut:
    """Approve, as they are, every machine translation the filters select (at most BULK_MAX), after
    one confirmation: ``expected`` is the number the curator was shown. Reviewed and rejected
    translations are never touched; every approval is in each sentence's history and the audit
    trail; the records are re-indexed."""
    wanted = QueueFilter(
        status="machine",
        lang=approval.lang,
        source_lang=approval.source_lang,
        realm=approval.realm,
        schema=approval.schema_,
        government=approval.government.lower() if approval.government else None,
        q=approval.q.strip() if approval.q and approval.q.strip() else None,
    )
    curation = _curation(services)
    done = await run_in_threadpool(
        lambda: curation.approve_matching(wanted, expected=approval.expected, actor=key.name)
    )
    return BulkApprovalOut(approved=done.approved, skipped=done.skipped, records=done.records)


@router.get(
    "/translations/{id}",
    response_model=TranslationItem,
    responses={**AUTH_ERRORS, 404: {"description": "No such translation"}},
)
def get_translation(services: ServicesDep, _key: CuratorKey, entry_id: EntryId) -> TranslationItem:
    """One translated sentence."""
    return items_out(services, [_curation(services).item(entry_id)])[0]


@router.put(
    "/translations/{id}",
    response_model=TranslationItem,
    responses={
        **AUTH_ERRORS,
        404: {"description": "No such translation"},
        409: {"model": ConflictOut, "description": "Changed since that version; `current` is what it is now"},
        422: {"description": "Invalid edit"},
    },
)
async def edit_translation(
    services: ServicesDep,
    key: CuratorKey,
    entry_id: EntryId,
    edit: TranslationEdit,
) -> TranslationItem | JSONResponse:
    """Approve, correct or reject a sentence; every record containing it is updated and re-indexed."""
    curation = _curation(services)
    try:
        item = await run_in_threadpool(
            lambda: curation.review(entry_id, status=edit.status, text=edit.text, version=edit.version, actor=key.name)
        )
    except VersionConflict as exc:  # the one error whose body says more than the table's: what the text is now
        body = ConflictOut(
            error=ErrorDetail(code=exc.api_code, message=str(exc), request_id=request_id()),
            current=item_out(exc.current),
        )
        return JSONResponse(body.model_dump(mode="json", by_alias=True), status_code=409)
    return items_out(services, [item])[0]


@router.get(
    "/translations/{id}/history",
    response_model=HistoryOut,
    responses={**AUTH_ERRORS, 404: {"description": "No such translation"}},
)
def translation_history(services: ServicesDep, _key: CuratorKey, entry_id: EntryId) -> HistoryOut:
    """Every version of a sentence's translation: text, status, who, when, and from which version."""
    versions = _curation(services).history(entry_id)
    return HistoryOut(id=entry_id, versions=[_version_out(v) for v in versions])
