"""``POST /api/v1/detect``: the language of each text, among the languages the system knows."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from search_api.services import Services, get_services

router = APIRouter(tags=["languages"])
MAX_TEXTS = 1000
MAX_CHARS = 100_000


class DetectRequest(BaseModel):
    texts: list[Annotated[str, Field(max_length=MAX_CHARS)]] = Field(min_length=1, max_length=MAX_TEXTS)


class DetectedLanguage(BaseModel):
    language: str = Field(description="ISO 639-1 code, or 'und' when unsure.")
    confidence: float


@router.post("/detect", response_model=list[DetectedLanguage])
async def detect(
    request: DetectRequest, services: Annotated[Services, Depends(get_services)]
) -> list[DetectedLanguage]:
    """Detect the language of up to 1,000 texts at once."""
    detections = await run_in_threadpool(services.detector.detect_many, request.texts)
    return [DetectedLanguage(language=d.language, confidence=d.confidence) for d in detections]
