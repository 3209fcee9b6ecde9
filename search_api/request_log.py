"""Every request gets an id and one access-log line: ``search_api.access``.

The outermost middleware, so that what every other layer answers (a CORS preflight, a 429, a
413, the error boundary's 500) is counted and carries the id: in the ``X-Request-ID`` header,
in every error body (``search_api.asgi.error_message`` and ``search_api.errors`` read it from
``record_catalogue.logs.REQUEST_ID``), and on every log record made while the request is served.

The line holds the method, the path, the *names* of the query parameters, the status, the
duration, the request id and the name (never the secret) of the API key used. Query values are
left out: ``q`` is a reader's text and ``key=`` a partner's key, and access logs travel further
than the catalogue (uvicorn's own access log, which wrote the whole query string, is off).
"""

from __future__ import annotations

import logging
import time
import uuid
from urllib.parse import parse_qsl

from record_catalogue.logs import REQUEST_ID
from search_api.asgi import HttpMiddleware, Message, Receive, Scope, Send

log = logging.getLogger("search_api.access")
REQUEST_ID_HEADER = b"x-request-id"


def parameter_names(query_string: bytes) -> str:
    """The distinct names of a query string's parameters, sorted and comma-separated."""
    pairs = parse_qsl(query_string.decode("latin-1"), keep_blank_values=True)
    return ",".join(sorted({name for name, _ in pairs}))


class RequestLog(HttpMiddleware):
    """Gives each HTTP request an id (scope state, context, ``X-Request-ID``) and logs it when done."""

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        request_id = uuid.uuid4().hex
        scope.setdefault("state", {})["request_id"] = request_id
        token = REQUEST_ID.set(request_id)
        started = time.perf_counter()
        status = 500  # what the client gets if nothing answers (the server's own error)

        async def with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
                message["headers"] = [*message.get("headers", []), (REQUEST_ID_HEADER, request_id.encode())]
            await send(message)

        try:
            await self.app(scope, receive, with_id)
        finally:
            if log.isEnabledFor(logging.INFO):
                self._log(scope, status, (time.perf_counter() - started) * 1000)
            REQUEST_ID.reset(token)

    @staticmethod
    def _log(scope: Scope, status: int, duration_ms: float) -> None:
        method, path = scope.get("method", ""), scope.get("path", "")
        names = parameter_names(bytes(scope.get("query_string", b"")))
        key = scope.get("state", {}).get("api_key")
        key_name = getattr(key, "name", None)
        parameters = f" (parameters: {names})" if names else ""
        log.info(
            "%s %s%s -> %d in %.1f ms",
            method,
            path,
            parameters,
            status,
            duration_ms,
            extra={
                "method": method,
                "path": path,
                "query_parameters": names.split(",") if names else [],
                "status": status,
                "duration_ms": round(duration_ms, 2),
                **({"key_name": key_name} if key_name else {}),
            },
        )
