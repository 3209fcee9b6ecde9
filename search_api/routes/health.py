"""``GET /api/v1/health``: is every part up? 200 when all are, 503 naming the part that is not."""

from __future__ import annotations

import contextlib
from typing import Any, Literal

from fastapi import APIRouter, Depends
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy.exc import SQLAlchemyError

from record_catalogue.db import CatalogueUnavailable
from search_api.services import Services, get_services
from search_index.base import IndexUnavailable
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
def health(services: Services = Depends(get_services)) -> JSONResponse:
    """Check the search engine and the catalogue; 503 when either is down."""
    try:
        engine_health = services.backend.health()
        engine_status: Literal["ok", "degraded", "down"] = (
            ("degraded" if engine_health.degraded else "ok") if engine_health.ok else "down"
        )
        engine = PartHealth(status=engine_status, detail=engine_health.detail)
        engine_name = engine_health.engine
    except IndexUnavailable as exc:
        engine = PartHealth(status="down", detail=str(exc))
        engine_name = services.settings.es_flavour if services.settings.es_url else "tantivy"
    try:
        ok, detail = services.catalogue.health()
        catalogue = PartHealth(status="ok" if ok else "down", detail=detail)
    except CatalogueUnavailable as exc:
        catalogue = PartHealth(status="down", detail=str(exc))
    translation_ok, translation_detail = overview(services.settings.languages).health
    backlog = None
    if catalogue.status == "ok":
        with contextlib.suppress(SQLAlchemyError, CatalogueUnavailable):
            found = cached_backlog(services.catalogue.sessions, services.catalogue.dsn, services.settings.languages)
            backlog = found.as_dict()
            translation_detail += f"; backlog: {found.summary()}"
    translation = PartHealth(status="ok" if translation_ok else "down", detail=translation_detail)
    # Search needs the engine and the catalogue: without either, take this API out of rotation
    # (503). A broken translation model, or a cluster that lost a node but still answers,
    # degrades what readers get, but search still answers.
    healthy = engine.status != "down" and catalogue.status == "ok"
    body = HealthResponse(
        status="ok" if healthy and translation_ok and engine.status == "ok" else "degraded",
        search_engine=engine,
        catalogue=catalogue,
        translation=translation,
        engine=engine_name,
        translation_backlog=backlog,
    )
    return JSONResponse(body.model_dump(), status_code=200 if healthy else 503)
