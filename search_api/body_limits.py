"""Request bodies: bounded per route, JSON only, and refused before anything reads or parses them.

This runs outside the rate limiter and the app: a body larger than its route allows is refused
from its ``Content-Length`` before a byte of it is read, and a body without one (chunked) is
counted as it streams in and cut off at the limit. A request for an endpoint that needs a key but
carries none is refused before its body is read, so an anonymous client cannot make the service
buffer a push-sized body. FastAPI parses bodies before dependencies run, so none of this could
be a dependency.
"""

from __future__ import annotations

from dataclasses import dataclass

from record_catalogue.settings import Settings
from search_api.asgi import ASGIApp, HttpMiddleware, Message, Receive, Scope, Send, header, send_error
from search_api.auth import API_KEY_HEADER

API = "/api/v1"
# The LibreTranslate-compatible routes bound their own bodies while streaming them (a limit derived
# from CHM_TRANSLATE_CHAR_LIMIT), answering in LibreTranslate's error shape: left to them.
SELF_LIMITED = "/libretranslate/"
BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})
KEY_HEADER = API_KEY_HEADER.lower().encode()


@dataclass(frozen=True)
class BodyRule:
    """What one route accepts: its body limit and whether it needs a key."""

    limit: int
    needs_key: bool = False
    json_only: bool = True


def body_rule(settings: Settings, method: str, path: str) -> BodyRule:
    """The rule for a request (``max_body_bytes`` for every route not named here)."""
    if method == "POST" and path == f"{API}/events":
        # Readers' events come from navigator.sendBeacon: JSON in a text/plain body (no preflight).
        return BodyRule(settings.max_body_bytes, json_only=False)
    if method == "POST" and path == f"{API}/detect":
        return BodyRule(settings.max_detect_body_bytes)
    if method == "POST" and path == f"{API}/records":
        return BodyRule(settings.max_push_body_bytes, needs_key=True)
    if method == "PUT" and path.startswith(f"{API}/translations/"):
        return BodyRule(settings.max_body_bytes, needs_key=True)
    return BodyRule(settings.max_body_bytes)


def is_json(content_type: str | None) -> bool:
    media = (content_type or "").split(";", 1)[0].strip().lower()
    return media == "application/json" or (media.startswith("application/") and media.endswith("+json"))


class BodyLimitMiddleware(HttpMiddleware):
    """413 for a body over its route's limit, 415 for a body that is not JSON, 401 for a keyed
    endpoint without a key: each before the body is read."""

    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        super().__init__(app)
        self.settings = settings

    def handles(self, scope: Scope) -> bool:
        return not str(scope.get("path", "")).startswith(SELF_LIMITED)

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        method, path = scope.get("method", ""), scope.get("path", "")
        rule = body_rule(self.settings, method, path)
        if rule.needs_key and not header(scope, KEY_HEADER):
            await send_error(
                send,
                401,
                "api_key_required",
                f"this endpoint needs an API key in the {API_KEY_HEADER} header",
            )
            return
        declared = header(scope, b"content-length")
        if declared is not None:
            try:
                length = int(declared)
            except ValueError:
                await send_error(send, 400, "invalid_body", "Content-Length is not a number")
                return
            if length > rule.limit:
                await self._too_large(send, rule.limit)
                return
        has_body = (declared is not None and declared.strip() != "0") or header(scope, b"transfer-encoding") is not None
        json_route = rule.json_only and method in BODY_METHODS and path.startswith(f"{API}/")
        if json_route and has_body and not is_json(header(scope, b"content-type")):
            await send_error(
                send, 415, "unsupported_media_type", "the body must be JSON, sent with Content-Type: application/json"
            )
            return
        await self._counted(scope, receive, send, rule.limit)

    async def _too_large(self, send: Send, limit: int) -> None:
        await send_error(
            send,
            413,
            "body_too_large",
            f"the request body is larger than the {limit} bytes this endpoint accepts",
        )

    async def _counted(self, scope: Scope, receive: Receive, send: Send, limit: int) -> None:
        """Run the app with a ``receive`` that stops the body at ``limit`` bytes.

        Past the limit the client gets the 413 at once, and the app is told the client went away
        (it stops reading and parsing); whatever it still tries to send is dropped.
        """
        received = 0
        refused = False
        started = False

        async def counting_receive() -> Message:
            nonlocal received, refused
            if refused:
                return {"type": "http.disconnect"}
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    refused = True
                    if not started:
                        await self._too_large(send, limit)
                    return {"type": "http.disconnect"}
            return message

        async def guarded_send(message: Message) -> None:
            nonlocal started
            if refused:
                return
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        await self.app(scope, counting_receive, guarded_send)
