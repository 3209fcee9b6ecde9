"""``GET /api/v1/search/export``: the current results, every page of them, as CSV or JSON.

A reader who found what they need takes it away as a file: the same parameters as the search
(the same query, filters, order and reader language), every matching record up to
``CHM_EXPORT_MAX_ROWS``, streamed a page at a time (the response starts at once and memory stays
flat whatever the total). CSV has a header row and starts with a UTF-8 byte-order mark, so Excel
reads the six languages' scripts instead of guessing a code page.

Once the first rows are sent the status (200) cannot change: a failure while reading a later page
(the engine gone, its point in time expired) ends the file with a visible marker instead of
silently — a last CSV row starting with ``#`` saying the file is incomplete and why, or in JSON an
``error`` object (``{"code", "message", "request_id"}``) beside ``exported`` — and is logged.
"""

from __future__ import annotations

import csv
import io
import logging
from collections.abc import Iterator
from dataclasses import replace
from typing import Annotated, Literal
from urllib.parse import quote

import orjson
from fastapi import APIRouter, Query, Request
from fastapi.responses import StreamingResponse

from analyzers.entities import entity_label
from record_catalogue.db import one_line
from record_catalogue.logs import REQUEST_ID
from search_api.dependencies import ServicesDep
from search_api.routes.search import (
    SearchParamsDep,
    SearchResult,
    build_query,
    facet_label,
    key_presets,
    present,
)
from search_api.services import Services
from search_index.base import IndexUnavailable, SearchQuery

router = APIRouter(tags=["search"])
log = logging.getLogger("search_api.export")

PAGE_SIZE = 100
COLUMNS = (
    "id",
    "cbd_id",
    "realm",
    "schema",
    "record_type",
    "government",
    "country",
    "title",
    "summary",
    "date",
    "display_language",
    "original_language",
    "translation_status",
    "url",
    "record_page",
)


def rows(services: Services, query: SearchQuery, limit: int) -> Iterator[tuple[SearchResult, dict[str, str]]]:
    """Every hit of ``query`` up to ``limit``, a page at a time (search_after, in one point in time
    where the engine has one), each with its labels in the reader's language."""
    sent = 0
    thesaurus = services.term_labels()  # the harvested keyword labels, as the search's cards use them
    while sent < limit:
        results = services.backend.search(query)
        for hit in results.hits[: limit - sent]:
            result = present(hit, query.lang, thesaurus)
            labels = {
                "record_type": facet_label("schema", result.schema_name, query.lang),
                "country": (
                    entity_label(f"country:{result.government}", query.lang, thesaurus) if result.government else ""
                ),
            }
            yield result, labels
            sent += 1
        if len(results.hits) < query.size or not results.hits:
            return
        query = replace(query, search_after=results.hits[-1].sort, point_in_time=results.point_in_time, offset=0)


class Interrupted:
    """Where an export stopped short, and why (the last item a guarded stream yields)."""

    def __init__(self, exc: Exception) -> None:
        self.request_id = REQUEST_ID.get()
        if isinstance(exc, IndexUnavailable):
            detail = (str(exc).strip().splitlines() or ["no detail"])[0][:200]
            self.code, reason = "search_unavailable", f"the search engine became unavailable ({detail})"
        else:
            self.code, reason = "export_failed", "an unexpected error"
        reference = f" (request id {self.request_id})" if self.request_id else ""
        self.message = f"{reason}{reference}; this file is incomplete: export again"

    def as_dict(self) -> dict[str, str]:
        found = {"code": self.code, "message": self.message}
        if self.request_id:
            found["request_id"] = self.request_id
        return found


Row = tuple[SearchResult, dict[str, str]]


def guarded(found: Iterator[Row]) -> Iterator[Row | Interrupted]:
    """``found``, then an :class:`Interrupted` if reading it failed part way (logged with its traceback)."""
    try:
        yield from found
    except Exception as exc:
        log.exception("export stopped part way: %s", one_line(exc))
        yield Interrupted(exc)


def record_page(result: SearchResult, lang: str) -> str:
    """The record's own page on this server (a path: the file may be opened anywhere)."""
    return f"/record/{quote(result.id, safe='')}?lang={lang}"


def _values(result: SearchResult, labels: dict[str, str], lang: str) -> list[str]:
    data = result.model_dump(by_alias=True)
    values = {
        **{key: "" if data.get(key) is None else str(data[key]) for key in COLUMNS if key in data},
        **labels,
        "record_page": record_page(result, lang),
    }
    return [values.get(column, "") for column in COLUMNS]


def csv_stream(found: Iterator[Row], lang: str) -> Iterator[bytes]:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    yield b"\xef\xbb\xbf" + buffer.getvalue().encode("utf-8")
    count = 0
    for item in guarded(found):
        buffer.seek(0)
        buffer.truncate()
        if isinstance(item, Interrupted):
            writer.writerow([f"# ERROR: the export stopped after {count} rows: {item.message}"])
        else:
            writer.writerow([_spreadsheet_safe(value) for value in _values(*item, lang)])
            count += 1
        yield buffer.getvalue().encode("utf-8")


def _spreadsheet_safe(value: str) -> str:
    """A cell a spreadsheet will not run: text starting with = + - @ (a formula) gets a leading '."""
    return f"'{value}" if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


def json_stream(found: Iterator[Row], lang: str, limit: int) -> Iterator[bytes]:
    yield b'{"lang":' + orjson.dumps(lang) + b',"results":['
    count = 0
    stopped: Interrupted | None = None
    for item in guarded(found):
        if isinstance(item, Interrupted):
            stopped = item
            break
        result, labels = item
        data = {**result.model_dump(by_alias=True), **labels, "record_page": record_page(result, lang)}
        yield (b"," if count else b"") + orjson.dumps(data)
        count += 1
    end = b'],"exported":' + orjson.dumps(count) + b',"max_rows":' + orjson.dumps(limit)
    if stopped is not None:
        end += b',"error":' + orjson.dumps(stopped.as_dict())
    yield end + b"}"


@router.get(
    "/search/export",
    responses={200: {"content": {"text/csv": {}, "application/json": {}}}},
    response_class=StreamingResponse,
)
def export(
    request: Request,
    services: ServicesDep,
    params: SearchParamsDep,
    format: Annotated[Literal["csv", "json"], Query(description="csv (UTF-8 with BOM, header row) or json.")] = "csv",
) -> StreamingResponse:
    """Every result of a search (the same parameters), up to CHM_EXPORT_MAX_ROWS rows, streamed."""
    limit = services.settings.export_max_rows
    query, _, _ = build_query(
        services,
        params,
        size=min(PAGE_SIZE, limit),
        facets=(),
        highlight=False,
        presets=key_presets(request),
    )
    # The first page is read before the response starts: an engine that is down is a 503, not a
    # truncated file with a 200.
    found = rows(services, query, limit)
    first = next(found, None)

    def everything() -> Iterator[Row]:
        if first is not None:
            yield first
            yield from found

    lang = params.lang
    name = f"chm-search-{lang}.{format}"
    headers = {"Content-Disposition": f'attachment; filename="{name}"', "X-Export-Max-Rows": str(limit)}
    if format == "csv":
        return StreamingResponse(csv_stream(everything(), lang), media_type="text/csv; charset=utf-8", headers=headers)
    return StreamingResponse(json_stream(everything(), lang, limit), media_type="application/json", headers=headers)
