"""LibreTranslate's endpoints, so translators' own tools reach our memory and glossary unchanged.

CAT tools, Weblate's LibreTranslate machine-translation backend and LibreTranslate's own clients
(``libretranslatepy``) speak LibreTranslate's small API: ``POST /translate``, ``POST /detect``,
``GET /languages`` under a base URL the user types in. Mounted under ``/libretranslate``, a tool
pointed at ``https://host/libretranslate`` gets, for each text:

1. a curator's reviewed translation when every sentence of it has one (the translation memory),
   even for a language pair no installed model reaches (a TMX of Spanish translations serves
   before any en→es model is installed);
2. else the machine's, through exactly the worker's path (``translate.translator``): memory of
   earlier answers, glossary terms locked with placeholders, the sanity gate,

in LibreTranslate's shapes (``translatedText``, ``detectedLanguage``), plus a ``provenance`` field
those clients ignore: ``reviewed``, ``machine``, ``mixed`` (some sentences reviewed),
``unchanged`` (nothing to translate) or ``untranslated`` (the source text is returned as it is,
with the reason: the gate refused the machine's output, a curator rejected it, the language was
not recognised, no model reaches the pair and the memory lacks a sentence). One text failing
never fails the others; a pair with no model for which the memory answers none of the texts is
LibreTranslate's 400 naming the missing model.

Requests are JSON (Weblate, most tools) or forms (``libretranslatepy``, the LibreTranslate web UI),
read up to a size limit before anything else. ``translate`` and ``detect`` need an API key with
role ``translator`` (``api_key`` in the body as LibreTranslate clients send it, or the
``X-API-Key`` header) and count against the key's rate limit, like every keyed request.
``languages`` is public, limited per address. Errors are LibreTranslate's: ``{"error": message}``
with its status codes (400 bad request or missing key, 403 invalid key, 429 slow down).
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData

from analyzers.detect import Detection
from record_catalogue.codes import SegmentKind, TextStatus, TranslatedKind
from record_catalogue.db import CatalogueBusy, CatalogueFailed, CatalogueUnavailable, database_faults, one_line
from record_catalogue.errors import ChmSearchError
from record_catalogue.keys import KeyInfo, KeyStore
from record_catalogue.languages import language_label
from search_api.auth import API_KEY_HEADER, KeyCache
from search_api.dependencies import ServicesDep
from search_api.limits import ClientLimits, RateLimiter
from search_api.services import Services
from translate.engines import TranslationError
from translate.status import overview
from translate.translator import TextRequest, TextResult

PREFIX = "/libretranslate"
ROLE = "translator"
FORMATS = ("text", "html")
SHORT_TEXT = 40  # LibreTranslate's rule too: shorter texts are detected with the whole batch
UNDETERMINED = "und"
BODY_OVERHEAD = 64 * 1024
BYTES_PER_CHAR = 6  # a JSON-escaped character (\\uXXXX) at worst, so a body within limits is read whole
BYTES_PER_TEXT = 64  # quotes, commas, a form field's name

router = APIRouter(tags=["LibreTranslate-compatible"])
# One translation at a time per API process: the models are shared and CPU-bound; the others wait.
_translating = threading.Lock()


class LtError(ChmSearchError):
    """An answer in LibreTranslate's error shape."""

    def __init__(self, status: int, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = self.http_status = status
        self.message = message
        self.headers = headers


def _error(exc: LtError) -> JSONResponse:
    return JSONResponse({"error": exc.message}, status_code=exc.status, headers=exc.headers)


@dataclass(frozen=True)
class Item:
    """One text of a request: what to translate and from which language."""

    text: str
    source: str
    detected: Detection | None = None


# -- reading a request ---------------------------------------------------------------------------
def _body_limit(services: Services) -> int:
    settings = services.settings
    return (
        settings.translate_char_limit * BYTES_PER_CHAR + settings.translate_batch_limit * BYTES_PER_TEXT + BODY_OVERHEAD
    )


async def _read_body(request: Request, limit: int) -> bytes:
    """The body, refused past ``limit`` bytes before it is all read (a declared length is checked first)."""
    declared = request.headers.get("content-length")
    too_big = f"Invalid request: the body exceeds {limit} bytes; send fewer or shorter texts"
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise LtError(413, too_big)
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise LtError(413, too_big)
        chunks.append(chunk)
    body = b"".join(chunks)
    request._body = body  # Starlette's cache of the body: the form parser reads it from there
    return body


async def _fields(request: Request, services: Services) -> dict[str, Any]:
    """The request's parameters from a JSON object or a form (urlencoded or multipart)."""
    body = await _read_body(request, _body_limit(services))
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type == "application/json" or (not content_type and body.lstrip()[:1] == b"{"):
        try:
            parsed = json.loads(body or b"null")
        except (ValueError, UnicodeDecodeError):
            raise LtError(400, "Invalid JSON format") from None
        if not isinstance(parsed, dict):
            raise LtError(400, 'Invalid JSON format: send an object such as {"q": ..., "source": ...}')
        return parsed
    if content_type in ("", "application/x-www-form-urlencoded", "multipart/form-data"):
        if not body:
            return {}
        try:
            form: FormData = await request.form(max_files=0, max_fields=50, max_part_size=len(body) + 1)
        except Exception as exc:  # python-multipart's and Starlette's parse errors have no common base
            raise LtError(400, f"Invalid request: the form could not be read ({one_line(exc)})") from None
        fields: dict[str, Any] = {}
        for name, value in form.multi_items():
            if isinstance(value, str):
                # LibreTranslate normalises a form's line endings (so limits count the same)
                fields.setdefault(name, "\n".join(value.splitlines()) if name == "q" else value)
        return fields
    raise LtError(
        400,
        f"Invalid request: content type {content_type!r}; send JSON or a form (urlencoded or multipart)",
    )


def _text_param(fields: dict[str, Any], name: str) -> str:
    value = fields.get(name)
    if value is None or value == "":
        raise LtError(400, f"Invalid request: missing {name} parameter")
    if not isinstance(value, str):
        raise LtError(400, f"Invalid request: {name} must be a string")
    return value.strip()


def _texts(fields: dict[str, Any], services: Services) -> tuple[list[str], bool]:
    """``q`` as a list, whether it was one, checked against the batch and character limits."""
    q = fields.get("q")
    if q is None or q == "" or q == []:
        raise LtError(400, "Invalid request: missing q parameter")
    batch = isinstance(q, list)
    texts = q if batch else [q]
    if not all(isinstance(text, str) for text in texts):
        raise LtError(400, "Invalid request: q must be a text or a list of texts")
    settings = services.settings
    if len(texts) > settings.translate_batch_limit:
        raise LtError(
            400,
            f"Invalid request: request ({len(texts)} texts) exceeds text limit "
            f"({settings.translate_batch_limit} texts); send them in several requests",
        )
    chars = sum(len(text) for text in texts)
    if chars > settings.translate_char_limit:
        raise LtError(
            400,
            f"Invalid request: request ({chars} characters) exceeds text limit "
            f"({settings.translate_char_limit} characters)",
        )
    return texts, batch


def _language(code: str, services: Services, *, auto: bool = False) -> str:
    if auto and code == "auto":
        return code
    if code not in services.settings.languages:
        known = ", ".join(["auto", *services.settings.languages] if auto else services.settings.languages)
        raise LtError(400, f"{code} is not supported (languages: {known})")
    return code


# -- who is calling ------------------------------------------------------------------------------
def _caller(request: Request, fields: dict[str, Any], services: Services) -> KeyInfo:
    """The translator's key, from the body (LibreTranslate clients) or the header; limited like any key."""
    given = fields.get("api_key") or request.headers.get(API_KEY_HEADER)
    if not given:
        raise LtError(
            400,
            f"Please contact the server operator to get an API key (role {ROLE!r}); send it as api_key",
        )
    if not isinstance(given, str) or len(given) > 200:
        raise LtError(403, "Invalid API key")
    cache: KeyCache = request.app.state.key_cache
    info = cache.verify(KeyStore(services.catalogue), given)
    if info is None:
        raise LtError(403, "Invalid API key (unknown or revoked)")
    if not info.has_role(ROLE):
        raise LtError(
            403, f"Invalid API key for translation: the key {info.name!r} has role {info.role!r}, not {ROLE!r}"
        )
    _take(request, f"key:{info.name}", info.rate_limit or services.settings.rate_limit_key, " for this key")
    return info


def _anonymous_limit(request: Request, services: Services) -> None:
    host = request.client.host if request.client else "unknown"
    _take(request, f"ip:{host}", services.settings.rate_limit_anonymous, "")


def _take(request: Request, bucket: str, per_minute: int, whose: str) -> None:
    """Count the request against ``bucket``; LibreTranslate's 429 (``whose`` says for whom) when it is spent."""
    limits: ClientLimits = request.app.state.limits
    wait = limits.take(bucket, per_minute)
    if wait > 0:
        raise LtError(
            429,
            f"Slowdown: too many requests: {per_minute} per minute allowed{whose}; retry after the given seconds",
            {"Retry-After": RateLimiter.retry_after(wait)},
        )


def _catalogue_failure(exc: CatalogueUnavailable | CatalogueFailed) -> LtError:
    """LibreTranslate's error body, with the status and ``Retry-After`` of the error table."""
    retry = {"Retry-After": str(exc.outcome.retry_after)} if exc.outcome.retry_after is not None else None
    if isinstance(exc, CatalogueBusy):
        return LtError(exc.api_status, str(exc), retry)
    message = exc.fault if isinstance(exc, CatalogueFailed) else str(exc)
    return LtError(exc.api_status, f"the catalogue is unavailable: {message}; try again", retry)


# -- answering -----------------------------------------------------------------------------------
def _detected(detection: Detection) -> dict[str, Any]:
    """LibreTranslate's detection: a confidence from 0 to 100; ``und`` when the text did not tell."""
    if detection.language == UNDETERMINED:
        return {"confidence": 0.0, "language": UNDETERMINED}
    return {"confidence": round(detection.confidence * 100, 1), "language": detection.language}


def _items(texts: list[str], source: str, services: Services) -> list[Item]:
    if source != "auto":
        return [Item(text, source) for text in texts]
    detector = services.detector
    overall: Detection | None = None
    items = []
    for text in texts:
        if len(text) > SHORT_TEXT:
            found = detector.detect(text)
        else:
            if overall is None:
                overall = detector.detect("\n".join(texts))
            found = overall
        items.append(Item(text, found.language, found))
    return items


def _provenance(result: TextResult | None, why: str | None) -> dict[str, Any]:
    """Where an answer came from, for the ``provenance`` field."""
    if result is None or result.status != TextStatus.CURRENT:
        reason = why or (result.reason if result is not None else None) or "not translated"
        return {"kind": TranslatedKind.UNTRANSLATED, "reason": reason}
    kinds = {part.kind for part in result.parts}
    if not result.parts:
        kind = TranslatedKind.UNCHANGED
    elif kinds == {SegmentKind.REVIEWED}:
        kind = TranslatedKind.REVIEWED
    elif SegmentKind.REVIEWED in kinds:
        kind = TranslatedKind.MIXED
    else:
        kind = TranslatedKind.MACHINE
    described: dict[str, Any] = {"kind": kind}
    if kind in (TranslatedKind.REVIEWED, TranslatedKind.MIXED):
        described["reviewedBy"] = sorted(result.reviewed_by) if result.reviewed_by else None
        described["sentences"] = {
            "reviewed": sum(1 for part in result.parts if part.kind == SegmentKind.REVIEWED),
            "machine": sum(1 for part in result.parts if part.kind != SegmentKind.REVIEWED),
        }
    if kind in (TranslatedKind.MACHINE, TranslatedKind.MIXED):
        described.update(engine=result.engine, model=result.model, pivot=result.pivot)
    return described


Answer = tuple[str, dict[str, Any]]


def _translate_items(items: list[Item], target: str, html: bool, services: Services) -> list[Answer]:
    """Each item's answer and provenance; an item that cannot be translated keeps its text."""
    requests: list[TextRequest] = []
    positions: list[int] = []
    answers: list[Answer | None] = [None] * len(items)
    for index, item in enumerate(items):
        if item.source == UNDETERMINED:
            reason = "its language could not be detected; send source"
            answers[index] = (item.text, _provenance(None, reason))
            continue
        requests.append(TextRequest(item.source, target, item.text, html))
        positions.append(index)
    if requests:
        with _translating:
            results = services.translator.translate(requests)
        for index, result in zip(positions, results, strict=True):
            item = items[index]
            text = result.text if result.status == TextStatus.CURRENT else item.text
            answers[index] = (text, _provenance(result, None))
    return [answer for answer in answers if answer is not None]


def _no_model(source: str, target: str, services: Services) -> str | None:
    """Why no model reaches a named pair (None when one does): the reviewed memory may still answer."""
    if source == target:
        return None
    routes = services.translator.engine.routes([(source, target)])
    if routes.find(source, target) is not None:
        return None
    return routes.why_not(source, target)


def _unavailable(source: str, target: str, why: str, texts: int) -> LtError:
    """LibreTranslate's 400 for a pair it cannot do, naming the missing model and what would fix it."""
    which = "the text" if texts == 1 else "any of the texts"
    return LtError(
        400,
        f"{language_label(target, 'en')} ({target}) is not available as a target language from "
        f"{language_label(source, 'en')} ({source}): {why}; the translation memory has no reviewed "
        f"translation of every sentence of {which}",
    )


def _translate(request: Request, fields: dict[str, Any], services: Services) -> dict[str, Any]:
    _caller(request, fields, services)
    texts, batch = _texts(fields, services)
    source = _language(_text_param(fields, "source"), services, auto=True)
    target = _language(_text_param(fields, "target"), services)
    text_format = fields.get("format") or "text"
    if text_format not in FORMATS:
        raise LtError(400, f"{text_format} format is not supported (formats: {', '.join(FORMATS)})")
    missing_model = _no_model(source, target, services) if source != "auto" else None
    items = _items(texts, source, services)
    try:
        answers = _translate_items(items, target, text_format == "html", services)
    except TranslationError as exc:
        raise LtError(500, f"Cannot translate text: {exc}") from None
    if missing_model is not None and all(p.get("kind") == TranslatedKind.UNTRANSLATED for _t, p in answers):
        # Nothing the memory could answer either: the pair is unavailable, as LibreTranslate says it.
        raise _unavailable(source, target, missing_model, len(answers))
    body: dict[str, Any]
    if batch:
        body = {"translatedText": [text for text, _p in answers], "provenance": [p for _t, p in answers]}
        if source == "auto":
            body["detectedLanguage"] = [_detected(item.detected) for item in items if item.detected]
    else:
        body = {"translatedText": answers[0][0], "provenance": answers[0][1]}
        if source == "auto" and items[0].detected is not None:
            body["detectedLanguage"] = _detected(items[0].detected)
    alternatives = fields.get("alternatives")
    if isinstance(alternatives, int | str) and str(alternatives).isdigit() and int(alternatives) > 0:
        body["alternatives"] = [[] for _ in answers] if batch else []  # one answer per text: the best we have
    return body


def _detect(request: Request, fields: dict[str, Any], services: Services) -> list[dict[str, Any]]:
    _caller(request, fields, services)
    q = fields.get("q")
    if q is None or q == "" or q == []:
        raise LtError(400, "Invalid request: missing q parameter")
    texts = q if isinstance(q, list) else [q]
    if not all(isinstance(text, str) for text in texts):
        raise LtError(400, "Invalid request: q must be a text or a list of texts")
    limit = services.settings.translate_char_limit
    chars = sum(len(text) for text in texts)
    if chars > limit:
        raise LtError(400, f"Invalid request: request ({chars} characters) exceeds text limit ({limit} characters)")
    return [_detected(services.detector.detect("\n".join(texts)))]


async def _answer(request: Request, services: Services, work: Any) -> JSONResponse:
    try:
        fields = await _fields(request, services)
        with database_faults():  # the translation memory's reads: the catalogue's errors, as ours
            return JSONResponse(await run_in_threadpool(work, request, fields, services))
    except LtError as exc:
        return _error(exc)
    except (CatalogueUnavailable, CatalogueFailed) as exc:
        return _error(_catalogue_failure(exc))


@router.post(
    "/translate",
    summary="Translate text (LibreTranslate-compatible)",
    responses={400: {"description": "Invalid request"}, 403: {"description": "Invalid API key"}, 429: {}},
)
async def translate(request: Request, services: ServicesDep) -> JSONResponse:
    """``q`` (a text or a list), ``source`` (a language or ``auto``), ``target``, ``format``
    (``text``/``html``), ``api_key``: reviewed translations first, else the machine's through the
    glossary and the gate; ``provenance`` says which."""
    return await _answer(request, services, _translate)


@router.post("/detect", summary="Detect the language of a text (LibreTranslate-compatible)")
async def detect(request: Request, services: ServicesDep) -> JSONResponse:
    """``q``, ``api_key`` → ``[{"confidence": 0-100, "language": code}]`` (``und`` when unsure)."""
    return await _answer(request, services, _detect)


@router.get("/languages", summary="Languages and their targets (LibreTranslate-compatible)")
def languages(request: Request, services: ServicesDep) -> JSONResponse:
    """Each configured language with the targets the installed models reach (directly or through English)."""
    try:
        _anonymous_limit(request, services)
    except LtError as exc:
        return _error(exc)
    except (CatalogueUnavailable, CatalogueFailed) as exc:
        return _error(_catalogue_failure(exc))
    codes = list(services.settings.languages)
    reach = overview(codes).reachable
    return JSONResponse(
        [
            {
                "code": code,
                "name": language_label(code, "en"),
                "targets": sorted(r.target for r in reach if r.source == code),
            }
            for code in codes
        ]
    )
