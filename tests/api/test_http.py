"""Embedding concerns: CORS, ETags, rate limits with Retry-After, OpenAPI."""

from __future__ import annotations

from fastapi.testclient import TestClient

from record_catalogue.keys import KeyStore
from record_catalogue.settings import Settings
from record_catalogue.store import Catalogue
from search_api.app import create_app


def test_cors_for_configured_origins(loaded_settings: Settings) -> None:
    settings = loaded_settings.model_copy(update={"cors_origins": ["https://partner.example"]})
    with TestClient(create_app(settings)) as client:
        ok = client.get("/api/v1/search", headers={"Origin": "https://partner.example"})
        assert ok.headers["access-control-allow-origin"] == "https://partner.example"
        other = client.get("/api/v1/search", headers={"Origin": "https://evil.example"})
        assert "access-control-allow-origin" not in other.headers
        preflight = client.options(
            "/api/v1/search",
            headers={
                "Origin": "https://partner.example",
                "Access-Control-Request-Method": "GET",
                "Access-Control-Request-Headers": "X-API-Key",
            },
        )
        assert preflight.status_code == 200


def test_etag_and_not_modified(client: TestClient) -> None:
    first = client.get("/api/v1/search", params={"q": "biodiversity"})
    tag = first.headers["etag"]
    assert tag.startswith('W/"') and first.headers["cache-control"] == "public, max-age=30"
    again = client.get("/api/v1/search", params={"q": "biodiversity"}, headers={"If-None-Match": tag})
    assert again.status_code == 304 and again.content == b""
    other = client.get("/api/v1/search", params={"q": "maize"}, headers={"If-None-Match": tag})
    assert other.status_code == 200


def test_anonymous_clients_are_rate_limited_per_ip(loaded_settings: Settings) -> None:
    settings = loaded_settings.model_copy(update={"rate_limit_anonymous": 3})
    with TestClient(create_app(settings)) as client:
        codes = [client.get("/api/v1/suggest", params={"q": "a"}).status_code for _ in range(4)]
        assert codes == [200, 200, 200, 429]
        limited = client.get("/api/v1/suggest", params={"q": "a"})
        assert int(limited.headers["retry-after"]) >= 1
        assert limited.json()["error"]["code"] == "rate_limited"
        assert client.get("/api/v1/health").status_code == 200  # monitoring is never limited


def test_partner_keys_have_their_own_limits(loaded_settings: Settings) -> None:
    settings = loaded_settings.model_copy(update={"rate_limit_anonymous": 1})
    catalogue = Catalogue(settings.catalogue_dsn)
    key = KeyStore(catalogue).create("InforMEA test", "partner", rate_limit=5)
    try:
        with TestClient(create_app(settings)) as client:
            client.get("/api/v1/suggest")
            assert client.get("/api/v1/suggest").status_code == 429
            codes = [client.get("/api/v1/suggest", headers={"X-API-Key": key}).status_code for _ in range(6)]
            assert codes == [200] * 5 + [429]
    finally:
        KeyStore(catalogue).revoke("InforMEA test")
        catalogue.close()


def test_openapi_documents_the_contract(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    for path in (
        "/api/v1/search",
        "/api/v1/records/{record_id}",
        "/api/v1/suggest",
        "/api/v1/detect",
        "/api/v1/health",
        "/api/v1/records",
    ):
        assert path in spec["paths"]
    assert client.get("/docs").status_code == 200
