"""Cross-cutting HTTP behaviour: rate limits (429 + Retry-After) and ETags on GET responses.

Plain ASGI middleware rather than Starlette's ``BaseHTTPMiddleware``: these run on every request
of a latency-sensitive API, and the plain form adds no extra task or body copy per request.
"""

from __future__ import annotations

import hashlib
import re
from urllib.parse import parse_qsl

from starlette.concurrency import run_in_threadpool

from record_catalogue.db import CatalogueFailed, CatalogueUnavailable
from record_catalogue.errors import InvalidApiKey, RateLimited
from record_catalogue.keys import KeyInfo, KeyStore
from search_api.asgi import ASGIApp, HttpMiddleware, Message, Receive, Scope, Send
from search_api.asgi import header as _header
from search_api.auth import API_KEY_HEADER, INVALID_KEY, KeyCache
from search_api.errors import send_known_error
from search_api.limits import ClientLimits
from search_api.services import Services

UNLIMITED_PATHS = ("/api/v1/health",)
# Parts of a body that differ between calls for the same content: the time taken, and the next
# page's cursor (signed with the time it was issued). The ETag must change only with the content.
VOLATILE = re.compile(rb'"took_ms":[0-9.eE+-]+,?|"next_cursor":"[^"]*",?')
KEY_HEADER = API_KEY_HEADER.lower().encode()


def _query_key(scope: Scope) -> str | None:
    """The ``key`` query parameter, if any (the last one given)."""
    raw = bytes(scope.get("query_string", b"")).decode("latin-1")
    found = [value for name, value in parse_qsl(raw, keep_blank_values=True) if name == "key"]
    return found[-1] if found else None


def _with_key_cors(scope: Scope, send: Send, info: KeyInfo) -> Send:
    """``send`` adding CORS headers when the request comes from one of the key's own origins
    (a partner key's origins are allowed with it alone, not with every request)."""
    origin = _header(scope, b"origin")
    if not origin or origin not in info.origins:
        return send

    async def with_cors(message: Message) -> None:
        if message["type"] == "http.response.start":
            headers = [(k, v) for k, v in message.get("headers", []) if k.lower() != b"access-control-allow-origin"]
            headers += [
                (b"access-control-allow-origin", origin.encode("latin-1")),
                (b"access-control-expose-headers", b"ETag, Retry-After"),
                (b"vary", b"Origin"),
            ]
            message = {**message, "headers": headers}
        await send(message)

    return with_cors


class RateLimitMiddleware(HttpMiddleware):
    """Per key (its own limit) or per client IP (the anonymous limit); health is never limited.

    With a PostgreSQL catalogue the buckets are shared by every API process (``SharedBuckets``);
    should the catalogue fail, this process's own buckets keep limiting meanwhile. An address's
    failed key attempts are counted in the catalogue whichever it is (SQLite too).
    """

    def __init__(self, app: ASGIApp, services: Services, cache: KeyCache, limits: ClientLimits) -> None:
        super().__init__(app)
        self.services = services
        self.cache = cache
        self.limits = limits
        self.failed_keys = ClientLimits(services, everywhere=True)

    def handles(self, scope: Scope) -> bool:
        path = scope.get("path", "")
        return path.startswith("/api/") and path not in UNLIMITED_PATHS and scope.get("method") != "OPTIONS"

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        # A partner's page (the widget, /embed) names its key in the address: ?key=
        header_key = _header(scope, KEY_HEADER)
        key = header_key or _query_key(scope)
        host = scope["client"][0] if scope.get("client") else "unknown"
        if key:
            failures = f"failed-key:{host}"
            allowed_failures = self.services.settings.rate_limit_failed_keys
            # A key this process verified within the cache's second passes without a lookup;
            # any other is checked against the address's failures (shared by every API process).
            info = self.cache.fresh(key)
            if info is None:
                wait = await run_in_threadpool(self.failed_keys.waiting, failures, allowed_failures)
                if wait > 0:
                    await self._too_many_failures(send, allowed_failures, wait)
                    return
                try:
                    info = await run_in_threadpool(self._verify, key)
                except (CatalogueUnavailable, CatalogueFailed) as exc:
                    # Outside the app's exception handlers: answered here as they would, from the
                    # error table (503 and the cause's code and Retry-After; never a 500).
                    await send_known_error(send, exc, "the API key cannot be checked: ")
                    return
            if info is None:
                # Invalid keys cost a lookup each: an address that keeps trying is limited, in the
                # catalogue, so that N API processes do not give it N times the attempts.
                await run_in_threadpool(self.failed_keys.take, failures, allowed_failures)
                await send_known_error(send, InvalidApiKey(INVALID_KEY))
                return
            if header_key is None and info.role != "partner":
                # An address ends up in logs and histories: only a partner key (public by nature,
                # scoped to its presets and origins) may be given there.
                await send_known_error(
                    send, InvalidApiKey(f"only a partner key may be given as key=; send this one as {API_KEY_HEADER}")
                )
                return
            client, per_minute = f"key:{info.name}", info.rate_limit or self.services.settings.rate_limit_key
            # The routes hold the key's searches to its presets (request.state.api_key).
            scope.setdefault("state", {})["api_key"] = info
            send = _with_key_cors(scope, send, info)
        else:
            client, per_minute = f"ip:{host}", self.services.settings.rate_limit_anonymous
        if self.limits.shares:
            wait = await run_in_threadpool(self.limits.take, client, per_minute)
        else:
            wait = self.limits.take(client, per_minute)
        if wait > 0:
            hint = "" if key else "; partners can ask for an API key with a higher limit"
            message = f"too many requests: {per_minute} per minute allowed; retry after the given seconds{hint}"
            await send_known_error(send, RateLimited(message, wait))
            return
        await self.app(scope, receive, send)

    async def _too_many_failures(self, send: Send, per_minute: int, wait: float) -> None:
        await send_known_error(
            send,
            RateLimited(
                f"too many requests with an invalid {API_KEY_HEADER} from this address ({per_minute} per minute "
                "allowed); retry after the given seconds",
                wait,
            ),
        )

    def _verify(self, key: str) -> KeyInfo | None:
        return self.cache.verify(KeyStore(self.services.catalogue), key)


# Responses streamed as they are made (an export of every result): never buffered for an ETag.
STREAMED_PATHS = frozenset({"/api/v1/search/export"})


class ETagMiddleware(HttpMiddleware):
    """A weak ETag on successful GET responses under /api/, and 304 when the client has it."""

    def handles(self, scope: Scope) -> bool:
        path = scope.get("path", "")
        return scope.get("method") == "GET" and path.startswith("/api/") and path not in STREAMED_PATHS

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        start: Message | None = None
        chunks: list[bytes] = []

        async def buffer(message: Message) -> None:
            nonlocal start
            if message["type"] == "http.response.start":
                start = message
                if message["status"] != 200:
                    await send(message)
                return
            if start is None or start["status"] != 200:
                await send(message)
                return
            chunks.append(message.get("body", b""))
            if message.get("more_body"):
                return
            body = b"".join(chunks)
            # took_ms differs on every call; the ETag must change only when the content does.
            tag = 'W/"' + hashlib.sha256(VOLATILE.sub(b"", body)).hexdigest()[:32] + '"'
            headers = [(k, v) for k, v in start["headers"] if k.lower() not in (b"etag", b"cache-control")]
            private = _header(scope, KEY_HEADER) is not None
            headers += [
                (b"etag", tag.encode()),
                (b"cache-control", b"private, no-cache" if private else b"public, max-age=30"),
            ]
            wanted = [t.strip() for t in (_header(scope, b"if-none-match") or "").split(",")]
            if tag in wanted:
                kept = [(k, v) for k, v in headers if k.lower() not in (b"content-length", b"content-type")]
                await send({"type": "http.response.start", "status": 304, "headers": kept})
                await send({"type": "http.response.body", "body": b""})
                return
            await send({**start, "headers": headers})
            await send({"type": "http.response.body", "body": body})

        await self.app(scope, receive, buffer)
