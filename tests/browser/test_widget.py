"""The ``<chm-search>`` widget on a partner's page served from another origin, and the /embed page."""

from __future__ import annotations

import re

import pytest

from tests.browser.conftest import XSS_ID, XSS_WORD, Site, Tab, _environment, chm
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
    # The placeholder names the one clearing-house it searches.
    expect(widget.locator("input[type=search]")).to_have_attribute(
        "placeholder", "Rechercher dans le Centre d'échange sur l'APA"
    )

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
    with page.expect_response(lambda r: "/api/v1/search" in r.url and "q=recherche" in r.url):
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
    assert [m.lower() for m in item.locator(".chm-snippet mark").all_inner_texts()] == [XSS_WORD]
    assert [m.lower() for m in item.locator(".chm-result-title mark").all_inner_texts()] == [XSS_WORD]
    page.wait_for_timeout(200)  # an injected <img onerror> would have fired by now
    # No element from the record: the only images are cards' flags, from the API's own flag set.
    assert page.locator("#hostile script, #hostile img:not(.chm-flag)").count() == 0
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


LATEST_PAGE = """<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8" />
    <title>A partner's news page</title>
    <script type="module" src="{base}/widget.js"></script>
  </head>
  <body>
    <chm-search id="latest" api="{base}" lang="en" realm="abs" size="3"></chm-search>
    <chm-search id="odd" api="{base}" lang="xx" realm="ABS,XYZ" government="fra" size="0"></chm-search>
  </body>
</html>
"""


def test_widget_lists_the_latest_records_of_its_presets_before_anything_is_typed(tab: Tab, site: Site) -> None:
    page = tab.page
    warnings: list[str] = []
    page.on("console", lambda message: warnings.append(message.text) if message.type == "warning" else None)
    (site.other_dir / "latest.html").write_text(LATEST_PAGE.format(base=site.base), encoding="utf-8")
    page.goto(f"{site.other_origin}/latest.html")
    widget = page.locator("#latest")
    results = widget.locator("li.chm-result")
    expect(results).to_have_count(3)  # nothing typed
    assert set(results.evaluate_all("items => items.map(i => i.dataset.realm)")) == {"ABS"}  # "abs" is ABS
    dates = [d for d in widget.locator("li.chm-result time").evaluate_all("ts => ts.map(t => t.dateTime)") if d]
    assert dates == sorted(dates, reverse=True)
    expect(widget.locator("input[type=search]")).to_have_attribute("placeholder", "Search the ABS Clearing-House")
    expected = api_search(site.base, lang="en", realm="ABS", size=3)
    assert results.evaluate_all("items => items.map(i => i.dataset.id)") == [r["id"] for r in expected["results"]]
    # Values it cannot use are named in the console and left out; the rest still works.
    odd = page.locator("#odd")
    expect(odd.locator("li.chm-result").first).to_be_visible()
    assert set(odd.locator("li.chm-result").evaluate_all("items => items.map(i => i.dataset.realm)")) == {"ABS"}
    expect(odd.locator("li.chm-result")).to_have_count(5)  # size="0" falls back to 5
    for bad in ('lang="xx"', 'realm="XYZ"', 'government="fra"', 'size="0"'):
        assert any(bad in warning for warning in warnings), (bad, warnings)
    assert not any('realm="abs"' in warning for warning in warnings)


REFUSED_PAGE = """<!doctype html>
<html lang="en">
  <head><meta charset="utf-8" /><title>Refused</title><script type="module" src="{base}/widget.js"></script></head>
  <body>
    <main>
      <h1>A partner whose key is limited to the ABS Clearing-House</h1>
      <chm-search id="outside" lang="fr" realm="BCH" key="{key}"></chm-search>
      <chm-search id="unknown" lang="ar" key="chm_not-a-key"></chm-search>
    </main>
  </body>
</html>
"""


def test_a_refused_widget_search_is_said_in_the_readers_language_only(tab: Tab, site: Site) -> None:
    """A preset outside its key's scope (the API's 403 "realm: this key's searches are limited to
    ABS") is named by the facet's title in the widget's language; an unknown key is said to be
    one. None of the API's English reaches the reader; it goes to the console for the partner."""
    scope = ["--preset", "realm=ABS", "--origin", site.other_origin]
    made = chm(_environment(site.data_dir), "keys", "create", "--role", "partner", "--name", "narrow partner", *scope)
    (site.other_dir / "refused.html").write_text(
        REFUSED_PAGE.format(base=site.base, key=made.strip()), encoding="utf-8"
    )
    page = tab.page
    warnings: list[str] = []
    page.on("console", lambda message: warnings.append(message.text) if message.type == "warning" else None)
    page.goto(f"{site.other_origin}/refused.html")
    outside = page.locator("#outside .chm-status")
    expect(outside).to_have_text(
        "Cette recherche ne peut pas être lancée : la valeur donnée pour « Centre d'échange » n'est pas valide."
    )
    expect(page.locator("#unknown .chm-status")).to_have_text(
        "تعذّر إجراء هذا البحث: لا تقبل الخدمة مفتاح البحث الخاص بهذا الموقع."
    )
    expect(page.locator("#outside li.chm-result")).to_have_count(0)
    assert any("limited to ABS" in warning for warning in warnings), warnings


IFRAME_PAGE = """<!doctype html>
<html lang="en">
  <head><meta charset="utf-8" /><title>A partner's page with the iframe</title></head>
  <body>
    <iframe id="chm" src="{base}/embed?realm=ABS&amp;lang=en&amp;size=4" title="CBD search"
            style="width: 100%; height: 150px; border: 0"></iframe>
    <script>
      addEventListener("message", (event) => {{
        if (event.origin !== "{base}" || event.data?.type !== "chm-search:resize") return;
        for (const frame of document.querySelectorAll("iframe")) {{
          if (frame.contentWindow === event.source) frame.style.height = `${{event.data.height}}px`;
        }}
      }});
    </script>
  </body>
</html>
"""


def test_the_iframe_grows_with_its_content(tab: Tab, site: Site) -> None:
    page = tab.page
    (site.other_dir / "iframe.html").write_text(IFRAME_PAGE.format(base=site.base), encoding="utf-8")
    page.goto(f"{site.other_origin}/iframe.html")
    frame = page.frame_locator("#chm")
    expect(frame.locator("li.chm-result")).to_have_count(4)
    page.wait_for_function("document.getElementById('chm').getBoundingClientRect().height > 300")
    inner = page.frames[1].evaluate("() => document.documentElement.getBoundingClientRect().height")
    outer = page.evaluate("() => document.getElementById('chm').getBoundingClientRect().height")
    assert abs(outer - inner) <= 2, (outer, inner)
    # And shrinks with it: a search that finds nothing leaves no tall empty frame behind.
    frame.locator("input[type=search]").fill(XSS_WORD)  # a CHM record's word: nothing in ABS
    frame.locator("input[type=search]").press("Enter")
    expect(frame.locator("li.chm-result")).to_have_count(0)
    page.wait_for_function(
        "(tall) => document.getElementById('chm').getBoundingClientRect().height < tall - 100", arg=outer
    )
    inner = page.frames[1].evaluate("() => document.documentElement.getBoundingClientRect().height")
    small = page.evaluate("() => document.getElementById('chm').getBoundingClientRect().height")
    assert abs(small - inner) <= 2, (small, inner)


def test_embed_searches_this_server_only(tab: Tab, site: Site) -> None:
    response = tab.page.goto(f"{site.base}/embed?realm=ABS&api=https://elsewhere.example")
    assert response is not None and response.status == 422
