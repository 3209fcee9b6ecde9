"""``GET /api/v1/suggest``: title completions as the reader types."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from record_catalogue.codes import LanguageCode
from search_api.dependencies import ServicesDep

router = APIRouter(tags=["search"])


class Suggestions(BaseModel):
    suggestions: list[str]


@router.get(
    "/suggest",
    response_model=Suggestions,
    responses={
        200: {
            "description": "`format=json`: an object; `format=opensearch`: the OpenSearch suggestions array.",
            "content": {
                "application/x-suggestions+json": {
                    "schema": {
                        "description": "[what was typed, [completions]]",
                        "type": "array",
                        "items": {"anyOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}}]},
                        "minItems": 2,
                        "maxItems": 2,
                    }
                }
            },
        }
    },
)
def suggest(
    services: ServicesDep,
    q: Annotated[str, Query(max_length=200, description="What the reader has typed so far.")] = "",
    lang: LanguageCode = LanguageCode.EN,
    size: Annotated[int, Query(ge=1, le=20)] = 8,
    format: Annotated[
        Literal["json", "opensearch"],
        Query(description="`opensearch`: the `[q, [completions]]` array browsers expect from /opensearch.xml."),
    ] = "json",
) -> Suggestions | JSONResponse:
    """Titles in ``lang`` that complete ``q`` (the last word may be partial)."""
    found = services.backend.suggest(q, lang, size) if q.strip() else []
    if format == "opensearch":
        return JSONResponse([q, found], media_type="application/x-suggestions+json")
    return Suggestions(suggestions=found)
