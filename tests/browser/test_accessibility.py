"""axe-core (from npm, pinned in devtools/axe) run inside every page, at phone and desktop size, in
the six languages: zero violations of any impact. Each state is also saved as a screenshot under
build/screenshots/ for a person to look at (never compared pixel by pixel)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from tests.browser.conftest import DESKTOP, PHONE, Site, opened_tab
from tests.browser.helpers import axe_violations, screenshot, settle

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

LANGUAGES = ("ar", "en", "es", "fr", "ru", "zh")
VIEWPORTS = {"phone": PHONE, "desktop": DESKTOP}
RECORD = "67647BA8-CD06-44C2-89F1-E5D3B33BB8EE"  # samples/records/biosafetyDecision-mx-maiz.json (Spanish)

PARTNER_PAGE = """<!doctype html>
<html lang="{lang}" dir="{dir}">
  <head>
    <meta charset="utf-8" />
    <meta name="viewport" content="width=device-width, initial-scale=1" />
    <title>A partner's page with three widgets</title>
    <script type="module" src="{base}/widget.js"></script>
  </head>
  <body>
    <main>
      <h1>Partner</h1>
      <chm-search api="{base}" lang="{lang}" realm="ABS" size="3"></chm-search>
      <chm-search api="{base}" lang="{lang}" realm="BCH" size="2"></chm-search>
      <chm-search api="{base}" lang="{lang}" q="biodiversity" size="2"></chm-search>
    </main>
  </body>
</html>
"""


def violations(page: Page, axe_source: str) -> list[dict[str, Any]]:
    return axe_violations(page, axe_source)


@pytest.fixture(params=list(VIEWPORTS), ids=list(VIEWPORTS))
def viewport(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def check(page: Page, axe_source: str, name: str) -> None:
    screenshot(page, name)
    found = violations(page, axe_source)
    assert found == [], json.dumps(found, ensure_ascii=False, indent=1)


@pytest.mark.parametrize("lang", LANGUAGES)
def test_search_page(browser: Browser, site: Site, axe_source: str, viewport: str, lang: str) -> None:
    with opened_tab(browser, locale=lang, viewport=VIEWPORTS[viewport]) as tab:
        page = tab.page
        page.goto(f"{site.base}/?lang={lang}&q=biodiversity")
        settle(page)
        check(page, axe_source, f"search-{lang}-{viewport}")
        if viewport == "phone":
            page.click("#filters-toggle")
            check(page, axe_source, f"search-filters-{lang}-{viewport}")
    assert not tab.errors, tab.errors


@pytest.mark.parametrize("lang", LANGUAGES)
def test_record_page(browser: Browser, site: Site, axe_source: str, viewport: str, lang: str) -> None:
    with opened_tab(browser, locale=lang, viewport=VIEWPORTS[viewport]) as tab:
        tab.page.goto(f"{site.base}/record/{RECORD}?lang={lang}")
        check(tab.page, axe_source, f"record-{lang}-{viewport}")


@pytest.mark.parametrize("lang", LANGUAGES)
def test_embed_and_a_partner_page_with_several_widgets(
    browser: Browser, site: Site, axe_source: str, viewport: str, lang: str
) -> None:
    with opened_tab(browser, locale=lang, viewport=VIEWPORTS[viewport]) as tab:
        page = tab.page
        page.goto(f"{site.base}/embed?realm=ABS&lang={lang}")
        page.locator("chm-search li.chm-result").first.wait_for()
        check(page, axe_source, f"embed-{lang}-{viewport}")
        partner: Path = site.other_dir / f"widgets-{lang}.html"
        partner.write_text(
            PARTNER_PAGE.format(base=site.base, lang=lang, dir="rtl" if lang == "ar" else "ltr"), encoding="utf-8"
        )
        page.goto(f"{site.other_origin}/{partner.name}")
        for widget in page.locator("chm-search").all():
            widget.locator("li.chm-result").first.wait_for()
        check(page, axe_source, f"partner-{lang}-{viewport}")


@pytest.mark.parametrize("lang", LANGUAGES)
def test_curator_page_signed_out(browser: Browser, site: Site, axe_source: str, viewport: str, lang: str) -> None:
    with opened_tab(browser, locale=lang, viewport=VIEWPORTS[viewport]) as tab:
        tab.page.goto(f"{site.base}/curate?lang={lang}")
        tab.page.wait_for_load_state("networkidle")
        check(tab.page, axe_source, f"curate-{lang}-{viewport}")


@pytest.mark.parametrize("lang", LANGUAGES)
def test_error_page(browser: Browser, site: Site, axe_source: str, viewport: str, lang: str) -> None:
    """What a browser gets for an address that is no page: HTML in the reader's language, not JSON."""
    with opened_tab(browser, locale=lang, viewport=VIEWPORTS[viewport]) as tab:
        response = tab.page.goto(f"{site.base}/no/such/page")
        assert response is not None and response.status == 404
        assert response.headers["content-type"].startswith("text/html")
        assert tab.page.locator("html").get_attribute("lang") == lang
        assert tab.page.locator("main.error-page h1").is_visible()
        check(tab.page, axe_source, f"error-404-{lang}-{viewport}")
    assert not tab.errors, tab.errors
