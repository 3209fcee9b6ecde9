"""``POST /api/v1/detect``: the language of each text, among the languages the system knows."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from search_api.dependencies import ServicesDep
from search_api.errors import ApiError

router = APIRouter(tags=["languages"])


class DetectRequest(BaseModel):
    texts: list[str] = Field(
        min_length=1,
        description="At most CHM_MAX_DETECT_TEXTS texts (default 100) of CHM_MAX_DETECT_CHARS characters (10,000).",
    )


class DetectedLanguage(BaseModel):
    language: str = Field(description="ISO 639-1 code, or 'und' when unsure.")
    confidence: float


@router.post("/detect", response_model=list[DetectedLanguage])
async def detect(request: DetectRequest, services: ServicesDep) -> list[DetectedLanguage]:
    """Detect the language of each text (anonymous callers too: the number and size are limited)."""
    limits = services.settings
    if len(request.texts) > limits.max_detect_texts:
        raise ApiError(
            422, "invalid_parameter", f"texts: {len(request.texts)} texts; at most {limits.max_detect_texts} at once"
        )
    for position, text in enumerate(request.texts):
        if len(text) > limits.max_detect_chars:
            raise ApiError(
                422,
                "invalid_parameter",
                f"texts.{position}: {len(text)} characters; at most {limits.max_detect_chars}",
            )
        try:
            text.encode("utf-8")
        except UnicodeEncodeError as exc:
            raise ApiError(
                422, "invalid_parameter", f"texts.{position}: not valid Unicode (a lone surrogate at {exc.start})"
            ) from None
    detections = await run_in_threadpool(services.detector.detect_many, request.texts)
    return [DetectedLanguage(language=d.language, confidence=d.confidence) for d in detections]
