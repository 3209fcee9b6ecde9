"""The FastAPI application: API v1 under ``/api/v1``, OpenAPI at ``/docs``."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware

from record_catalogue.settings import Settings, get_settings
from search_api import openapi
from search_api.auth import KeyCache
from search_api.body_limits import BodyLimitMiddleware
from search_api.boundary import ErrorBoundary
from search_api.cursors import CursorSigner
from search_api.error_pages import HtmlErrorPages
from search_api.errors import install_error_handlers
from search_api.head_requests import HeadAsGet
from search_api.limits import ClientLimits
from search_api.middleware import ETagMiddleware, RateLimitMiddleware
from search_api.proxies import ProxyHeadersMiddleware
from search_api.request_log import RequestLog
from search_api.routes import (
    changes,
    detect,
    docs,
    events,
    export,
    health,
    languages,
    libretranslate,
    oai,
    pages,
    records,
    search,
    suggest,
    translations,
)
from search_api.search_shortcut import SearchShortcut
from search_api.security_headers import SecurityHeadersMiddleware
from search_api.services import Services

API_PREFIX = "/api/v1"


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the app for ``settings`` (the environment's when not given)."""
    settings = settings or get_settings()
    services = Services(settings)
    limits = ClientLimits(services)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        yield
        limits.close()
        services.close()

    app = FastAPI(
        title="chm-search",
        version="1.0.0",
        summary="Multilingual search across the CBD clearing-houses (CHM, ABS-CH, BCH).",
        lifespan=lifespan,
        # /docs and /redoc are ours (routes/docs.py): their assets come from the package, not a CDN.
        docs_url=None,
        redoc_url=None,
    )
    app.state.services = services
    app.state.key_cache = KeyCache()
    app.state.limits = limits
    app.state.cursor_signer = CursorSigner.for_settings(settings)
    # Added first runs innermost. From the outside in: CORS wraps everything (errors carry CORS
    # headers too); the boundary turns any exception into JSON (naming the request id); the
    # client address is settled (trusted proxies only) before anything counts per address; every
    # response gets its security headers; bodies are bounded before anyone reads them; the
    # limiter (and key check) refuses early; ETags are computed on what gets through; innermost,
    # a plain search is answered without FastAPI's per-request parameter resolution.
    app.add_middleware(SearchShortcut)
    app.add_middleware(ETagMiddleware)
    app.add_middleware(RateLimitMiddleware, services=services, cache=app.state.key_cache, limits=app.state.limits)
    app.add_middleware(BodyLimitMiddleware, settings=settings)
    app.add_middleware(SecurityHeadersMiddleware)
    app.add_middleware(ProxyHeadersMiddleware, trusted=settings.trusted_proxies)
    app.add_middleware(ErrorBoundary)
    # Around every error the app and its middleware give: a browser's page request gets HTML.
    app.add_middleware(HtmlErrorPages)
    app.add_middleware(
        CORSMiddleware,
        allow_origins=settings.cors_origins,
        allow_methods=["GET", "POST", "PUT", "DELETE", "OPTIONS"],
        allow_headers=["X-API-Key", "Content-Type", "If-None-Match"],
        expose_headers=["ETag", "Retry-After"],
    )
    # Outermost: a HEAD is routed as its GET everywhere (body dropped on the way out).
    app.add_middleware(HeadAsGet)
    # Outside everything: the request's id (header, error bodies, log records) and its access line.
    app.add_middleware(RequestLog)
    install_error_handlers(app)
    app.include_router(health.router, prefix=API_PREFIX)
    for module in (search, export, suggest, records, changes, detect, languages, translations, events):
        app.include_router(module.router, prefix=API_PREFIX)
    # LibreTranslate's endpoints for translators' tools, at a base URL of their own.
    app.include_router(libretranslate.router, prefix=libretranslate.PREFIX)
    app.include_router(pages.router)
    app.include_router(docs.router)
    app.include_router(oai.router)
    openapi.install(app)
    return app
