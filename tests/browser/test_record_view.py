"""The record view of a machine-translated record, read in Arabic on a phone and on a laptop
(headless Chromium): right to left, the translation said in plain words with the original one
click away, no operator text, its own address that Back leaves for the results.

The server has its own catalogue: one English record ingested with ``chm-search ingest``, then
the Arabic versions a translate worker writes (machine title and summary) and the pending French
row it leaves when it has no model (with its operator hint), then ``chm-search reindex``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

from tests.browser.conftest import DESKTOP, PHONE, one_record_site, opened_tab
from tests.browser.helpers import LINES, axe_violations, hugs_the_right, screenshot, settle
from tests.catalogue_rows import machine

# The module-scoped `arabic_site` is set up once: under pytest-xdist this module's tests share a worker.
pytestmark = pytest.mark.xdist_group(__name__)

expect = pytest.importorskip("playwright.sync_api", reason="Playwright is not installed (pip install '.[dev]')").expect

if TYPE_CHECKING:
    from playwright.sync_api import Browser

ID = "RECORD-VIEW-AR-1"
RECORD = {
    "header": {"identifier": ID, "schema": "absPermit", "languages": ["en"]},
    "government": {"identifier": "pe"},
    "title": {"en": "Permit for Brazil nut research in Madre de Dios"},
    "summary": {"en": "Access to Bertholletia excelsa seeds for research on seed oil, granted in 2019."},
    "updatedOn": "2019-06-01T00:00:00.000Z",
}
ARABIC_TITLE = "تصريح لإجراء بحوث على جوز البرازيل في مادري دي ديوس"
ARABIC_SUMMARY = "الحصول على بذور Bertholletia excelsa لإجراء بحوث على زيت البذور، مُنح في عام 2019."
PENDING_HINT = "no translation model for en→fr; install one with: chm-search models install en fr"
# What only operators should read: never on a reader's page.
OPERATOR_TEXT = ("pending", "chm-search", "models install", "argos", "translate-en_ar", "glossary")


@pytest.fixture(scope="module")
def arabic_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    model = "translate-en_ar-1_0"
    with one_record_site(
        tmp_path_factory.mktemp("record-view"),
        RECORD,
        machine(ID, "title", "ar", ARABIC_TITLE, model=model),
        machine(ID, "summary", "ar", ARABIC_SUMMARY, model=model),
        machine(ID, "title", "fr", "", model=model, status="pending", status_reason=PENDING_HINT),
    ) as base:
        yield base


@pytest.mark.parametrize("viewport", ["phone", "desktop"])
def test_a_machine_translated_record_in_arabic_reads_right_to_left_with_the_original_one_click_away(
    browser: Browser, arabic_site: str, axe_source: str, viewport: str
) -> None:
    size = PHONE if viewport == "phone" else DESKTOP
    with opened_tab(browser, locale="ar", viewport=size) as tab:
        page = tab.page
        page.goto(f"{arabic_site}/?lang=ar&q=Bertholletia")
        settle(page)
        card = page.locator("#results > li").first
        expect(card.locator(".chm-title-text")).to_have_text(ARABIC_TITLE)
        card.locator("a.chm-details").click()  # "All languages and details"
        expect(page).to_have_url(re.compile(rf"/record/{ID}\?lang=ar$"))

        html = page.locator("html")
        expect(html).to_have_attribute("dir", "rtl")
        expect(html).to_have_attribute("lang", "ar")
        heading = page.locator("h1")
        expect(heading).to_have_text(ARABIC_TITLE)
        # Right to left: the title starts at the right edge of the page.
        box = heading.bounding_box()
        assert box is not None and box["x"] + box["width"] > size["width"] * 0.8, box
        # The mark of the link to the clearing-house points up and to the left, as the line runs.
        mark = page.locator("a.record-source .record-external")
        # Waited for: read at once, the style could be computed before record.css had loaded (seen once in CI).
        expect(mark).to_have_css("transform", "matrix(-1, 0, 0, 1, 0, 0)")
        # Plain words; the original behind one click, in its own language and direction.
        expect(page.locator("main")).to_contain_text("ترجمة آلية من الأصل باللغة")
        original = page.locator("details.record-original").first
        expect(original.locator(".version-text")).to_be_hidden()
        screenshot(page, f"record-machine-ar-{viewport}")
        original.locator("summary").click()
        text = original.locator(".version-text")
        expect(text).to_be_visible()
        expect(text).to_have_attribute("lang", "en")
        expect(text).to_have_attribute("dir", "ltr")
        expect(text).to_contain_text("Permit for Brazil nut research in Madre de Dios")
        # Left to right inside, lined up with the Arabic page: it ends at the right edge.
        assert hugs_the_right(text.evaluate(LINES)), text.evaluate(LINES)
        screenshot(page, f"record-machine-ar-original-{viewport}")
        shown = page.locator("body").inner_text()
        assert not [word for word in OPERATOR_TEXT if word in shown], shown
        found = axe_violations(page, axe_source)
        assert found == [], json.dumps(found, ensure_ascii=False, indent=1)
        # Back closes the record view: the results, as they were.
        page.go_back()
        expect(page).to_have_url(re.compile(r"/\?lang=ar&q=Bertholletia$"))
        settle(page)
        expect(page.locator("#results > li").first.locator(".chm-title-text")).to_have_text(ARABIC_TITLE)
        assert not tab.errors, tab.errors
