"""Browsers get an error page, API clients the JSON error body.

Every error the service gives is made as the API's JSON body (``search_api.errors``,
``search_api.boundary``, the middleware's own refusals), whoever asked. A person who follows a
broken link or mistypes an address should not read raw JSON: this middleware, around all of them,
turns such a response into a small HTML page in the reader's language when the request is a
browser's page request — a GET or HEAD outside the machine interfaces (``/api/``, the
LibreTranslate endpoints, OAI-PMH) whose ``Accept`` prefers ``text/html`` to JSON. The status,
``Retry-After``, the request id and every other header stay as they were; the API's own message
is kept on the page (in English, marked so) since it names what was wrong.
"""

from __future__ import annotations

import html
import json
from collections.abc import Mapping
from urllib.parse import parse_qs

from record_catalogue.languages import UN_LANGUAGES
from record_catalogue.ui_strings import load_strings
from search_api.asgi import HttpMiddleware, Message, Receive, Scope, Send, header
from search_api.security_headers import STRICT_CSP

MACHINE_PREFIXES = ("/api/", "/libretranslate", "/oai")
MAX_ERROR_BODY = 64 * 1024  # an error body larger than this is not one of ours: passed on as it is
RTL_LANGUAGES = frozenset({"ar"})

# The page's words in the six languages: search_api/data/error_page.json (checked when read).
STRINGS = load_strings("search_api", "error_page")
KNOWN_STATUSES = frozenset({400, 404, 405, 413, 422, 429, 500, 503})


def _quality(accept: str, wanted: str) -> float:
    """The q value ``accept`` gives media type ``wanted`` (exact type, then ``type/*``, then ``*/*``)."""
    best: tuple[int, float] = (-1, 0.0)
    kind = wanted.split("/")[0]
    for part in accept.split(","):
        fields = [field.strip() for field in part.split(";")]
        media = fields[0].lower()
        rank = 2 if media == wanted else 1 if media == f"{kind}/*" else 0 if media == "*/*" else -1
        if rank < 0:
            continue
        q = 1.0
        for field in fields[1:]:
            name, _, value = field.partition("=")
            if name.strip().lower() == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        if rank > best[0]:
            best = (rank, q)
    return best[1]


def wants_html(scope: Scope) -> bool:
    """Whether the request is a browser's page request (see the module's docstring)."""
    if scope.get("method") not in ("GET", "HEAD"):
        return False
    path = str(scope.get("path", ""))
    if path.startswith(MACHINE_PREFIXES):
        return False
    accept = header(scope, b"accept") or ""
    if "text/html" not in accept.lower():
        return False  # */* alone (curl, scripts) or JSON: the API's answer
    return _quality(accept, "text/html") > 0 and _quality(accept, "text/html") >= _quality(accept, "application/json")


def reader_language(scope: Scope) -> str:
    """``lang=`` when it names one of the six, else the first of them ``Accept-Language`` names, else English."""
    query = parse_qs(bytes(scope.get("query_string", b"")).decode("latin-1"))
    for value in query.get("lang", []):
        if value in UN_LANGUAGES:
            return value
    for part in (header(scope, b"accept-language") or "").split(","):
        code = part.split(";")[0].strip().lower().split("-")[0]
        if code in UN_LANGUAGES:
            return code
    return "en"


def render(status: int, error: Mapping[str, object], lang: str, root: str, retry_after: str | None) -> str:
    """The error page for ``status`` and the API's ``error`` body, in ``lang``."""
    s = STRINGS[lang]
    key = str(status) if status in KNOWN_STATUSES else "error"
    e = html.escape
    parts = [f"<h1>{e(s[key])}</h1>", f"<p>{e(s[f'{key}_text'])}</p>"]
    if retry_after and retry_after.isdigit():
        parts.append(f"<p>{e(s['retry'].format(seconds=retry_after))}</p>")
    message = error.get("message")
    if isinstance(message, str) and message and status not in (404, 500):
        parts.append(f'<p>{e(s["detail"])} <span lang="en" dir="ltr">{e(message)}</span></p>')
    request_id = error.get("request_id")
    if isinstance(request_id, str) and request_id and status >= 500:
        parts.append(f'<p>{e(s["reference"])} <code dir="ltr">{e(request_id)}</code></p>')
    parts.append(f'<p><a href="{e(root)}/?lang={lang}">{e(s["back"])}</a></p>')
    body = "\n      ".join(parts)
    direction = "rtl" if lang in RTL_LANGUAGES else "ltr"
    return f"""<!doctype html>
<html lang="{lang}" dir="{direction}">
  <head>
    <meta charset="utf-8" />
    <meta name="viewport" content="width=device-width, initial-scale=1" />
    <meta name="robots" content="noindex" />
    <title>{e(s[key])} · {e(s["app"])}</title>
    <link rel="icon" href="{e(root)}/static/icon.svg" type="image/svg+xml" />
    <link rel="stylesheet" href="{e(root)}/static/page.css" />
    <link rel="stylesheet" href="{e(root)}/static/record.css" />
  </head>
  <body>
    <header class="site-header">
      <p class="site-title"><a href="{e(root)}/?lang={lang}">{e(s["app"])}</a></p>
    </header>
    <main id="main" class="record-page error-page" data-status="{status}">
      {body}
    </main>
  </body>
</html>
"""


class HtmlErrorPages(HttpMiddleware):
    """Turns the API's JSON error into an HTML page for a browser's page request."""

    def handles(self, scope: Scope) -> bool:
        return wants_html(scope)

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        held: Message | None = None
        chunks: list[bytes] = []
        size = 0

        async def watched(message: Message) -> None:
            nonlocal held, size
            if message["type"] == "http.response.start":
                headers = {bytes(k).lower(): bytes(v) for k, v in message.get("headers", [])}
                is_json_error = message["status"] >= 400 and headers.get(b"content-type", b"").startswith(
                    b"application/json"
                )
                if is_json_error:
                    held = message
                    return
                await send(message)
                return
            if message["type"] != "http.response.body" or held is None:
                await send(message)
                return
            body = bytes(message.get("body", b""))
            size += len(body)
            chunks.append(body)
            if size > MAX_ERROR_BODY:  # not an error body of ours: on as it came
                await send(held)
                more = bool(message.get("more_body", False))
                await send({"type": "http.response.body", "body": b"".join(chunks), "more_body": more})
                held = None
                chunks.clear()
                return
            if message.get("more_body", False):
                return
            await self._answer(scope, send, held, b"".join(chunks))
            held = None
            chunks.clear()

        await self.app(scope, receive, watched)

    @staticmethod
    async def _answer(scope: Scope, send: Send, start: Message, body: bytes) -> None:
        try:
            parsed = json.loads(body) if body else {}
        except ValueError:
            parsed = {}
        error = parsed.get("error") if isinstance(parsed, dict) else None
        status = int(start["status"])
        headers = [(bytes(k), bytes(v)) for k, v in start.get("headers", [])]
        retry_after = next((v.decode("latin-1") for k, v in headers if k.lower() == b"retry-after"), None)
        page = render(
            status,
            error if isinstance(error, dict) else {},
            reader_language(scope),
            str(scope.get("root_path", "")).rstrip("/"),
            retry_after,
        ).encode()
        dropped = {b"content-type", b"content-length", b"content-security-policy", b"x-frame-options"}
        kept = [(k, v) for k, v in headers if k.lower() not in dropped]
        kept += [
            (b"content-type", b"text/html; charset=utf-8"),
            (b"content-length", str(len(page)).encode()),
            (b"content-security-policy", STRICT_CSP),
            (b"x-frame-options", b"DENY"),
            (b"vary", b"Accept"),
        ]
        await send({**start, "headers": kept})
        await send({"type": "http.response.body", "body": page})
