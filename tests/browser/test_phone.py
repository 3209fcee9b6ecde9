"""The search page on a phone (390×844) and its honest states, in real headless Chromium.

A reader on a phone sees the first result without scrolling; the filters are behind a button that
opens them in a sheet (the same facets); active filters are chips that remove themselves; every
control is a 44 px touch target. Whatever the width, a refused parameter, a rate limit and an
outage each say what happened (and the rate limit retries by itself); a slow search says so.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

from tests.browser.conftest import PHONE, Site, Tab, opened_tab
from tests.browser.helpers import api_search, settle, shown_total

expect = pytest.importorskip("playwright.sync_api", reason="Playwright is not installed (pip install '.[dev]')").expect

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Locator, Page, Route

TOUCH_PX = 44


@pytest.fixture
def phone(browser: Browser) -> Iterator[Tab]:
    with opened_tab(browser, viewport=PHONE) as tab:
        yield tab
    assert not tab.errors, tab.errors


@pytest.mark.parametrize("lang", ["en", "ar", "zh"])
def test_first_result_is_above_the_fold_and_filters_are_behind_a_button(
    browser: Browser, site: Site, lang: str
) -> None:
    with opened_tab(browser, viewport=PHONE) as tab:
        page = tab.page
        page.goto(f"{site.base}/?lang={lang}")
        settle(page)
        first = page.locator("#results > li").first.bounding_box()
        assert first is not None and first["y"] + 40 < PHONE["height"], first
        expect(page.locator("#status")).to_be_in_viewport()
        expect(page.locator("#facets-panel")).to_be_hidden()
        expect(page.locator("#filters-toggle")).to_be_visible()
    assert not tab.errors, tab.errors


@pytest.mark.parametrize("lang", ["fr", "ru", "ar"])
def test_a_cards_date_is_never_broken_across_lines(browser: Browser, site: Site, lang: str) -> None:
    with opened_tab(browser, viewport=PHONE) as tab:
        page = tab.page
        page.goto(f"{site.base}/?lang={lang}&q=biodiversity")
        settle(page)
        # The lines each date's boxes lie on (an Arabic date's marks make several boxes on one line).
        lines = page.locator("#results .chm-result-meta time").evaluate_all(
            "times => times.map((t) => [t.textContent,"
            " new Set([...t.getClientRects()].map((r) => Math.round(r.top))).size])"
        )
        assert len(lines) >= 3 and [date for date, count in lines if count != 1] == [], lines
    assert not tab.errors, tab.errors


def _open_filters_sheet(page: Page, site: Site) -> Locator:
    """The search page in English on a phone, its filters sheet open (holding the facets)."""
    page.goto(f"{site.base}/?lang=en")
    settle(page)
    page.click("#filters-toggle")
    sheet = page.locator("#filters-sheet")
    expect(sheet).to_be_visible()
    assert page.evaluate("() => !!document.querySelector('#filters-sheet #facets')")
    return sheet


def test_the_filters_sheet_selects_applies_and_gives_the_facets_back(phone: Tab, site: Site) -> None:
    page = phone.page
    sheet = _open_filters_sheet(page, site)
    abs_box = sheet.locator('#facets input[name="realm"][value="ABS"]')
    abs_box.check()
    expect(page).to_have_url(re.compile(r"realm=ABS"))
    settle(page)
    total = api_search(site.base, lang="en", realm="ABS")["total"]
    expect(page.locator("#filters-apply")).to_have_text(f"Show {total} results")
    page.click("#filters-apply")
    # The facets are back in their column as the sheet closes (one set of controls, never a copy),
    # not a task later when the dialog's "close" event comes.
    assert page.locator("#facets").count() == 1
    assert page.evaluate("() => !!document.querySelector('#facets-panel #facets')")
    expect(sheet).to_be_hidden()
    assert shown_total(page) == total
    expect(page.locator("#filters-count")).to_have_text("(1)")
    expect(page.locator("#filters-toggle")).to_be_focused()


def test_escape_closes_the_filters_sheet_and_gives_the_facets_back(phone: Tab, site: Site) -> None:
    page = phone.page
    sheet = _open_filters_sheet(page, site)
    page.keyboard.press("Escape")
    expect(sheet).to_be_hidden()
    expect(page.locator("#facets-panel #facets")).to_have_count(1)
    assert page.locator("#facets").count() == 1
    expect(page.locator("#filters-toggle")).to_be_focused()
    assert not phone.errors, phone.errors


def test_active_filters_are_chips_that_remove_one_filter(phone: Tab, site: Site) -> None:
    page = phone.page
    page.goto(f"{site.base}/?lang=en&realm=ABS&realm=BCH")
    settle(page)
    chips = page.locator("#chips .chip")
    expect(chips).to_have_count(2)
    expect(chips.first).to_have_attribute("aria-label", re.compile(r"^Remove filter: Clearing-house: "))
    chips.first.click()
    settle(page)
    expect(chips).to_have_count(1)
    url = page.url
    assert url.count("realm=") == 1
    remaining = re.search(r"realm=(\w+)", url)
    assert remaining is not None
    assert shown_total(page) == api_search(site.base, lang="en", realm=remaining.group(1))["total"]


def test_controls_are_touch_sized(phone: Tab, site: Site) -> None:
    page = phone.page
    page.goto(f"{site.base}/?lang=en&q=biodiversity&realm=ABS")
    settle(page)
    small = page.evaluate(
        """(min) => [...document.querySelectorAll(
             'button:not([hidden]), select, input[type=search], #pager a, .chm-details')]
           .filter((el) => el.offsetParent !== null)
           .map((el) => ({ what: el.id || el.className || el.tagName, h: el.getBoundingClientRect().height }))
           .filter((box) => box.h < min)""",
        TOUCH_PX - 0.5,
    )
    assert small == []
    # And their words sit in the middle of the box (a link made taller kept them at its top).
    off_centre = page.evaluate(
        """() => [...document.querySelectorAll('.chm-details, .export a, #pager a, button.relax-remove')]
           .filter((el) => el.offsetParent !== null)
           .map((el) => {
             const range = document.createRange();
             range.selectNodeContents(el);
             const text = range.getBoundingClientRect(), box = el.getBoundingClientRect();
             return { what: el.className, off: (text.top + text.bottom) / 2 - (box.top + box.bottom) / 2 };
           })
           .filter((item) => Math.abs(item.off) > 3)"""
    )
    assert off_centre == []
    page.click("#filters-toggle")
    labels = page.evaluate(
        "() => [...document.querySelectorAll('#filters-sheet .facet label')]"
        ".map((label) => label.getBoundingClientRect().height)"
    )
    assert labels and min(labels) >= TOUCH_PX - 0.5


def test_browsing_defaults_to_newest_first(tab: Tab, site: Site) -> None:
    page = tab.page
    page.goto(f"{site.base}/?lang=en")
    settle(page)
    expect(page.locator("#sort")).to_have_value("newest")
    dates = [d for d in page.locator("#results time").evaluate_all("ts => ts.map(t => t.dateTime)") if d]
    assert len(dates) > 3 and dates == sorted(dates, reverse=True)
    page.goto(f"{site.base}/?lang=en&q=*")
    settle(page)
    assert shown_total(page) == api_search(site.base, lang="en")["total"] > 3


def test_an_inverted_year_range_names_the_parameter(tab: Tab, site: Site) -> None:
    page = tab.page
    page.goto(f"{site.base}/?lang=en&year_from=2020&year_to=2010")
    settle(page)
    status = page.locator("#status")
    expect(status).to_have_attribute("data-state", "invalid")
    expect(status).to_have_text("This search cannot be run: the value given for “Year” is not valid.")
    # The refused filter is still there to remove.
    page.locator("#chips .chip").first.click()
    settle(page)
    assert shown_total(page) > 0


@pytest.mark.parametrize(
    ("lang", "name"), [("es", "«Año»"), ("zh", "“年份”"), ("ar", "«السنة»"), ("fr", "« Clearing-house »")]
)
def test_a_refused_parameter_is_named_in_the_readers_language(tab: Tab, site: Site, lang: str, name: str) -> None:
    """The page says in the reader's language which of its controls holds the refused value (by
    the title the reader sees on it), and nothing of the API's English detail (that goes to the console)."""
    page = tab.page
    query = "year_from=2020&year_to=2010" if lang != "fr" else "realm=XYZ"
    warnings: list[str] = []
    page.on("console", lambda message: warnings.append(message.text) if message.type == "warning" else None)
    page.goto(f"{site.base}/?lang={lang}&{query}")
    settle(page)
    status = page.locator("#status")
    expect(status).to_have_attribute("data-state", "invalid")
    title = page.evaluate(
        """async ([lang, key]) => (await import('/static/i18n.js')).translator(lang)(key)""",
        [lang, "facet_year" if lang != "fr" else "facet_realm"],
    )
    expect(status).to_contain_text(name.replace("Clearing-house", title))
    # That sentence and nothing else: no English words of the API's message after it.
    sentence = page.evaluate(
        "async ([lang, name]) => (await import('/static/i18n.js')).translator(lang)('errorInvalidNamed', { name })",
        [lang, title],
    )
    expect(status).to_have_text(sentence)
    parameter = "year_from" if lang != "fr" else "realm"
    # The developer's detail is in the console.
    assert any(parameter in warning for warning in warnings), warnings


def test_a_rate_limit_says_how_long_and_retries_by_itself(tab: Tab, site: Site) -> None:
    page = tab.page
    refused: list[str] = []

    def once_too_many(route: Route) -> None:
        if not refused:
            refused.append(route.request.url)
            route.fulfill(
                status=429,
                headers={"Retry-After": "1", "Content-Type": "application/json"},
                body='{"error": {"code": "rate_limited", "message": "too many requests"}}',
            )
        else:
            route.continue_()

    page.route("**/api/v1/search?*", once_too_many)
    page.goto(f"{site.base}/?lang=en&q=biodiversity")
    status = page.locator("#status")
    expect(status).to_have_attribute("data-state", "rate-limited")
    expect(status).to_contain_text("1 s")
    expect(page.locator("#results > li").first).to_be_visible(timeout=5_000)
    assert refused and shown_total(page) > 0


def test_an_outage_offers_a_retry(tab: Tab, site: Site) -> None:
    page = tab.page
    page.route("**/api/v1/search?*", lambda route: route.abort())
    page.goto(f"{site.base}/?lang=en&q=biodiversity")
    settle(page)
    expect(page.locator("#status")).to_have_attribute("data-state", "outage")
    page.unroute("**/api/v1/search?*")
    page.click("#retry")
    settle(page)
    expect(page.locator("#results > li").first).to_be_visible()
    expect(page.locator("#retry")).to_have_count(0)


def test_a_slow_search_shows_that_it_is_searching(tab: Tab, site: Site) -> None:
    page = tab.page
    page.goto(f"{site.base}/?lang=en")
    settle(page)

    def slow(route: Route) -> None:
        page.wait_for_timeout(1_200)
        route.continue_()

    page.route("**/api/v1/search?*", slow)
    page.fill("#q", "biodiversity")
    page.press("#q", "Enter")
    expect(page.locator("#status.loading")).to_have_text("Searching…")
    settle(page)
    expect(page.locator("#status.loading")).to_have_count(0)
