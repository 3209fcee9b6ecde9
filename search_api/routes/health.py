"""``GET /api/v1/health``: is every part up, and does the index hold what the catalogue does?

200 while search answers (``status`` ``degraded`` says what is short: a translation model, a
lost cluster node, records missing from the index); 503 naming the part that is down.
"""

from __future__ import annotations

import contextlib
from typing import Any, Literal

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from record_catalogue.db import CatalogueFailed, CatalogueUnavailable
from record_catalogue.store import Catalogue
from search_api.dependencies import ServicesDep
from search_api.health_check import check_health
from search_index.base import IndexUnavailable, SearchBackend
from translate.backlog import cached_backlog
from translate.status import overview

router = APIRouter(tags=["health"])


class PartHealth(BaseModel):
    status: Literal["ok", "degraded", "down"]
    detail: str


class HealthResponse(BaseModel):
    status: Literal["ok", "degraded"]
    search_engine: PartHealth
    catalogue: PartHealth
    translation: PartHealth
    engine: str
    translation_backlog: dict[str, Any] | None = None  # translate.backlog.BacklogStatus: per pair, rate, ETA


@router.get("/health", response_model=HealthResponse, responses={503: {"model": HealthResponse}})
def health(services: ServicesDep) -> JSONResponse:
    """Check the search engine, the catalogue and that the index holds every record; 503 when
    the engine or the catalogue is down."""
    engine_name = services.settings.es_flavour if services.settings.es_url else "tantivy"
    backend: SearchBackend | str
    try:
        backend = services.backend
    except IndexUnavailable as exc:
        backend = str(exc)
    catalogue_store: Catalogue | str
    try:
        catalogue_store = services.catalogue
    except CatalogueUnavailable as exc:
        catalogue_store = str(exc)
    stores = check_health(catalogue_store, backend, engine_name)
    engine = PartHealth(status=stores.search_engine.status, detail=stores.search_engine.detail)
    catalogue = PartHealth(status=stores.catalogue.status, detail=stores.catalogue.detail)
    translation_ok, translation_detail = overview(services.settings.languages).health
    backlog = None
    if catalogue.status == "ok":
        with contextlib.suppress(CatalogueUnavailable, CatalogueFailed):
            found = cached_backlog(services.catalogue.sessions, services.catalogue.dsn, services.settings.languages)
            backlog = found.as_dict()
            translation_detail += f"; backlog: {found.summary()}"
    translation = PartHealth(status="ok" if translation_ok else "down", detail=translation_detail)
    # Search needs the engine and the catalogue: without either, take this API out of rotation
    # (503). A broken translation model, a cluster that lost a node but still answers, or an index
    # short of records degrades what readers get, but search still answers.
    healthy = engine.status != "down" and catalogue.status == "ok"
    body = HealthResponse(
        status="ok" if healthy and translation_ok and engine.status == "ok" else "degraded",
        search_engine=engine,
        catalogue=catalogue,
        translation=translation,
        engine=stores.engine,
        translation_backlog=backlog,
    )
    return JSONResponse(body.model_dump(), status_code=200 if healthy else 503)
