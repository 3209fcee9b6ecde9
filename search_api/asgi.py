"""What the plain ASGI middleware share: the types, reading a header, answering an error.

Plain ASGI rather than Starlette's ``BaseHTTPMiddleware``: these run on every request of a
latency-sensitive API, and before the app has read (or parsed) anything.
"""

from __future__ import annotations

import abc
import json
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from record_catalogue.logs import REQUEST_ID

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


class HttpMiddleware(abc.ABC):
    """A plain ASGI middleware over the HTTP requests it ``handles``: anything else (lifespan,
    websockets, a request it leaves alone) passes straight through to ``app``."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    def handles(self, scope: Scope) -> bool:
        """Whether this HTTP request is this middleware's to handle (every one unless narrowed)."""
        return True

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and self.handles(scope):
            await self.handle(scope, receive, send)
        else:
            await self.app(scope, receive, send)

    @abc.abstractmethod
    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Serve one request this middleware handles (passing it on to ``self.app`` as it sees fit)."""


def header(scope: Scope, name: bytes) -> str | None:
    """The first value of header ``name`` (lower case), or None."""
    for key, value in scope.get("headers", []):
        if key == name:
            return bytes(value).decode("latin-1")
    return None


def error_message(
    status: int, code: str, message: str, headers: dict[str, str] | None = None, request_id: str | None = None
) -> tuple[Message, Message]:
    """The two ASGI messages of a JSON error response in the API's one error shape (with the
    request's id, so that a client reporting it can be found in the log)."""
    error: dict[str, str] = {"code": code, "message": message}
    request_id = request_id or REQUEST_ID.get()
    if request_id is not None:
        error["request_id"] = request_id
    body = json.dumps({"error": error}).encode()
    raw_headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    raw_headers += [(k.lower().encode(), v.encode("latin-1")) for k, v in (headers or {}).items()]
    return (
        {"type": "http.response.start", "status": status, "headers": raw_headers},
        {"type": "http.response.body", "body": body},
    )


async def send_error(send: Send, status: int, code: str, message: str, headers: dict[str, str] | None = None) -> None:
    """Answer with a JSON error (the app's exception handlers are not reached from middleware)."""
    for message_part in error_message(status, code, message, headers):
        await send(message_part)
