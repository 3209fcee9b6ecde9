"""The last line: every request gets an id, and no exception leaves the app as anything but JSON.

Starlette answers an unhandled exception with a plain-text "Internal Server Error" (and outside
the CORS middleware). This boundary sits inside CORS and around everything else: an exception
nothing handled is logged with its traceback and the request id, and the client gets the API's
error body with that id (503 for a failed disk, which is no fault of the request).
"""

from __future__ import annotations

import errno
import logging
import uuid

from record_catalogue.db import one_line
from search_api.asgi import ASGIApp, Message, Receive, Scope, Send, error_message

log = logging.getLogger("search_api.errors")
REQUEST_ID_HEADER = b"x-request-id"
STORAGE_ERRNOS = frozenset({errno.ENOSPC, errno.EROFS, errno.EDQUOT, errno.EIO, errno.ENOENT, errno.EACCES})


class ErrorBoundary:
    """Adds ``X-Request-ID`` to every response; turns an unhandled exception into a JSON 500/503."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = uuid.uuid4().hex
        scope.setdefault("state", {})["request_id"] = request_id
        started = False

        async def with_id(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                message["headers"] = [*message.get("headers", []), (REQUEST_ID_HEADER, request_id.encode())]
            await send(message)

        try:
            await self.app(scope, receive, with_id)
        except Exception as exc:
            log.exception(
                "request %s %s %s failed: %s", request_id, scope.get("method"), scope.get("path"), one_line(exc)
            )
            if started:
                return  # the response is under way: nothing better to do than end it
            if isinstance(exc, OSError) and exc.errno in STORAGE_ERRNOS:
                status, code = 503, "storage_unavailable"
                message = f"the service's storage failed ({one_line(exc)}); try again later"
                headers = {"Retry-After": "30"}
            else:
                status, code = 500, "internal_error"
                message = f"an unexpected error; the operators can find it in the log under request id {request_id}"
                headers = {}
            for part in error_message(status, code, message, headers, request_id=request_id):
                await with_id(part)
