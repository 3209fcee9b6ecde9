"""The web face of the API: the search page (``/``), the curator page (``/curate``), the widget
(``/widget.js``), the iframe page (``/embed``), their static files (``/static/...``) and the
OpenSearch description (``/opensearch.xml``).

The page and the widget are plain HTML, CSS and ES modules in ``search_api/static/`` (no build
step). Everything they show is inserted as text; the HTML responses also carry a Content Security
Policy that forbids inline script, so a record holding ``<script>`` can never run.
"""

from __future__ import annotations

import html
import re
from pathlib import Path
from typing import Annotated, Final
from xml.sax.saxutils import escape as xml_escape
from xml.sax.saxutils import quoteattr

from fastapi import APIRouter, Query, Request
from fastapi import Path as PathParam
from fastapi.responses import FileResponse, HTMLResponse, Response

from record_catalogue.codes import LanguageCode
from search_api.dependencies import ServicesDep
from search_api.errors import ApiError
from search_api.record_page import STRINGS, render_missing, render_record
from search_api.routes.search import MAX_SIZE, RealmCode

router = APIRouter(include_in_schema=False)

STATIC_DIR: Final = Path(__file__).resolve().parent.parent / "static"
LANGUAGES: Final = tuple(code.value for code in LanguageCode)
REALMS: Final = tuple(code.value for code in RealmCode)
RTL_LANGUAGES: Final = frozenset({"ar"})

#: What /static/ serves, by suffix. widget.js is served at /widget.js only (its imports are relative to that).
STATIC_TYPES: Final = {
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".svg": "image/svg+xml",
}
NOT_UNDER_STATIC: Final = frozenset({"widget.js"})

SCHEMA_RE: Final = re.compile(r"^[A-Za-z0-9]{1,100}$")
COUNTRY_RE: Final = re.compile(r"^[A-Za-z]{2}$")

SECURITY_HEADERS: Final = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "strict-origin-when-cross-origin",
}


def _csp(connect: str, frame_ancestors: str) -> str:
    return "; ".join(
        (
            "default-src 'self'",
            "script-src 'self'",
            "style-src 'self'",
            "img-src 'self' data:",
            f"connect-src {connect}",
            "object-src 'none'",
            "base-uri 'none'",
            "form-action 'self'",
            f"frame-ancestors {frame_ancestors}",
        )
    )


def _html_headers(csp: str) -> dict[str, str]:
    return {**SECURITY_HEADERS, "Content-Security-Policy": csp, "Cache-Control": "no-cache"}


def _file(request: Request, path: Path, media_type: str, headers: dict[str, str]) -> Response:
    """``path`` with an ETag; 304 when the client already has this version."""
    response = FileResponse(path, media_type=media_type, headers=headers, stat_result=path.stat())
    etag = response.headers.get("etag")
    if etag and etag in {tag.strip() for tag in request.headers.get("if-none-match", "").split(",")}:
        return Response(status_code=304, headers={"ETag": etag, **headers})
    return response


def _asset_headers() -> dict[str, str]:
    """Scripts and styles are public: any site may load them (module scripts are fetched with CORS)."""
    return {
        **SECURITY_HEADERS,
        "Cache-Control": "no-cache",
        "Access-Control-Allow-Origin": "*",
        "Cross-Origin-Resource-Policy": "cross-origin",
    }


@router.get("/", response_class=HTMLResponse)
def search_page(request: Request) -> Response:
    """The search page."""
    csp = _csp(connect="'self'", frame_ancestors="'self'")
    return _file(request, STATIC_DIR / "index.html", "text/html; charset=utf-8", _html_headers(csp))


@router.get("/curate", response_class=HTMLResponse)
def curate_page(request: Request) -> Response:
    """The curator page: the review queue, side-by-side editing, history (needs a curator key).

    It may not be framed anywhere (it acts with the curator's key) and sends no referrer.
    """
    csp = _csp(connect="'self'", frame_ancestors="'none'")
    headers = {**_html_headers(csp), "Referrer-Policy": "no-referrer", "X-Robots-Tag": "noindex, nofollow"}
    return _file(request, STATIC_DIR / "curate.html", "text/html; charset=utf-8", headers)


@router.get("/widget.js")
def widget_script(request: Request) -> Response:
    """The ``<chm-search>`` custom element, for ``<script type="module" src=".../widget.js">``."""
    return _file(request, STATIC_DIR / "widget.js", STATIC_TYPES[".js"], _asset_headers())


@router.get("/static/{path:path}")
def static_file(request: Request, path: str) -> Response:
    """The page's and the widget's modules, styles and icon."""
    parts = path.split("/")
    if not path or "\\" in path or any(part in ("", ".", "..") or part.startswith(".") for part in parts):
        raise ApiError(404, "not_found", f"no static file {path!r}")
    target = (STATIC_DIR / path).resolve()
    media_type = STATIC_TYPES.get(target.suffix)
    if media_type is None or path in NOT_UNDER_STATIC or not target.is_relative_to(STATIC_DIR) or not target.is_file():
        raise ApiError(404, "not_found", f"no static file {path!r}")
    return _file(request, target, media_type, _asset_headers())


def _values(name: str, raw: list[str] | None, check: re.Pattern[str] | tuple[str, ...]) -> list[str]:
    """Repeated or comma-separated values of ``name``, each checked; 422 naming the first bad one."""
    values = [item.strip() for value in raw or [] for item in value.split(",") if item.strip()]
    for value in values:
        ok = value in check if isinstance(check, tuple) else bool(check.match(value))
        if not ok:
            expected = f"; expected one of {', '.join(check)}" if isinstance(check, tuple) else ""
            raise ApiError(422, "invalid_parameter", f"{name}: {value!r} is not valid{expected}")
    return list(dict.fromkeys(values))


@router.get("/record/{record_id}", response_class=HTMLResponse)
def record_page(
    services: ServicesDep,
    record_id: Annotated[str, PathParam(max_length=200)],
    lang: Annotated[LanguageCode, Query(description="The reader's language.")] = LanguageCode.EN,
) -> Response:
    """One record as a page of its own: shareable, indexable, the original one click away."""
    headers = _html_headers(_csp(connect="'self'", frame_ancestors="'none'"))
    row = services.catalogue.get(record_id)
    if row is None or getattr(row, "deleted_at", None) is not None:
        return HTMLResponse(render_missing(lang), status_code=404, headers=headers)
    return HTMLResponse(render_record(row, lang), headers=headers)


@router.get("/embed", response_class=HTMLResponse)
def embed_page(
    lang: Annotated[LanguageCode | None, Query(description="UI and result language.")] = None,
    realm: Annotated[list[str] | None, Query(description="Clearing-house preset(s): CHM, ABS, BCH.")] = None,
    schema: Annotated[list[str] | None, Query(description="Record type preset(s).")] = None,
    government: Annotated[list[str] | None, Query(description="Country preset(s), ISO 3166 alpha-2.")] = None,
    api: Annotated[
        str | None,
        Query(
            max_length=500,
            description="Refused: /embed searches this server only (another server's results would show under "
            "this address); use the widget on your own page to reach another server.",
        ),
    ] = None,
    size: Annotated[int | None, Query(ge=1, le=MAX_SIZE)] = None,
    q: Annotated[str | None, Query(max_length=1000)] = None,
    key: Annotated[
        str | None,
        Query(
            pattern=r"^chm_[A-Za-z0-9_\-]{10,100}$",
            description="A partner key: its searches are held to the key's presets.",
        ),
    ] = None,
) -> Response:
    """The widget alone on a page, for ``<iframe src=".../embed?realm=ABS&lang=fr">``."""
    attributes: dict[str, str] = {}
    if key:
        attributes["key"] = key
    if api is not None:
        raise ApiError(
            422,
            "invalid_parameter",
            "api: /embed searches this server only; to search another server, put the widget on your own page",
        )
    if lang:
        attributes["lang"] = lang
    for name, raw, check in (
        ("realm", realm, REALMS),
        ("schema", schema, SCHEMA_RE),
        ("government", government, COUNTRY_RE),
    ):
        values = _values(name, raw, check)
        if values:
            attributes[name] = ",".join(values)
    if size:
        attributes["size"] = str(size)
    if q:
        attributes["q"] = q
    rendered = "".join(f' {name}="{html.escape(value, quote=True)}"' for name, value in attributes.items())
    page_lang = lang or "en"
    direction = "rtl" if page_lang in RTL_LANGUAGES else "ltr"
    body = f"""<!doctype html>
<html lang="{page_lang}" dir="{direction}">
  <head>
    <meta charset="utf-8" />
    <meta name="viewport" content="width=device-width, initial-scale=1" />
    <title>{html.escape(STRINGS[page_lang]["app"])}</title>
    <link rel="icon" href="static/icon.svg" type="image/svg+xml" />
    <link rel="stylesheet" href="static/embed.css" />
    <script type="module" src="widget.js"></script>
    <script type="module" src="static/embed.js"></script>
  </head>
  <body>
    <main>
      <h1 class="embed-title">{html.escape(STRINGS[page_lang]["app"])}</h1>
      <chm-search{rendered}></chm-search>
    </main>
  </body>
</html>
"""
    return HTMLResponse(body, headers=_html_headers(_csp(connect="'self'", frame_ancestors="*")))


@router.get("/opensearch.xml")
def opensearch_description(request: Request) -> Response:
    """OpenSearch description: lets browsers add this search (and its suggestions).

    Its URLs start with the configured public URL (``CHM_PUBLIC_URL``), never with the request's
    Host header: the description is cached publicly, and a forged Host would poison it.
    """
    base = request.app.state.services.settings.base_url
    description = "Search the Convention on Biological Diversity's clearing-houses (CHM, ABS-CH, BCH) in six languages."
    languages = "".join(f"\n  <Language>{code}</Language>" for code in LANGUAGES)
    page = quoteattr(base + "?q={searchTerms}")
    suggest = quoteattr(base + "api/v1/suggest?format=opensearch&q={searchTerms}")
    itself = quoteattr(base + "opensearch.xml")
    body = f"""<?xml version="1.0" encoding="UTF-8"?>
<OpenSearchDescription xmlns="http://a9.com/-/spec/opensearch/1.1/">
  <ShortName>CBD search</ShortName>
  <Description>{xml_escape(description)}</Description>
  <InputEncoding>UTF-8</InputEncoding>
  <OutputEncoding>UTF-8</OutputEncoding>{languages}
  <Image width="32" height="32" type="image/svg+xml">{xml_escape(base + "static/icon.svg")}</Image>
  <Url type="text/html" method="get" template={page}/>
  <Url type="application/x-suggestions+json" method="get" template={suggest}/>
  <Url type="application/opensearchdescription+xml" rel="self" template={itself}/>
</OpenSearchDescription>
"""
    return Response(
        body,
        media_type="application/opensearchdescription+xml",
        headers={**SECURITY_HEADERS, "Cache-Control": "public, max-age=3600"},
    )
