"""The last line: no exception leaves the app as anything but JSON.

Starlette answers an unhandled exception with a plain-text "Internal Server Error" (and outside
the CORS middleware). This boundary sits inside CORS and around everything else: an exception
nothing handled is logged with its traceback and the request id (given by
``search_api.request_log``, outside CORS), and the client gets the API's error body with that id
(503 for a failed disk, which is no fault of the request).
"""

from __future__ import annotations

import errno
import logging
import uuid

from record_catalogue.db import one_line
from record_catalogue.errors import OUTCOMES, Cause
from record_catalogue.logs import REQUEST_ID
from search_api.asgi import HttpMiddleware, Message, Receive, Scope, Send, error_message

log = logging.getLogger("search_api.errors")
STORAGE_ERRNOS = frozenset({errno.ENOSPC, errno.EROFS, errno.EDQUOT, errno.EIO, errno.ENOENT, errno.EACCES})


class ErrorBoundary(HttpMiddleware):
    """Turns an unhandled exception into a JSON 500/503 naming the request id."""

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        request_id = scope.get("state", {}).get("request_id") or REQUEST_ID.get() or uuid.uuid4().hex
        started = False

        async def watched(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, watched)
        except Exception as exc:
            log.exception(
                "request %s %s %s failed: %s", request_id, scope.get("method"), scope.get("path"), one_line(exc)
            )
            if started:
                return  # the response is under way: nothing better to do than end it
            if isinstance(exc, OSError) and exc.errno in STORAGE_ERRNOS:
                outcome = OUTCOMES[Cause.STORAGE_FAILED]
                message = f"the service's storage failed ({one_line(exc)}); try again later"
                headers = {"Retry-After": str(outcome.retry_after)}
            else:
                outcome = OUTCOMES[Cause.INTERNAL]
                message = f"an unexpected error; the operators can find it in the log under request id {request_id}"
                headers = {}
            status, code = outcome.status, outcome.code
            for part in error_message(status, code, message, headers, request_id=request_id):
                await send(part)
