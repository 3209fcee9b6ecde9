"""One error shape for every failure: ``{"error": {"code", "message"}}`` with the right status.

Every error the project raises on purpose is a ``ChmSearchError``; one handler answers them all,
with the status and code its cause has in ``record_catalogue.errors.OUTCOMES`` (bad input 422, not
found 404, a part down 503 with ``Retry-After`` …), so no route catches an error only to say the
same thing again. Faults of the parts the service stands on that are not ours are 503s a client
may retry, by the same table: the database's, as the error the catalogue makes of them
(``record_catalogue.db.database_error``), and the file system's; anything else unforeseen is a 500
with a request id (``boundary.ErrorBoundary``), never a plain-text page. The OAI-PMH and
LibreTranslate routes answer in their protocols' own error formats, not this one.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

from record_catalogue.db import DATABASE_ERRORS, database_error, one_line
from record_catalogue.errors import OUTCOMES, Cause, ChmSearchError, Outcome
from record_catalogue.logs import REQUEST_ID
from search_api.asgi import Send, send_error

log = logging.getLogger("search_api.errors")


class ApiError(ChmSearchError):
    """Raised by routes for a client-facing error with a stable code and a status of its own."""

    cause = Cause.BAD_INPUT

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = self.http_status = status
        self.code = self.error_code = code
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


def _retry(outcome: Outcome) -> dict[str, str] | None:
    return {"Retry-After": str(outcome.retry_after)} if outcome.retry_after is not None else None


def _message(outcome: Outcome, detail: str) -> str:
    """The message a client reads: the cause's label first where it says more than "error"."""
    return detail if outcome.label == "error" else f"{outcome.label}: {detail}"


def known_error(exc: ChmSearchError) -> tuple[int, str, str, dict[str, str] | None]:
    """``exc``'s status, error code, message and headers (``Retry-After``), from its cause's row
    of the one table: for the handler below and for the middlewares, which answer outside it."""
    outcome = exc.outcome
    status = exc.api_status
    wait = exc.retry_after if status == outcome.status else None
    headers = {"Retry-After": str(wait)} if wait is not None else None
    message = str(exc) if exc.http_status is not None else _message(outcome, str(exc))
    return status, exc.api_code, message, headers


async def send_known_error(send: Send, exc: ChmSearchError, context: str = "") -> None:
    """Answer ``exc`` from a middleware, outside the app's handlers, as the handler would (its
    message after ``context``)."""
    status, code, message, headers = known_error(exc)
    await send_error(send, status, code, context + message, headers)


def known_error_response(request: Request, exc: ChmSearchError) -> JSONResponse:
    """The answer to any ``ChmSearchError``, from its cause's row of the one table."""
    status, code, message, headers = known_error(exc)
    if status >= 500 and status != 503:
        # Not the request's fault and not a part being down: logged (with the request's id, which
        # the body carries too), as the boundary does for exceptions nobody handled.
        log.error("%s %s failed: %s", request.method, request.url.path, one_line(exc), exc_info=exc)
    return error_response(status, code, message, headers=headers)


def install_error_handlers(app: FastAPI) -> None:
    """Map every exception the routes can raise onto the one error shape."""

    @app.exception_handler(ChmSearchError)
    async def _known(request: Request, exc: ChmSearchError) -> JSONResponse:
        return known_error_response(request, exc)

    @app.exception_handler(RequestValidationError)
    async def _validation(_request: Request, exc: RequestValidationError) -> JSONResponse:
        message = "; ".join(_describe(err) for err in exc.errors())
        return error_response(422, "invalid_parameter", message)

    @app.exception_handler(StarletteHTTPException)
    async def _http(_request: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = {400: "invalid_body", 404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "http_error")
        return error_response(exc.status_code, code, str(exc.detail))

    @app.exception_handler(OSError)
    async def _storage_failed(_request: Request, exc: OSError) -> JSONResponse:
        # A read-only or full disk, a file gone from under the service: its storage, not the request.
        outcome = OUTCOMES[Cause.STORAGE_FAILED]
        message = f"the service's storage failed: {one_line(exc)}"
        return error_response(outcome.status, outcome.code, message, headers=_retry(outcome))

    async def _catalogue_failed(request: Request, exc: Exception) -> JSONResponse:
        # Whatever the database answered that no route handles is not the request's fault: another
        # writer's lock (waited for CHM_API_BUSY_TIMEOUT seconds) or the database's own failure
        # (connection lost, server shutting down, out of disk), each a 503 the client may retry.
        return known_error_response(request, database_error(exc))

    for kind in DATABASE_ERRORS:  # the catalogue names them: no layer above it imports its database's
        app.add_exception_handler(kind, _catalogue_failed)
