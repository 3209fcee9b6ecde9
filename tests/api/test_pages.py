"""The page, the widget, the iframe page, their static files and the OpenSearch description."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from record_catalogue.settings import Settings
from search_api.app import create_app

OPENSEARCH = "{http://a9.com/-/spec/opensearch/1.1/}"
IMPORT = re.compile(r"""^\s*(?:import|export)\b[^;]*?\bfrom\s+"([^"]+)";?|^\s*import\s+"([^"]+)";?""", re.M | re.S)


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(settings)) as test_client:
        yield test_client


def test_search_page_is_html_with_a_strict_content_security_policy(client: TestClient) -> None:
    response = client.get("/")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert '<script type="module" src="static/page.js"></script>' in response.text
    assert 'rel="search" type="application/opensearchdescription+xml" href="opensearch.xml"' in response.text
    csp = response.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert "object-src 'none'" in csp
    assert response.headers["x-content-type-options"] == "nosniff"


def test_widget_script_is_javascript_that_any_site_may_load(client: TestClient) -> None:
    response = client.get("/widget.js", headers={"Origin": "https://partner.example"})
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/javascript; charset=utf-8"
    assert response.headers["access-control-allow-origin"] in ("*", "https://partner.example")
    assert 'customElements.define("chm-search"' in response.text
    # Its imports are relative to /widget.js and must all be served.
    imports = [a or b for a, b in IMPORT.findall(response.text)]
    assert imports and all(path.startswith("./static/") for path in imports)
    for path in imports:
        assert client.get("/" + path.removeprefix("./")).status_code == 200, path


@pytest.mark.parametrize(
    ("path", "media_type"),
    [
        ("page.js", "text/javascript"),
        ("render.js", "text/javascript"),
        ("api.js", "text/javascript"),
        ("i18n.js", "text/javascript"),
        ("page.css", "text/css"),
        ("results.css", "text/css"),
        ("widget.css", "text/css"),
        ("icon.svg", "image/svg+xml"),
    ],
)
def test_static_files_are_served_with_their_types(client: TestClient, path: str, media_type: str) -> None:
    response = client.get(f"/static/{path}")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith(media_type)
    assert response.headers["access-control-allow-origin"] == "*"
    assert response.headers["etag"]
    again = client.get(f"/static/{path}", headers={"If-None-Match": response.headers["etag"]})
    assert again.status_code == 304
    if path.endswith(".js"):
        for a, b in IMPORT.findall(response.text):
            assert client.get(f"/static/{(a or b).removeprefix('./')}").status_code == 200, (path, a or b)


@pytest.mark.parametrize(
    "path", ["widget.js", "index.html", ".hidden.js", "..%2Fapp.py", "nope.js", "", "a/..%2F..%2Fapp.py"]
)
def test_static_refuses_anything_else(client: TestClient, path: str) -> None:
    response = client.get(f"/static/{path}")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_embed_page_carries_the_presets_as_escaped_attributes(client: TestClient) -> None:
    response = client.get(
        "/embed",
        params=[
            ("realm", "ABS"),
            ("realm", "BCH"),
            ("schema", "absPermit"),
            ("lang", "fr"),
            ("size", "5"),
            ("q", '"><script>alert(1)</script>'),
        ],
    )
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    text = response.text
    assert '<html lang="fr" dir="ltr">' in text
    assert '<script type="module" src="widget.js"></script>' in text
    assert (
        '<chm-search lang="fr" realm="ABS,BCH" schema="absPermit" size="5"'
        ' q="&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;"></chm-search>'
    ) in text
    assert text.count("<script") == 2  # the widget, and the iframe's height reporter
    csp = response.headers["content-security-policy"]
    assert "connect-src 'self';" in csp
    assert "frame-ancestors *" in csp


def test_embed_in_arabic_is_right_to_left(client: TestClient) -> None:
    response = client.get("/embed", params={"lang": "ar", "realm": "CHM,ABS"})
    assert '<html lang="ar" dir="rtl">' in response.text
    assert 'realm="CHM,ABS"' in response.text


@pytest.mark.parametrize(
    ("params", "named"),
    [
        ({"realm": "XYZ"}, "realm: 'XYZ'"),
        ({"schema": "abs permit"}, "schema"),
        ({"government": "fra"}, "government"),
        ({"api": "javascript:alert(1)"}, "api"),
        ({"api": "https://elsewhere.example"}, "api: /embed searches this server only"),
        ({"lang": "de"}, "lang"),
        ({"size": "101"}, "size"),
    ],
)
def test_embed_rejects_bad_presets_naming_them(client: TestClient, params: dict[str, str], named: str) -> None:
    response = client.get("/embed", params=params)
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "invalid_parameter"
    assert named in response.json()["error"]["message"]


def test_opensearch_description(client: TestClient) -> None:
    response = client.get("/opensearch.xml")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/opensearchdescription+xml"
    root = ET.fromstring(response.content)
    assert root.tag == f"{OPENSEARCH}OpenSearchDescription"
    short_name = root.findtext(f"{OPENSEARCH}ShortName") or ""
    assert 0 < len(short_name) <= 16
    assert root.findtext(f"{OPENSEARCH}Description")
    assert root.findtext(f"{OPENSEARCH}InputEncoding") == "UTF-8"
    urls = {url.get("type"): url.get("template") for url in root.iter(f"{OPENSEARCH}Url")}
    # From the settings (CHM_PUBLIC_URL, else where serve listens), never from the request's Host.
    assert urls["text/html"] == "http://127.0.0.1:8000/?q={searchTerms}"
    assert (
        urls["application/x-suggestions+json"]
        == "http://127.0.0.1:8000/api/v1/suggest?format=opensearch&q={searchTerms}"
    )
    assert urls["application/opensearchdescription+xml"] == "http://127.0.0.1:8000/opensearch.xml"
    assert sorted(lang.text or "" for lang in root.iter(f"{OPENSEARCH}Language")) == [
        "ar",
        "en",
        "es",
        "fr",
        "ru",
        "zh",
    ]


def test_opensearch_uses_the_public_url_not_the_host_header(client: TestClient) -> None:
    response = client.get("/opensearch.xml", headers={"Host": "search.example.org"})
    urls = {url.get("type"): url.get("template") for url in ET.fromstring(response.content).iter(f"{OPENSEARCH}Url")}
    assert urls["text/html"] == "http://127.0.0.1:8000/?q={searchTerms}"


def test_pages_are_not_in_the_api_schema(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    assert not {"/", "/embed", "/widget.js", "/opensearch.xml"} & set(paths)


# ---- the curator page (/curate) -------------------------------------------------------------------

I18N_BLOCK = re.compile(r"^  (ar|en|es|fr|ru|zh): \{$(.*?)^  \},$", re.M | re.S)
I18N_KEY = re.compile(r"^    (\w+):", re.M)


def test_curator_page_is_html_that_cannot_be_framed_and_runs_no_inline_script(client: TestClient) -> None:
    response = client.get("/curate")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    text = response.text
    assert '<script type="module" src="static/curate.js"></script>' in text
    assert text.count("<script") == 1 and not re.search(r"\son[a-z]+\s*=", text)  # no inline handlers
    # The key field is a password field that browsers do not store or autocomplete.
    assert re.search(r'<input\s+id="api-key"[^>]*type="password"[^>]*autocomplete="off"', text, re.S)
    assert '<meta name="robots" content="noindex, nofollow" />' in text
    csp = response.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert "connect-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert response.headers["referrer-policy"] == "no-referrer"
    assert response.headers["x-content-type-options"] == "nosniff"
    again = client.get("/curate", headers={"If-None-Match": response.headers["etag"]})
    assert again.status_code == 304


@pytest.mark.parametrize(("path", "media_type"), [("curate.js", "text/javascript"), ("curate.css", "text/css")])
def test_curator_page_assets_are_served_and_their_imports_resolve(
    client: TestClient, path: str, media_type: str
) -> None:
    response = client.get(f"/static/{path}")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith(media_type)
    for a, b in IMPORT.findall(response.text):
        assert client.get(f"/static/{(a or b).removeprefix('./')}").status_code == 200, (path, a or b)
    assert client.get("/static/curate.html").status_code == 404  # the page is /curate only


def test_curator_page_strings_exist_in_all_six_languages(client: TestClient) -> None:
    source = client.get("/static/i18n.js").text
    keys = {lang: set(I18N_KEY.findall(body)) for lang, body in I18N_BLOCK.findall(source)}
    assert sorted(keys) == ["ar", "en", "es", "fr", "ru", "zh"]
    curator = {key for key in keys["en"] if key.startswith("cur_")}
    assert len(curator) > 50
    for lang, found in keys.items():
        assert curator <= found, (lang, sorted(curator - found))
    # Every string the page names (data-i18n in the HTML, t("…") in the script) exists in English.
    used = set(re.findall(r'data-i18n="(\w+)"', client.get("/curate").text))
    used |= set(re.findall(r'\bt(?:\.plural)?\("(\w+)"', client.get("/static/curate.js").text))
    assert used and used <= keys["en"], sorted(used - keys["en"])


def test_curator_page_is_not_in_the_api_schema(client: TestClient) -> None:
    assert "/curate" not in client.get("/openapi.json").json()["paths"]
