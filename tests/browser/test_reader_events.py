"""Readers' events end to end in real headless Chromium: the search page's beacon reports a search
that found nothing and the records opened from the results; the curator page's "What readers
need" shows them for French with its charts, and sends the queue to the sentences read most.

The server and its catalogue are those of ``test_curate.py`` (a real en→fr model, records
ingested and translated with the CLI, curator keys).
"""

from __future__ import annotations

import re
import time
from typing import TYPE_CHECKING

import pytest

from tests.browser.conftest import Tab
from tests.browser.test_curate import CAT, Curation, settled, shot, sign_in
from tests.browser.test_curate import curation as curation_fixture

expect = pytest.importorskip("playwright.sync_api", reason="Playwright is not installed (pip install '.[dev]')").expect

if TYPE_CHECKING:
    from playwright.sync_api import Page

curation = curation_fixture


def overview(curation: Curation) -> dict[str, object]:
    body = curation.api("GET", "events/overview", lang="fr")
    assert isinstance(body, dict), body
    return body


def search(page: Page, base: str, q: str) -> None:
    page.goto(f"{base}/?q={q}&lang=fr")
    page.wait_for_selector('#main[aria-busy="false"]', state="attached")
    expect(page.locator("#status")).to_have_attribute("data-total", re.compile(r"\d+"))


def test_the_page_reports_what_readers_do_and_curators_review_what_they_read(tab: Tab, curation: Curation) -> None:
    page = tab.page
    search(page, curation.base, "mangroves")
    expect(page.locator("#status")).to_have_attribute("data-total", "0")
    search(page, curation.base, "cat")
    result = page.locator('#results li.chm-result[data-id="CURATE-CAT"]')
    expect(result).to_have_count(1)
    for _ in range(2):  # the reader opens the record's page twice from the results: two views
        result.locator("a.chm-details").click()
        expect(page).to_have_url(re.compile(r"/record/CURATE-CAT\?lang=fr"))
        expect(page.locator("h1.record-title")).to_contain_text("chat")
        page.go_back()  # leaving the record's page sends its view
        expect(result).to_have_count(1)
    page.goto(f"{curation.base}/curate")  # leaving the results sends what is queued

    deadline = time.monotonic() + 10
    while not overview(curation)["most_viewed"] and time.monotonic() < deadline:
        time.sleep(0.2)
    body = overview(curation)
    assert [(r["id"], r["views"], r["clicks"]) for r in body["most_viewed"]] == [("CURATE-CAT", 2, 0)]  # type: ignore[union-attr,index]
    assert [(m["query"], m["searches"]) for m in body["zero_results"]] == [("mangroves", 1)]  # type: ignore[union-attr,index]
    today = body["trend"][-1]  # type: ignore[index]
    # the search is reported once, though the reader came back to its results twice
    assert (today["searches"], today["zero_results"], today["views"], today["clicks"]) == (2, 1, 2, 0)

    sign_in(page, curation)
    page.locator("#insights > summary").click()
    page.select_option("#insights-lang", "fr")
    insights = page.locator("#insights-body")
    expect(insights.locator("li[data-id=CURATE-CAT]")).to_contain_text("CURATE-CAT")
    expect(insights.locator("li[data-id=CURATE-CAT]")).to_contain_text("2 opened, 0 followed")
    expect(insights).to_contain_text("mangroves")
    expect(insights.locator("svg.insights-chart")).to_have_count(4)
    expect(insights.locator("svg.insights-chart").first).to_have_attribute(
        "aria-label", re.compile(r"Searches: 2 in 30 days")
    )
    machine = curation.api("GET", "translations", lang="fr", size=1)["total"]
    expect(insights.locator(".insights-backlog dt").first).to_have_text(str(machine))
    shot(page, "insights")

    page.locator("#insights-impact").click()
    expect(page).to_have_url(re.compile(r"order=impact"))
    expect(page).to_have_url(re.compile(r"lang=fr"))
    settled(page)
    expect(page.locator("#f-order")).to_have_value("impact")
    expect(page.locator("#queue .queue-item").first).to_contain_text(CAT)
    first = curation.api("GET", "translations", lang="fr", order="impact", size=1)["items"][0]
    assert first["source_text"] == CAT
