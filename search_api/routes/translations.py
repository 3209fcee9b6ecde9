"""``/api/v1/translations``: the curators' review queue, edits against a version, and history.

Every endpoint needs a key with role ``curator`` (or ``admin``); changes are attributed to the
key's name. An item is a translated sentence (a segment of the translation memory), so one
correction reaches every record containing the sentence; the rules are in ``translate.curation``.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Annotated, Literal, cast

from fastapi import APIRouter, Depends, Path, Query
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field, StringConstraints
from starlette.concurrency import run_in_threadpool

from record_catalogue.keys import KeyInfo
from record_catalogue.logs import request_id
from search_api.auth import require_role
from search_api.errors import ApiError, ErrorDetail
from search_api.services import Services, get_services
from translate.curation import (
    MAX_SIZE,
    Curation,
    InvalidEdit,
    Item,
    NotFound,
    QueueFilter,
    Version,
    VersionConflict,
)
from translate.glossary import Glossary

router = APIRouter(tags=["curation"])
LanguageCode = Literal["ar", "en", "es", "fr", "ru", "zh"]
RealmCode = Literal["CHM", "ABS", "BCH"]
SchemaName = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9]{1,100}$")]
CountryCode = Annotated[str, StringConstraints(pattern=r"^[a-zA-Z]{2}$")]
QueueStatus = Literal["machine", "reviewed", "rejected", "stale", "failed"]
Order = Literal["used", "recent", "impact"]
# The ids are INTEGER columns: a larger number can name no entry (PostgreSQL would refuse it outright).
EntryId = Annotated[int, Path(alias="id", ge=1, le=2**31 - 1, description="The translation's id.")]
Curator = Annotated[KeyInfo, Depends(require_role("curator"))]
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
    updated_at: str
    status_reason: str | None
    glossary: list[GlossaryTerm]
    records: list[RecordRef] = Field(description="Up to 5 records containing the sentence.")
    record_count: int = Field(description="How many records contain the sentence (translated into this language).")


class TranslationPage(BaseModel):
    total: int
    page: int
    size: int
    order: Order = Field(
        description="used: sentences in most records first; recent: latest changes first; "
        "impact: sentences of the records readers of the language open most first."
    )
    items: list[TranslationItem]


class TranslationEdit(BaseModel):
    """Approve (``reviewed``, ``text`` null), correct (``reviewed`` with ``text``) or reject."""

    model_config = ConfigDict(extra="forbid")

    text: Annotated[str, StringConstraints(max_length=20_000)] | None = Field(
        default=None, description="The corrected translation; null approves the current text as it is."
    )
    status: Literal["reviewed", "rejected"]
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
    at: str
    from_version: int | None


class HistoryOut(BaseModel):
    id: int
    versions: list[VersionOut]


@lru_cache(maxsize=1)
def _glossary() -> Glossary:
    """The project's glossary, read once (the terms shown beside each sentence)."""
    return Glossary.load()


def _curation(services: Services) -> Curation:
    return Curation(services.catalogue, services.backend, _glossary(), services.detector)


def item_out(item: Item) -> TranslationItem:
    return TranslationItem(
        id=item.id,
        source_language=item.source_language,
        target_language=item.target_language,
        source_text=item.source_text,
        text=item.text,
        status=cast(QueueStatus, item.status),
        provenance=cast(Literal["machine", "reviewed"], item.provenance),
        version=item.version,
        engine=item.engine,
        model=item.model,
        pivot=item.pivot,
        actor=item.actor,
        updated_at=item.updated_at.isoformat(),
        status_reason=item.status_reason,
        glossary=[GlossaryTerm(source=source, target=target) for source, target in item.glossary],
        records=[
            RecordRef(id=r.id, title=r.title, realm=r.realm, schema=r.schema, government=r.government)
            for r in item.records
        ],
        record_count=item.record_count,
    )


def _version_out(version: Version) -> VersionOut:
    return VersionOut(
        version=version.version,
        text=version.text,
        status=version.status,
        provenance=version.provenance,
        status_reason=version.status_reason,
        engine=version.engine,
        model=version.model,
        actor=version.actor,
        at=version.at.isoformat(),
        from_version=version.from_version,
    )


@router.get("/translations", response_model=TranslationPage, responses=AUTH_ERRORS)
def list_translations(
    services: Annotated[Services, Depends(get_services)],
    _key: Curator,
    status: Annotated[QueueStatus, Query(description="Which queue.")] = "machine",
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
    found = _curation(services).queue(wanted)
    return TranslationPage(
        total=found.total,
        page=found.page,
        size=found.size,
        order=cast(Order, found.order),
        items=[item_out(item) for item in found.items],
    )


@router.get(
    "/translations/{id}",
    response_model=TranslationItem,
    responses={**AUTH_ERRORS, 404: {"description": "No such translation"}},
)
def get_translation(
    services: Annotated[Services, Depends(get_services)], _key: Curator, entry_id: EntryId
) -> TranslationItem:
    """One translated sentence."""
    try:
        return item_out(_curation(services).item(entry_id))
    except NotFound as exc:
        raise ApiError(404, "not_found", str(exc)) from None


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
    services: Annotated[Services, Depends(get_services)],
    key: Curator,
    entry_id: EntryId,
    edit: TranslationEdit,
) -> TranslationItem | JSONResponse:
    """Approve, correct or reject a sentence; every record containing it is updated and re-indexed."""
    curation = _curation(services)
    try:
        item = await run_in_threadpool(
            lambda: curation.review(entry_id, status=edit.status, text=edit.text, version=edit.version, actor=key.name)
        )
    except NotFound as exc:
        raise ApiError(404, "not_found", str(exc)) from None
    except InvalidEdit as exc:
        raise ApiError(422, "invalid_edit", str(exc)) from None
    except VersionConflict as exc:
        body = ConflictOut(
            error=ErrorDetail(code="version_conflict", message=str(exc), request_id=request_id()),
            current=item_out(exc.current),
        )
        return JSONResponse(body.model_dump(mode="json", by_alias=True), status_code=409)
    return item_out(item)


@router.get(
    "/translations/{id}/history",
    response_model=HistoryOut,
    responses={**AUTH_ERRORS, 404: {"description": "No such translation"}},
)
def translation_history(
    services: Annotated[Services, Depends(get_services)], _key: Curator, entry_id: EntryId
) -> HistoryOut:
    """Every version of a sentence's translation: text, status, who, when, and from which version."""
    try:
        versions = _curation(services).history(entry_id)
    except NotFound as exc:
        raise ApiError(404, "not_found", str(exc)) from None
    return HistoryOut(id=entry_id, versions=[_version_out(v) for v in versions])
