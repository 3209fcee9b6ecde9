"""``/api/v1/records``: one record with every language version (GET), pushing records (POST),
withdrawing one (DELETE)."""

from __future__ import annotations

import threading
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, Path
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from ingest.pipeline import IngestReport, Pipeline
from ingest.sources import SourceItem
from ingest.sources.cbd_json import record_from_json
from ingest.withdraw import withdraw
from record_catalogue.codes import DISPLAY_PRIORITY, LanguageCode, Provenance, Realm, TextStatus
from record_catalogue.dialect import one_writer_at_a_time
from record_catalogue.models import FieldText, RecordRow
from search_api.dependencies import CuratorKey, IngestKey, ServicesDep
from search_api.errors import ApiError
from search_api.record_page import shown_versions
from search_api.services import Services
from search_api.timestamps import IsoDateTime
from search_index.documents import reader_language
from search_index.sync import reindex

router = APIRouter(tags=["records"])
MAX_PUSH = 1000


class TextVersionOut(BaseModel):
    """One language version of one field and where it came from."""

    text: str
    provenance: Provenance
    status: TextStatus
    status_reason: str | None = None
    declared_language: str | None = None
    detection_confidence: float | None = None
    engine: str | None = None
    model: str | None = None
    pivot: str | None = None
    actor: str | None = None
    version: int
    updated_at: IsoDateTime


class EntityOut(BaseModel):
    key: str
    type: str
    id: str
    text: str
    field: str
    language: str
    start: int
    end: int


class RecordOut(BaseModel):
    """A record as the catalogue holds it: every version of every field, with provenance."""

    id: str
    realm: Realm
    schema_name: str
    government: str | None
    url: str | None
    date: str | None
    original_language: str
    display_language: str
    title: str | None
    summary: str | None
    fields: dict[str, dict[str, list[TextVersionOut]]]
    entities: list[EntityOut]
    links: list[dict[str, Any]]
    updated_at: str


def _version(text: FieldText) -> TextVersionOut:
    return TextVersionOut.model_validate(text, from_attributes=True)


@router.get(
    "/records/{record_id}",
    response_model=RecordOut,
    responses={404: {"description": "No such record"}, 410: {"description": "Deleted"}},
)
def get_record(
    services: ServicesDep,
    record_id: Annotated[str, Path(max_length=200)],
    lang: LanguageCode = LanguageCode.EN,
) -> RecordOut:
    """One record with every language version of every field (best first: reviewed, original, machine)."""
    row = services.catalogue.get(record_id)
    if row is None:
        raise ApiError(404, "not_found", f"no record with id {record_id!r}")
    if row.deleted_at is not None:
        raise ApiError(
            410, "deleted", f"the record {record_id!r} was deleted on {row.deleted_at.isoformat()} by {row.deleted_by}"
        )
    return record_out(row, lang)


def record_out(row: RecordRow, lang: str) -> RecordOut:
    """A catalogue row as the API shows it, displayed in ``lang`` (also used by the changes feed)."""
    fields: dict[str, dict[str, list[TextVersionOut]]] = {}
    for text in sorted(
        row.texts,
        key=lambda t: (t.field, t.language, t.status != TextStatus.CURRENT, DISPLAY_PRIORITY.get(t.provenance, 3)),
    ):
        fields.setdefault(text.field, {}).setdefault(text.language, []).append(_version(text))

    visible = shown_versions(row.texts)  # what the record page shows too: the one display policy

    def shown(field: str) -> tuple[str | None, str | None]:
        best = visible.get(field, {})
        code = reader_language({code: version.provenance for code, version in best.items()}, lang)
        return (best[code].text, code) if code else (None, None)

    title, title_lang = shown("title")
    summary, _ = shown("summary")
    return RecordOut(
        id=row.id,
        realm=row.realm,
        schema_name=row.schema_name,
        government=row.government,
        url=row.url,
        date=row.date.isoformat() if row.date else None,
        original_language=row.original_language,
        display_language=title_lang or row.original_language,
        title=title,
        summary=summary,
        fields=fields,
        entities=[
            EntityOut(
                key=f"{e.type}:{e.entity_id}",
                type=e.type,
                id=e.entity_id,
                text=e.text,
                field=e.field,
                language=e.language,
                start=e.start,
                end=e.end,
            )
            for e in row.entities
        ],
        links=list(row.links or []),
        updated_at=row.updated_at.isoformat(),
    )


class PushError(BaseModel):
    position: str
    record_id: str | None
    reason: str


class PushResult(BaseModel):
    run_id: str
    received: int
    created: int
    updated: int
    unchanged: int
    errors: list[PushError]


# On SQLite, one writer at a time: this process's pushes queue here, so that the catalogue's busy
# timeout (CHM_API_BUSY_TIMEOUT, short) is spent waiting only for another process's lock.
_SQLITE_PUSHES = threading.Lock()


def _one_writer_at_a_time(services: Services, pipeline: Pipeline, items: list[SourceItem], run_id: str) -> IngestReport:
    if not one_writer_at_a_time(services.catalogue.engine):
        return pipeline.run(items, None, run_id)
    with _SQLITE_PUSHES:
        return pipeline.run(items, None, run_id)


@router.post("/records", response_model=PushResult, responses={401: {}, 403: {}, 422: {}})
async def push_records(
    services: ServicesDep,
    key: IngestKey,
    payload: Annotated[Any, Body(description="One CBD-format record, or an array of up to 1,000.")],
) -> PushResult:
    """Push records (national CHMs, partners): stored, indexed and searchable when this returns."""
    documents = payload if isinstance(payload, list) else [payload]
    if not documents:
        raise ApiError(422, "invalid_body", "the body is an empty array; send a record or an array of records")
    if len(documents) > MAX_PUSH:
        raise ApiError(422, "invalid_body", f"{len(documents)} records in one request; send at most {MAX_PUSH}")
    source = f"api:{key.name}"
    items: list[SourceItem] = [
        record_from_json(doc, source, f"item {n}" if isinstance(payload, list) else "")
        for n, doc in enumerate(documents)
    ]
    pipeline = Pipeline(
        services.catalogue,
        services.backend,
        services.detector,
        services.settings.languages,
        actor=key.name,
        tagger=services.tagger,
        # Another process may hold the embedded index's writer for a moment (a rebuild writing
        # again what changed while it ran, a translate run's commit): wait as for a catalogue lock.
        index_busy_wait=services.settings.api_busy_timeout,
    )
    run_id = services.catalogue.new_run_id()
    report = await run_in_threadpool(_one_writer_at_a_time, services, pipeline, items, run_id)
    errors = [
        PushError(position=e.position, record_id=e.record_id, reason=e.reason)
        for e in reversed(services.catalogue.errors(run_id=run_id))
    ]
    return PushResult(
        run_id=run_id,
        received=len(documents),
        created=report.created,
        updated=report.updated,
        unchanged=report.unchanged,
        errors=errors,
    )


class DeleteResult(BaseModel):
    """What became of a withdrawn record."""

    id: str
    outcome: Literal["deleted", "already_deleted"]
    deleted_at: str
    deleted_by: str
    index_updated: bool = Field(description="False: the search engine was down; the record leaves it on the next run")


@router.delete(
    "/records/{record_id}",
    response_model=DeleteResult,
    responses={401: {}, 403: {"description": "Not the key's record"}, 404: {"description": "No such record"}},
)
async def delete_record(
    services: ServicesDep,
    key: IngestKey,
    record_id: Annotated[str, Path(max_length=200)],
) -> DeleteResult:
    """Withdraw a record: gone from search at once, kept in the catalogue as a tombstone (who, when;
    its history and reviewed translations kept for audit), reported deleted by ``/api/v1/changes``
    and ``/oai``, restored if it is pushed again. An ``ingest`` key withdraws only records it
    pushed itself; an ``admin`` key any record."""
    only_source = None if key.role == "admin" else f"api:{key.name}"
    done = await run_in_threadpool(
        withdraw, services.catalogue, services.backend, [record_id], key.name, only_source=only_source
    )
    outcome = done.outcomes[record_id]
    if outcome == "not_found":
        raise ApiError(404, "not_found", f"no record with id {record_id!r}")
    if outcome == "not_yours":
        raise ApiError(
            403, "forbidden", f"the record {record_id!r} was not pushed with the key {key.name!r}; it may not delete it"
        )
    row = services.catalogue.get(record_id)
    assert row is not None and row.deleted_at is not None and row.deleted_by is not None
    return DeleteResult(
        id=record_id,
        outcome=outcome,
        deleted_at=row.deleted_at.isoformat(),
        deleted_by=row.deleted_by,
        index_updated=done.index_updated,
    )


class GroupMember(BaseModel):
    id: str
    realm: str
    schema_name: str
    url: str | None


class SplitResult(BaseModel):
    """A record's standing after a curator split it from (or let it rejoin) its duplicate group."""

    id: str
    split: bool
    group: list[GroupMember] = Field(description="The records shown as one document with it now (itself included)")
    reindexed: list[str]
    index_updated: bool


class SplitRequest(BaseModel):
    split: bool = Field(default=True, description="false: let the record be grouped again")


@router.post(
    "/records/{record_id}/split",
    response_model=SplitResult,
    responses={401: {}, 403: {}, 404: {"description": "No such record"}},
)
async def split_record(
    services: ServicesDep,
    key: CuratorKey,
    record_id: Annotated[str, Path(max_length=200)],
    body: Annotated[SplitRequest | None, Body()] = None,
) -> SplitResult:
    """A curator's "not the same document": the record leaves the group it was recognised in
    (``{"split": false}`` lets it be grouped again). Nothing is merged or lost either way: every
    record stays as it came; only how search shows them changes, at once."""
    split = True if body is None else body.split
    regrouped = await run_in_threadpool(services.catalogue.split_record, record_id, key.name, split=split)
    if regrouped is None:
        raise ApiError(404, "not_found", f"no record with id {record_id!r}")
    result = await run_in_threadpool(
        reindex, services.catalogue, services.backend, sorted(regrouped), tolerate_down=True
    )
    group = services.catalogue.group_of(record_id)
    return SplitResult(
        id=record_id,
        split=split,
        group=[GroupMember(id=r.id, realm=r.realm, schema_name=r.schema_name, url=r.url) for r in group],
        reindexed=sorted(regrouped),
        index_updated=result is not None,
    )
