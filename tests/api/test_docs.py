"""/docs and /redoc served from the package (offline, strict CSP), and HEAD wherever GET works."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from record_catalogue.settings import Settings
from search_api.app import create_app


@pytest.fixture
def client(settings: Settings) -> TestClient:
    return TestClient(create_app(settings))


@pytest.mark.parametrize(("path", "asset"), [("/docs", "swagger-ui-bundle.js"), ("/redoc", "redoc.standalone.js")])
def test_documentation_pages_load_their_tools_from_this_server(client: TestClient, path: str, asset: str) -> None:
    response = client.get(path)
    assert response.status_code == 200
    page = response.text
    assert f'<script src="docs-assets/{asset}"></script>' in page
    assert "http://" not in page and "https://" not in page  # nothing from a CDN
    csp = response.headers["content-security-policy"]
    assert "script-src 'self';" in csp and "unsafe-eval" not in csp
    assert response.headers["x-frame-options"] == "DENY"
    script = client.get(f"/docs-assets/{asset}")
    assert script.status_code == 200 and script.headers["content-type"].startswith("text/javascript")
    assert len(script.content) > 500_000
    assert client.get("/static/docs.js").status_code == 200


def test_only_the_documentation_assets_are_served(client: TestClient) -> None:
    assert client.get("/docs-assets/__init__.py").status_code == 404
    assert client.get("/docs-assets/..%2F__init__.py").status_code == 404


@pytest.mark.parametrize(
    "path", ["/", "/embed?realm=ABS", "/api/v1/search?q=biodiversity", "/api/v1/health", "/docs", "/openapi.json"]
)
def test_head_answers_wherever_get_does(client: TestClient, path: str) -> None:
    get = client.get(path)
    head = client.head(path)
    assert head.status_code == get.status_code
    assert head.content == b""
    assert head.headers["content-type"] == get.headers["content-type"]
    if "content-length" in get.headers:
        assert head.headers["content-length"] == get.headers["content-length"]


def test_the_native_oai_format_publishes_its_schema(client: TestClient) -> None:
    response = client.get("/oai/chm-record-1.0.xsd")
    assert response.status_code == 200
    assert "xml" in response.headers["content-type"]
    from lxml import etree

    root = etree.fromstring(response.content, etree.XMLParser(resolve_entities=False, no_network=True))
    assert root.tag == "{http://www.w3.org/2001/XMLSchema}schema"
