"""The curator page on what ``make demo`` leaves on a fresh machine: the samples ingested, no
translation model installed (none can be downloaded here), so nothing machine-translated. The
empty queue must say so in one line, with the commands that fill it."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import pytest

from tests.browser.conftest import DESKTOP, PHONE, Site, _environment, chm, opened_tab
from tests.browser.helpers import axe_violations, screenshot

expect = pytest.importorskip("playwright.sync_api", reason="Playwright is not installed (pip install '.[dev]')").expect

if TYPE_CHECKING:
    from playwright.sync_api import Browser


@pytest.fixture(scope="module")
def curator_key(site: Site) -> str:
    made = chm(_environment(site.data_dir), "keys", "create", "--role", "curator", "--name", "Demo Curator")
    return made.strip().splitlines()[-1]


@pytest.mark.parametrize(("lang", "viewport"), [("en", DESKTOP), ("fr", PHONE), ("ar", PHONE)])
def test_the_demos_empty_queue_says_why_and_what_to_do(
    browser: Browser, site: Site, curator_key: str, axe_source: str, lang: str, viewport: dict[str, int]
) -> None:
    with opened_tab(browser, locale=lang, viewport=viewport) as tab:
        page = tab.page
        page.goto(f"{site.base}/curate")
        page.locator("#api-key").fill(curator_key)
        page.keyboard.press("Enter")
        page.wait_for_selector('#queue[aria-busy="false"]', state="attached")
        empty = page.locator("#queue-empty")
        expect(empty).to_be_visible()
        expect(empty).to_have_attribute("data-reason", "no_models")
        # The commands stay commands (not translated, left to right) in every language.
        expect(empty.locator("code")).to_have_text(["chm-search models install en fr", "chm-search translate"])
        expect(empty.locator("code").first).to_have_attribute("dir", "ltr")
        if lang == "en":
            expect(empty).to_have_text(
                "Nothing has been machine-translated: no translation model is installed. "
                "Install one (chm-search models install en fr), then run chm-search translate."
            )
        expect(page.locator("#queue .queue-item")).to_have_count(0)
        expect(page.locator("#bulk")).to_be_hidden()
        size = "phone" if viewport == PHONE else "desktop"
        empty.scroll_into_view_if_needed()
        screenshot(page, f"curate-demo-empty-{lang}-{size}")
        found = axe_violations(page, axe_source)
        assert found == [], json.dumps(found, ensure_ascii=False, indent=1)
        assert not tab.errors, tab.errors
