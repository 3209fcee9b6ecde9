"""One error shape for every failure: ``{"error": {"code", "message"}}`` with the right status.

Faults of the parts the service stands on (the catalogue locked, read-only, full or gone; the
engine down; the disk full) are 503s a client may retry; anything else unforeseen is a 500 with
a request id (``middleware.ErrorBoundary``), never a plain-text page.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from sqlalchemy.exc import SQLAlchemyError
from starlette.exceptions import HTTPException as StarletteHTTPException

from record_catalogue.db import CatalogueBusy, CatalogueUnavailable, busy_fault, locked_out, one_line
from record_catalogue.logs import REQUEST_ID
from search_index.base import IndexUnavailable

# A writer's lock is held for one batch or transaction: a client may retry in a few seconds.
BUSY_RETRY_AFTER = "2"


class ApiError(Exception):
    """Raised by routes for a client-facing error with a stable code."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


class ErrorDetail(BaseModel):
    code: str = Field(description="Stable, machine-readable: invalid_parameter, invalid_cursor, rate_limited ...")
    message: str = Field(description="What went wrong and what to do, for a person.")
    request_id: str | None = Field(
        default=None, description="The request's id (also X-Request-ID): quote it to the operators, it is in the log."
    )


class ErrorBody(BaseModel):
    """Every error response's body."""

    error: ErrorDetail


def error_response(status: int, code: str, message: str, headers: dict[str, str] | None = None) -> JSONResponse:
    error = {"code": code, "message": message}
    current = REQUEST_ID.get()
    if current is not None:
        error["request_id"] = current
    return JSONResponse({"error": error}, status_code=status, headers=headers)


def _describe(error: Mapping[str, Any]) -> str:
    loc = [str(part) for part in error.get("loc", ()) if part not in ("query", "body", "path")]
    where = ".".join(loc) or "request"
    return f"{where}: {error.get('msg')}"


def install_error_handlers(app: FastAPI) -> None:
    """Map every exception the routes can raise onto the one error shape."""

    @app.exception_handler(ApiError)
    async def _api_error(_request: Request, exc: ApiError) -> JSONResponse:
        return error_response(exc.status, exc.code, exc.message)

    @app.exception_handler(RequestValidationError)
    async def _validation(_request: Request, exc: RequestValidationError) -> JSONResponse:
        message = "; ".join(_describe(err) for err in exc.errors())
        return error_response(422, "invalid_parameter", message)

    @app.exception_handler(StarletteHTTPException)
    async def _http(_request: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = {400: "invalid_body", 404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "http_error")
        return error_response(exc.status_code, code, str(exc.detail))

    @app.exception_handler(IndexUnavailable)
    async def _index_down(_request: Request, exc: IndexUnavailable) -> JSONResponse:
        return error_response(
            503, "search_unavailable", f"the search engine is unavailable: {exc}", headers={"Retry-After": "30"}
        )

    @app.exception_handler(CatalogueUnavailable)
    async def _catalogue_down(_request: Request, exc: CatalogueUnavailable) -> JSONResponse:
        return error_response(
            503, "catalogue_unavailable", f"the catalogue is unavailable: {exc}", headers={"Retry-After": "30"}
        )

    @app.exception_handler(CatalogueBusy)
    async def _catalogue_busy(_request: Request, exc: CatalogueBusy) -> JSONResponse:
        return error_response(503, "catalogue_busy", str(exc), headers={"Retry-After": BUSY_RETRY_AFTER})

    @app.exception_handler(OSError)
    async def _storage_failed(_request: Request, exc: OSError) -> JSONResponse:
        # A read-only or full disk, a file gone from under the service: its storage, not the request.
        return error_response(
            503, "storage_unavailable", f"the service's storage failed: {one_line(exc)}", headers={"Retry-After": "30"}
        )

    @app.exception_handler(SQLAlchemyError)
    async def _catalogue_failed(_request: Request, exc: SQLAlchemyError) -> JSONResponse:
        # Whatever the database answered that no route handles (connection lost, server shutting
        # down, out of disk) is not the request's fault: a 503 the client may retry, not a 500.
        if busy_fault(exc):  # another writer's lock, waited for CHM_API_BUSY_TIMEOUT seconds
            return await _catalogue_busy(_request, locked_out(exc))
        return error_response(
            503, "catalogue_error", f"the catalogue failed: {one_line(exc)}; try again", headers={"Retry-After": "30"}
        )
