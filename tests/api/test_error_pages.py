"""Browsers get an HTML error page in the reader's language; API clients keep the JSON error body
(issue 18, item 9). The app is the real one over an empty data directory (embedded engine, SQLite);
the faults are made where they happen, in the catalogue the route reads."""

from __future__ import annotations

import errno
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from record_catalogue.settings import load_settings
from search_api.app import create_app
from search_api.error_pages import STRINGS, render, wants_html

BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,*/*;q=0.8"


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    settings = load_settings(data_dir=tmp_path / "data", rate_limit_anonymous=1000)
    with TestClient(create_app(settings), raise_server_exceptions=False) as test_client:
        yield test_client


def page_text(body: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", body)).strip()


def test_a_browser_gets_a_404_page_in_its_language(client: TestClient) -> None:
    response = client.get("/nope", headers={"Accept": BROWSER, "Accept-Language": "fr-CH,fr;q=0.9,en;q=0.8"})
    assert response.status_code == 404
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    assert "default-src 'none'" in response.headers["content-security-policy"]
    assert response.headers["x-frame-options"] == "DENY" and response.headers["x-request-id"]
    body = response.text
    assert '<html lang="fr" dir="ltr">' in body
    assert "<h1>Page introuvable</h1>" in body
    assert 'href="/?lang=fr"' in body and "Aller à la page de recherche" in page_text(body)
    assert 'href="/static/page.css"' in body  # the site's own style, from the package
    # lang= beats Accept-Language; Arabic reads right to left.
    arabic = client.get("/nope?lang=ar", headers={"Accept": BROWSER, "Accept-Language": "fr"})
    assert '<html lang="ar" dir="rtl">' in arabic.text and STRINGS["ar"]["404"] in arabic.text
    # HEAD works as GET does, without the body.
    head = client.head("/nope", headers={"Accept": BROWSER})
    assert head.status_code == 404 and head.headers["content-type"].startswith("text/html") and head.content == b""


def test_api_clients_keep_the_json_error(client: TestClient) -> None:
    for accept in ("application/json", "*/*", "", "application/json, text/html;q=0.5"):
        response = client.get("/nope", headers={"Accept": accept} if accept else {})
        assert response.status_code == 404 and response.headers["content-type"] == "application/json", accept
        assert response.json()["error"]["code"] == "not_found"
    # /api/ paths answer JSON even to a browser's Accept (a link to the API shows what a client gets).
    api = client.get("/api/v1/search", params={"year_from": 2020, "year_to": 2000}, headers={"Accept": BROWSER})
    assert api.status_code == 422 and api.json()["error"]["code"] == "invalid_parameter"
    assert client.get("/libretranslate/nope", headers={"Accept": BROWSER}).headers["content-type"] == (
        "application/json"
    )
    # A POST is never a page request.
    posted = client.post("/nope", headers={"Accept": BROWSER}, content=b"")
    assert posted.headers["content-type"] == "application/json"


def test_a_422_page_names_the_parameter(client: TestClient) -> None:
    response = client.get("/record/ANY?lang=de", headers={"Accept": BROWSER})
    assert response.status_code == 422 and response.headers["content-type"].startswith("text/html")
    text = page_text(response.text)
    assert "This request cannot be run" in text
    assert "Details: lang:" in text  # the API's own message, marked as English
    assert '<span lang="en" dir="ltr">lang:' in response.text


def test_a_429_page_says_when_to_try_again() -> None:
    """Only /api/ paths are rate-limited, and they answer JSON; should a page ever be limited, its
    page says when to come back (the response's Retry-After)."""
    page = render(429, {"code": "rate_limited", "message": "rate limit exceeded"}, "es", "", "12")
    assert '<html lang="es" dir="ltr">' in page and "Demasiadas solicitudes" in page
    assert "Vuelva a intentarlo dentro de 12 segundos." in page_text(page)


def test_only_the_api_is_rate_limited_and_its_429_is_json_even_to_a_browser(tmp_path: Path) -> None:
    """An address past its limit: the API's 429 stays the JSON error a script reads (with its
    Retry-After) even when a browser's Accept asked; the pages, their errors and their files
    are not limited, so a reader never meets a 429 page."""
    settings = load_settings(data_dir=tmp_path / "data", rate_limit_anonymous=1)
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        assert client.get("/api/v1/languages").status_code == 200  # the address's one request a minute
        limited = client.get("/api/v1/search", headers={"Accept": BROWSER})
        assert limited.status_code == 429 and limited.headers["content-type"] == "application/json"
        assert limited.json()["error"]["code"] == "rate_limited" and int(limited.headers["retry-after"]) > 0
        for path, status in (("/", 200), ("/static/page.css", 200), ("/record/NOT-THERE?lang=fr", 404), ("/nope", 404)):
            for _ in range(3):
                response = client.get(path, headers={"Accept": BROWSER})
                assert response.status_code == status, (path, response.status_code)
        assert "Page introuvable" in client.get("/nope?lang=fr", headers={"Accept": BROWSER}).text


def test_a_405_page_says_the_address_does_not_take_that_request() -> None:
    """Every route outside the machine interfaces answers GET and HEAD, so a browser's page request
    cannot meet a 405 today; should one, its page is in the reader's language."""
    page = render(405, {"code": "method_not_allowed", "message": "Method Not Allowed"}, "ar", "", None)
    assert '<html lang="ar" dir="rtl">' in page and STRINGS["ar"]["405"] in page
    assert STRINGS["ar"]["405_text"] in page


def test_500_and_503_pages_carry_the_request_id_or_the_wait(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    catalogue = client.app.state.services.catalogue  # type: ignore[attr-defined]

    def broken(_record_id: str) -> None:
        raise RuntimeError("something nobody foresaw")

    monkeypatch.setattr(catalogue, "get", broken)
    failed = client.get("/record/ANY?lang=zh", headers={"Accept": BROWSER})
    assert failed.status_code == 500 and failed.headers["content-type"].startswith("text/html")
    assert STRINGS["zh"]["500"] in failed.text and "nobody foresaw" not in failed.text
    assert f'<code dir="ltr">{failed.headers["x-request-id"]}</code>' in failed.text
    # The same failure to an API client is the JSON 500.
    as_json = client.get("/record/ANY", headers={"Accept": "application/json"})
    assert as_json.status_code == 500 and as_json.json()["error"]["code"] == "internal_error"

    def full(_record_id: str) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(catalogue, "get", full)
    down = client.get("/record/ANY?lang=ru", headers={"Accept": BROWSER})
    assert down.status_code == 503 and down.headers["retry-after"] == "30"
    assert STRINGS["ru"]["503"] in down.text and "Повторите попытку через 30 с." in down.text


def test_pages_that_exist_are_untouched(client: TestClient) -> None:
    page = client.get("/", headers={"Accept": BROWSER})
    assert page.status_code == 200 and 'id="results"' in page.text and "error-page" not in page.text
    missing = client.get("/record/NOT-THERE?lang=fr", headers={"Accept": BROWSER})
    assert missing.status_code == 404 and "record-page" in missing.text and "error-page" not in missing.text


@pytest.mark.parametrize(
    ("accept", "method", "path", "html"),
    [
        (BROWSER, "GET", "/x", True),
        ("text/html", "HEAD", "/x", True),
        ("application/json;q=0.9, text/html;q=0.8", "GET", "/x", False),
        ("text/*", "GET", "/x", False),  # no text/html named
        ("text/html;q=0", "GET", "/x", False),
        (BROWSER, "GET", "/api/v1/x", False),
        (BROWSER, "GET", "/oai", False),
        (BROWSER, "PUT", "/x", False),
    ],
)
def test_what_counts_as_a_page_request(accept: str, method: str, path: str, html: bool) -> None:
    scope = {"type": "http", "method": method, "path": path, "headers": [(b"accept", accept.encode())]}
    assert wants_html(scope) is html


def test_every_language_has_every_string() -> None:
    for lang, table in STRINGS.items():
        assert set(table) == set(STRINGS["en"]), lang
