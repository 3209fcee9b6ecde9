"""``GET /api/v1/languages``: the languages the system works in and the translation pairs installed."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel, Field

from record_catalogue.languages import language_label
from search_api.dependencies import ServicesDep
from translate.status import overview

router = APIRouter(tags=["languages"])


class Language(BaseModel):
    code: str = Field(description="ISO 639-1 code.")
    name: str = Field(description="The language's name in English.")
    native_name: str = Field(description="The language's name in itself.")


class InstalledPair(BaseModel):
    source: str = Field(serialization_alias="from")
    target: str = Field(serialization_alias="to")
    model: str
    version: str
    status: str = Field(description="`ok`, or `broken` with the problem.")
    problem: str | None = None


class ReachablePair(BaseModel):
    source: str = Field(serialization_alias="from")
    target: str = Field(serialization_alias="to")
    via: str | None = Field(description="The pivot language when no direct model is installed.")


class LanguagesResponse(BaseModel):
    languages: list[Language]
    pairs: list[InstalledPair] = Field(description="Installed translation models (direct pairs).")
    reachable: list[ReachablePair] = Field(
        description="Pairs of the languages above that machine translation can do, directly or through English."
    )


@router.get("/languages", response_model=LanguagesResponse, response_model_by_alias=True)
def languages(services: ServicesDep) -> LanguagesResponse:
    """The configured languages, the installed translation models, and the pairs they reach."""
    codes = list(services.settings.languages)
    found = overview(codes)
    return LanguagesResponse(
        languages=[Language(code=c, name=language_label(c, "en"), native_name=language_label(c, c)) for c in codes],
        pairs=[
            InstalledPair(
                source=p.source,
                target=p.target,
                model=p.model,
                version=p.version,
                status="broken" if p.problem else "ok",
                problem=p.problem,
            )
            for p in found.installed
        ],
        reachable=[ReachablePair(source=r.source, target=r.target, via=r.via) for r in found.reachable],
    )
