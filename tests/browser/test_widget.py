"""The ``<chm-search>`` widget on a partner's page served from another origin, and the /embed page."""

from __future__ import annotations

import re

import pytest

from tests.browser.conftest import XSS_ID, XSS_WORD, Site, Tab
from tests.browser.helpers import api_search

expect = pytest.importorskip("playwright.sync_api", reason="Playwright is not installed (pip install '.[dev]')").expect

PARTNER_PAGE = """<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8" />
    <title>A partner's site</title>
    <style>
      li {{ border: 7px solid rgb(255, 0, 0); }}
      button {{ background: rgb(255, 0, 0); }}
    </style>
    <script type="module" src="{base}/widget.js"></script>
  </head>
  <body>
    <h1>A partner's site</h1>
    <chm-search id="abs" api="{base}" lang="fr" realm="ABS" size="3"></chm-search>
    <chm-search id="hostile" api="{base}" lang="en" q="{word}"></chm-search>
  </body>
</html>
"""


def partner_page(site: Site) -> str:
    (site.other_dir / "partner.html").write_text(PARTNER_PAGE.format(base=site.base, word=XSS_WORD), encoding="utf-8")
    return f"{site.other_origin}/partner.html"


def test_widget_works_from_another_origin_with_presets(tab: Tab, site: Site) -> None:
    page = tab.page
    page.goto(partner_page(site))
    page.wait_for_function("customElements.get('chm-search') !== undefined")
    widget = page.locator("#abs")
    expect(widget.locator("button[type=submit]")).to_have_text("Rechercher")  # lang="fr"
    expect(widget.locator("input[type=search]")).to_have_attribute("placeholder", re.compile("centres d'échange"))

    with page.expect_response(lambda r: "/api/v1/search" in r.url and "realm=ABS" in r.url) as response:
        widget.locator("input[type=search]").press("Enter")  # empty query: browse the preset realm
    # Cross-origin: the API allowed exactly the partner's origin.
    assert response.value.headers.get("access-control-allow-origin") == site.other_origin
    assert "lang=fr" in response.value.url and "size=3" in response.value.url
    expected = api_search(site.base, lang="fr", realm="ABS", size=3)
    results = widget.locator("li.chm-result")
    expect(results).to_have_count(3)
    assert set(results.evaluate_all("items => items.map(i => i.dataset.realm)")) == {"ABS"}
    expect(widget.locator(".chm-status")).to_contain_text(f"{expected['total']} résultats")
    # The partner's styles do not reach inside the widget.
    assert results.first.evaluate("li => getComputedStyle(li).borderTopWidth") != "7px"
    assert widget.locator("button[type=submit]").evaluate("b => getComputedStyle(b).backgroundColor") != (
        "rgb(255, 0, 0)"
    )
    # Paging, and a link to the full search page with the same presets.
    widget.locator('button[data-page="next"]').click()
    expect(widget.locator("ol.chm-results")).to_have_attribute("start", "4")
    expect(widget.locator("a.chm-all")).to_have_attribute("href", re.compile(rf"^{site.base}/\?lang=fr&realm=ABS$"))

    # Typing a query: French words find the French-language ABS record.
    widget.locator("input[type=search]").fill("recherche")
    widget.locator("input[type=search]").press("Enter")
    expect(widget.locator(".chm-status")).to_contain_text("résultat")
    expect(widget.locator("li.chm-result mark").first).to_be_visible()


def test_a_record_with_markup_renders_as_text_in_the_widget(tab: Tab, site: Site) -> None:
    page = tab.page  # the partner's page has no Content Security Policy: escaping alone must hold
    page.goto(partner_page(site))
    item = page.locator(f'#hostile li.chm-result[data-id="{XSS_ID}"]')
    expect(item).to_have_count(1)
    expect(item.locator(".chm-result-title")).to_contain_text("<script>window.__xss = 'title'</script>")
    expect(item.locator(".chm-snippet")).to_contain_text("<img src=x onerror=")
    assert [m.lower() for m in item.locator("mark").all_inner_texts()] == [XSS_WORD]
    page.wait_for_timeout(200)  # an injected <img onerror> would have fired by now
    assert page.locator("#hostile script, #hostile img").count() == 0
    assert page.evaluate("window.__xss") is None


def test_embed_page_renders_the_widget_full_page_with_presets(tab: Tab, site: Site) -> None:
    page = tab.page
    page.goto(f"{site.base}/embed?realm=BCH&lang=ru&size=2")
    widget = page.locator("chm-search")
    expect(widget).to_have_attribute("realm", "BCH")
    expect(widget.locator("button[type=submit]")).to_have_text("Найти")
    widget.locator("input[type=search]").press("Enter")
    results = widget.locator("li.chm-result")
    expect(results).to_have_count(2)
    assert set(results.evaluate_all("items => items.map(i => i.dataset.realm)")) == {"BCH"}

    page.goto(f"{site.base}/embed?lang=ar&realm=CHM")
    expect(page.locator("html")).to_have_attribute("dir", "rtl")
    expect(page.locator("chm-search .chm-widget")).to_have_attribute("dir", "rtl")
    expect(page.locator("chm-search button[type=submit]")).to_have_text("بحث")
