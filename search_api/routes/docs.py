"""``/docs`` and ``/redoc``: the API's documentation, working offline and under a strict CSP.

FastAPI's own pages load Swagger UI and ReDoc from a CDN and start them with an inline script, so
they are blank on a machine without internet and need ``'unsafe-inline'`` scripts. Here the
assets come from the installed ``fastapi-offline`` package (Swagger UI and ReDoc, MIT/Apache
licensed, versioned with our other dependencies) and the start-up code is a file of ours
(``static/docs.js``). Styles may be inline: both tools inject ``<style>`` elements.
"""

from __future__ import annotations

from importlib import resources
from typing import Final

from fastapi import APIRouter
from fastapi.responses import HTMLResponse, Response

from search_api.errors import ApiError

router = APIRouter(include_in_schema=False)

ASSETS: Final = {
    "swagger-ui-bundle.js": "text/javascript; charset=utf-8",
    "swagger-ui.css": "text/css; charset=utf-8",
    "redoc.standalone.js": "text/javascript; charset=utf-8",
    "favicon.png": "image/png",
}
CSP: Final = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data:",
        "font-src 'self' data:",
        "connect-src 'self'",
        "worker-src 'self' blob:",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    )
)
HEADERS: Final = {
    "Content-Security-Policy": CSP,
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "strict-origin-when-cross-origin",
    "Cache-Control": "no-cache",
}


def _page(title: str, styles: str, body: str, script: str) -> str:
    return f"""<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8" />
    <meta name="viewport" content="width=device-width, initial-scale=1" />
    <title>{title}</title>
    <link rel="icon" href="docs-assets/favicon.png" type="image/png" />
{styles}  </head>
  <body>
    {body}
    <script src="docs-assets/{script}"></script>
    <script src="static/docs.js"></script>
  </body>
</html>
"""


@router.get("/docs")
def swagger_ui() -> HTMLResponse:
    """Swagger UI over this server's OpenAPI."""
    page = _page(
        "chm-search API — Swagger UI",
        '    <link rel="stylesheet" href="docs-assets/swagger-ui.css" />\n',
        '<main><div id="swagger-ui" data-openapi="openapi.json"></div></main>',
        "swagger-ui-bundle.js",
    )
    return HTMLResponse(page, headers=HEADERS)


@router.get("/redoc")
def redoc() -> HTMLResponse:
    """ReDoc over this server's OpenAPI."""
    page = _page(
        "chm-search API — ReDoc", "", '<main id="redoc" data-openapi="openapi.json"></main>', "redoc.standalone.js"
    )
    return HTMLResponse(page, headers=HEADERS)


@router.get("/docs-assets/{name}")
def asset(name: str) -> Response:
    """One of the documentation tools' files, from the installed package."""
    media_type = ASSETS.get(name)
    if media_type is None:
        raise ApiError(404, "not_found", f"no documentation asset {name!r}")
    data = (resources.files("fastapi_offline") / "static" / name).read_bytes()
    return Response(data, media_type=media_type, headers={"Cache-Control": "public, max-age=86400"})
