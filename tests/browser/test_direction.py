"""Right-to-left done right: Arabic cards read right to left whatever the language of their parts."""

from __future__ import annotations

import itertools
import re
from typing import TYPE_CHECKING

import pytest

from tests.browser.conftest import PHONE, Site, Tab, opened_tab
from tests.browser.helpers import LINES, hugs_the_right, screenshot, settle

expect = pytest.importorskip("playwright.sync_api", reason="Playwright is not installed (pip install '.[dev]')").expect

if TYPE_CHECKING:
    from playwright.sync_api import Browser

# Each card: where its title starts and ends, where the card is, and the metadata pieces' boxes in
# DOM order (realm, type, country, date).
CARDS = """() => [...document.querySelectorAll('#results > li')].map((li) => {
  const card = li.getBoundingClientRect();
  const title = li.querySelector('.chm-result-title bdi').getBoundingClientRect();
  // A piece that wraps has one box per line: where it starts (first) and where it ends (last).
  const parts = [...li.querySelectorAll('.chm-result-meta > bdi')].map((b) => {
    const boxes = [...b.getClientRects()];
    const first = boxes[0], last = boxes[boxes.length - 1];
    return { first: { left: first.left, right: first.right, top: first.top },
             last: { left: last.left, right: last.right, top: last.top }, text: b.textContent };
  });
  return { id: li.dataset.id, cardRight: card.right, titleRight: title.right, titleLeft: title.left,
           titleLang: li.querySelector('.chm-result-title bdi').lang, parts };
})"""


@pytest.mark.parametrize("viewport", [None, PHONE], ids=["desktop", "phone"])
def test_arabic_cards_run_right_to_left_with_every_part_isolated(
    browser: Browser, site: Site, viewport: dict[str, int] | None
) -> None:
    with opened_tab(browser, locale="ar", viewport=viewport) as tab:
        page = tab.page
        page.goto(f"{site.base}/?lang=ar")
        settle(page)
        screenshot(page, f"arabic-cards-{'phone' if viewport else 'desktop'}")
        cards = page.evaluate(CARDS)
        assert len(cards) >= 5
        latin_titles = 0
        for card in cards:
            assert len(card["parts"]) >= 2, card  # realm and type at least, each isolated
            # The title starts where the page starts (the right), even a title in English or French.
            assert abs(card["cardRight"] - card["titleRight"]) < 24, card
            latin_titles += card["titleLang"] not in ("ar", "")
            # Realm, type, country, date: on one line, each next piece lies to the left of the one before.
            for before, after in itertools.pairwise(card["parts"]):
                end, start = before["last"], after["first"]
                if abs(start["top"] - end["top"]) < 2:
                    assert start["right"] <= end["left"] + 1, (card["id"], before, after)
        assert latin_titles >= 1  # the check above covered titles in another direction
        # A snippet in French or English reads left to right but lines up with the page, as the title
        # does: each of its lines ends at the card's right edge (was flush left, ragged on the right).
        foreign = page.locator("#results .chm-snippet:not([hidden])[dir=ltr]")
        assert foreign.count() >= 2
        for index in range(foreign.count()):
            snippet = foreign.nth(index)
            lines = snippet.evaluate(LINES)
            assert len(lines["lines"]) >= 2, lines  # wraps: a line that fills the box proves nothing alone
            assert hugs_the_right(lines), (snippet.inner_text()[:60], lines)
    assert not tab.errors, tab.errors


@pytest.mark.parametrize("lang", ["ar", "en", "es", "fr", "ru", "zh"])
def test_no_placeholder_is_left_unfilled(tab: Tab, site: Site, lang: str) -> None:
    """Every {name} in a UI string is filled: a string renamed on one side shows as '{results}'."""
    page = tab.page
    page.goto(f"{site.base}/?lang={lang}&q=biodiversity")
    settle(page)
    page.click("#facets button.link-button[aria-expanded]")  # "Show all (n)" of a long facet
    text = page.evaluate("() => document.body.innerText")
    assert not re.search(r"\{\w+\}", text), re.findall(r".{0,30}\{\w+\}.{0,30}", text)
