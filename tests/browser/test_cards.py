"""Result cards as a reader sees them: highlighted title words, the CBD identifier, the record-type
badge, a country flag, the external-link mark and its accessible name (headless Chromium)."""

from __future__ import annotations

import re

import pytest

from tests.browser.conftest import Site, Tab
from tests.browser.helpers import api_search, settle

expect = pytest.importorskip("playwright.sync_api", reason="Playwright is not installed (pip install '.[dev]')").expect


def test_a_card_highlights_its_title_and_shows_identifier_type_flag_and_external_mark(tab: Tab, site: Site) -> None:
    page = tab.page
    page.goto(f"{site.base}/?q=clearing-house+mechanism&lang=en")
    settle(page)
    expected = api_search(site.base, q="clearing-house mechanism", lang="en")
    index, result = next(
        (i, r) for i, r in enumerate(expected["results"]) if r["cbd_id"] and "<mark>" in r["title_highlighted"]
    )
    card = page.locator("#results > li").nth(index)
    # The title's matched words, as the API marked them; the whole title as text.
    assert card.locator(".chm-result-title mark").all_inner_texts() == re.findall(
        r"<mark>(.*?)</mark>", result["title_highlighted"]
    )
    expect(card.locator(".chm-title-text")).to_have_text(result["title"])
    expect(card.locator(".chm-cbd-id")).to_have_text(result["cbd_id"])
    expect(card.locator(".chm-type-badge")).to_have_text(
        next(f["label"] for f in expected["facets"]["schema"] if f["value"] == result["schema"])
    )
    # A link to the clearing-house opens a new tab: a visible mark, and a name that says so.
    link = card.locator(".chm-result-link")
    expect(link).to_have_attribute("target", "_blank")
    expect(link.locator("svg.chm-external")).to_have_attribute("aria-hidden", "true")
    expect(link).to_have_accessible_name(re.compile(re.escape(result["title"]) + r".*opens in a new tab"))


def test_a_country_is_shown_with_its_flag_from_the_vendored_set(tab: Tab, site: Site) -> None:
    page = tab.page
    page.goto(f"{site.base}/?lang=es&government=pe")
    settle(page)
    flags = page.locator("#results .chm-government img.chm-flag")
    expect(flags.first).to_be_visible()
    assert flags.count() == page.locator("#results > li").count() >= 1
    expect(flags.first).to_have_attribute("alt", "")  # the country's name is written beside it
    src = flags.first.get_attribute("src") or ""
    assert src.endswith("/static/flags/pe.svg")
    # The flag is a real image the browser drew (not a broken one).
    assert page.evaluate("img => img.complete && img.naturalWidth > 0", flags.first.element_handle())
    expect(page.locator("#results .chm-government").first).to_contain_text("Perú")


def test_a_long_summary_is_cut_between_words_with_an_ellipsis(tab: Tab, site: Site) -> None:
    page = tab.page
    page.goto(f"{site.base}/?lang=en&realm=ABS")
    settle(page)
    expected = api_search(site.base, lang="en", realm="ABS")
    index, result = next((i, r) for i, r in enumerate(expected["results"]) if r["summary"] and len(r["summary"]) > 400)
    shown = page.locator("#results > li").nth(index).locator(".chm-snippet").inner_text()
    assert shown.endswith("…") and len(shown) < len(result["summary"])
    kept = shown[:-1]
    assert result["summary"].startswith(kept)
    assert not result["summary"][len(kept)].isalnum()  # the cut falls between words
