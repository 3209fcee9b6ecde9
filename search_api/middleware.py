"""Cross-cutting HTTP behaviour: rate limits (429 + Retry-After) and ETags on GET responses."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Awaitable, Callable

from fastapi import FastAPI, Request, Response
from starlette.concurrency import run_in_threadpool
from starlette.middleware.base import BaseHTTPMiddleware

from record_catalogue.keys import KeyStore
from search_api.auth import API_KEY_HEADER, KeyCache
from search_api.errors import error_response
from search_api.limits import RateLimiter
from search_api.services import Services

Next = Callable[[Request], Awaitable[Response]]
UNLIMITED_PATHS = ("/api/v1/health",)
VOLATILE = re.compile(rb'"took_ms":[0-9.eE+-]+,?')


def install_middleware(app: FastAPI, services: Services) -> None:
    """Rate limits first (cheap refusals), then ETags on what gets through."""
    limiter = RateLimiter()
    cache: KeyCache = app.state.key_cache

    async def rate_limit(request: Request, call_next: Next) -> Response:
        path = request.url.path
        if not path.startswith("/api/") or path in UNLIMITED_PATHS or request.method == "OPTIONS":
            return await call_next(request)
        key = request.headers.get(API_KEY_HEADER)
        if key:
            info = await run_in_threadpool(cache.verify, KeyStore(services.catalogue), key)
            if info is None:
                return error_response(
                    401, "invalid_api_key", f"the {API_KEY_HEADER} given is not a valid key (unknown or revoked)"
                )
            client, per_minute = f"key:{info.name}", info.rate_limit or services.settings.rate_limit_key
        else:
            host = request.client.host if request.client else "unknown"
            client, per_minute = f"ip:{host}", services.settings.rate_limit_anonymous
        wait = limiter.take(client, per_minute)
        if wait > 0:
            return error_response(
                429,
                "rate_limited",
                f"too many requests: {per_minute} per minute allowed; retry after the given seconds"
                + ("" if key else "; partners can ask for an API key with a higher limit"),
                headers={"Retry-After": limiter.retry_after(wait)},
            )
        return await call_next(request)

    async def etag(request: Request, call_next: Next) -> Response:
        response = await call_next(request)
        if request.method != "GET" or response.status_code != 200 or not request.url.path.startswith("/api/"):
            return response
        body = b"".join([chunk async for chunk in response.body_iterator])  # type: ignore[attr-defined]
        # took_ms differs on every call; the ETag must change only when the content does.
        tag = 'W/"' + hashlib.sha256(VOLATILE.sub(b"", body)).hexdigest()[:32] + '"'
        headers = dict(response.headers)
        headers.pop("content-length", None)
        headers["ETag"] = tag
        headers.setdefault(
            "Cache-Control", "private, no-cache" if API_KEY_HEADER.lower() in request.headers else "public, max-age=30"
        )
        if tag in [t.strip() for t in request.headers.get("if-none-match", "").split(",")]:
            return Response(status_code=304, headers={k: v for k, v in headers.items() if k != "content-type"})
        return Response(content=body, status_code=200, headers=headers, media_type=response.media_type)

    # Added last runs first: the limiter sees the request before the ETag layer.
    app.add_middleware(BaseHTTPMiddleware, dispatch=etag)
    app.add_middleware(BaseHTTPMiddleware, dispatch=rate_limit)
