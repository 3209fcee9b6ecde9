"""Keys and clients (issue 13, item 6): revocation at once, failed keys limited per address, proxy
headers only from trusted proxies, the public URL from settings, encoded record links, framing
and script policies on every HTML route."""

from __future__ import annotations

import secrets
import time
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from record_catalogue.keys import KeyStore
from record_catalogue.realms import realm_catalog
from record_catalogue.settings import Settings
from record_catalogue.store import Catalogue
from search_api.app import create_app
from search_api.auth import KeyCache


@pytest.fixture
def partner_key(loaded_settings: Settings) -> Iterator[tuple[str, str]]:
    catalogue = Catalogue(loaded_settings.catalogue_dsn)
    name = f"clients test {time.monotonic_ns()}"
    key = KeyStore(catalogue).create(name, "partner")
    yield name, key
    KeyStore(catalogue).revoke(name)
    catalogue.close()


def test_a_revoked_key_stops_working_within_a_second_in_every_process(
    loaded_settings: Settings, partner_key: tuple[str, str]
) -> None:
    """Two apps on one catalogue stand for two API processes; the revocation comes from a third."""
    name, key = partner_key
    headers = {"X-API-Key": key}
    with TestClient(create_app(loaded_settings)) as first, TestClient(create_app(loaded_settings)) as second:
        assert first.get("/api/v1/languages", headers=headers).status_code == 200
        assert second.get("/api/v1/languages", headers=headers).status_code == 200
        catalogue = Catalogue(loaded_settings.catalogue_dsn)
        KeyStore(catalogue).revoke(name)
        catalogue.close()
        time.sleep(1.1)  # the documented window (README: within one second)
        for app in (first, second):
            refused = app.get("/api/v1/languages", headers=headers)
            assert refused.status_code == 401 and refused.json()["error"]["code"] == "invalid_api_key"


def test_invalid_keys_are_rate_limited_per_address(loaded_settings: Settings, partner_key: tuple[str, str]) -> None:
    _, key = partner_key
    settings = loaded_settings.model_copy(update={"rate_limit_failed_keys": 3})
    # Addresses of this test only: failed attempts are counted in the catalogue, which the suite shares.
    with (
        TestClient(create_app(settings), client=("192.0.2.8", 1)) as client,
        TestClient(create_app(settings), client=("192.0.2.9", 1)) as other,
    ):
        codes = [client.get("/api/v1/languages", headers={"X-API-Key": f"chm_guess{n}"}).status_code for n in range(4)]
        assert codes == [401, 401, 401, 429]
        limited = client.get("/api/v1/languages", headers={"X-API-Key": key})
        assert limited.status_code == 429 and int(limited.headers["retry-after"]) >= 1
        assert client.get("/api/v1/languages").status_code == 200  # without a key: the anonymous limit
        assert other.get("/api/v1/languages", headers={"X-API-Key": key}).status_code == 200  # another address


def test_the_key_cache_forgets_the_least_recently_used(loaded_settings: Settings, partner_key: tuple[str, str]) -> None:
    """Bounded, and never dropped wholesale: a stream of made-up keys does not evict a key in use."""
    _, key = partner_key
    catalogue = Catalogue(loaded_settings.catalogue_dsn)
    store = KeyStore(catalogue)
    cache = KeyCache(seconds=3600, entries=50)
    assert cache.verify(store, key) is not None
    for n in range(200):
        cache.verify(store, f"chm_made-up-{n}")
        if n % 10 == 0:
            assert cache.verify(store, key) is not None
    assert len(cache._entries) == 50
    assert key not in cache._entries  # hashes only
    catalogue.close()


def test_forwarded_for_is_believed_from_trusted_proxies_only(loaded_settings: Settings) -> None:
    """Addresses of this run only: on PostgreSQL the buckets live in the catalogue, shared by apps."""
    settings = loaded_settings.model_copy(update={"rate_limit_anonymous": 2})
    peer, proxy, client = (f"127.{secrets.randbelow(250)}.{secrets.randbelow(250)}.{n}" for n in (1, 2, 3))
    with TestClient(create_app(settings), client=(peer, 5000)) as direct:
        codes = [
            direct.get("/api/v1/languages", headers={"X-Forwarded-For": f"203.0.113.{n}"}).status_code for n in range(3)
        ]
        assert codes == [200, 200, 429]  # loopback is no proxy unless configured
    behind = settings.model_copy(update={"trusted_proxies": ["127.0.0.0/8", "10.0.0.0/8"]})
    with TestClient(create_app(behind), client=(proxy, 5000)) as proxied:
        for n in range(3):
            # the client, then a trusted inner proxy: the client is the last untrusted address
            forwarded = {"X-Forwarded-For": f"198.51.100.1, 2001:db8::{secrets.randbelow(0xFFFF):x}:{n}, 10.1.2.3"}
            assert proxied.get("/api/v1/languages", headers=forwarded).status_code == 200
        spoofed = [
            proxied.get("/api/v1/languages", headers={"X-Forwarded-For": f"{client}, not an address"}).status_code
            for _ in range(3)
        ]
        assert spoofed == [200, 200, 429]  # garbage: the proxy itself is the client


def test_the_opensearch_description_never_reflects_the_host_header(loaded_settings: Settings) -> None:
    with TestClient(create_app(loaded_settings)) as client:
        body = client.get("/opensearch.xml", headers={"Host": "evil.example"}).text
        assert "evil.example" not in body and 'template="http://127.0.0.1:8000/?q={searchTerms}"' in body
    public = loaded_settings.model_copy(update={"public_url": "https://search.example.org/cbd/"})
    with TestClient(create_app(public)) as client:
        body = client.get("/opensearch.xml", headers={"Host": "evil.example"}).text
        assert "evil.example" not in body
        assert 'template="https://search.example.org/cbd/api/v1/suggest?format=opensearch&amp;q={searchTerms}"' in body


@pytest.mark.parametrize(
    ("record_id", "segment"),
    [
        ("../../../etc/passwd", "..%2F..%2F..%2Fetc%2Fpasswd"),
        ("..", "%2E%2E"),
        ("a?b#c d", "a%3Fb%23c%20d"),
        ("ABS-PIC-PE-237", "ABS-PIC-PE-237"),
    ],
)
def test_links_to_records_encode_the_id(record_id: str, segment: str) -> None:
    url = realm_catalog().record_url("ABS", "absPermit", record_id)
    assert "/database/" in url and url.rsplit("/", 1)[1] == segment


@pytest.mark.parametrize("path", ["/", "/curate", "/embed", "/docs", "/redoc"])
def test_every_html_route_has_a_policy_and_framing_rules(client: TestClient, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/html")
    csp = response.headers["content-security-policy"]
    assert "frame-ancestors" in csp and "'unsafe-eval'" not in csp
    directives = {part.split()[0]: part for part in csp.split(";") if part.strip()}
    assert "'unsafe-inline'" not in directives.get("script-src", directives["default-src"])
    if path == "/embed":  # made to be framed by any site; X-Frame-Options cannot say "any"
        assert "frame-ancestors *" in csp and "x-frame-options" not in response.headers
    else:
        assert response.headers["x-frame-options"] in ("DENY", "SAMEORIGIN")
    assert response.headers["x-content-type-options"] == "nosniff"
