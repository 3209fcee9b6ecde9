"""Result cards as a reader sees them: highlighted title words, the CBD identifier, the record-type
badge, a country flag, the external-link mark and its accessible name (headless Chromium)."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest

from tests.browser.conftest import AXE, Site, Tab, _environment, chm, one_record_site
from tests.browser.helpers import api_search, settle
from tests.browser.helpers import axe_violations as violations
from tests.catalogue_rows import machine
from tests.conftest import ROOT

# How long page.js waits after the last key before it searches (read from it, so the two agree).
PAGE_JS = (ROOT / "search_api/static/page.js").read_text(encoding="utf-8")
TYPING_PAUSE_MS = int(re.findall(r"TYPING_DELAY_MS = (\d+)", PAGE_JS)[0])

# The module-scoped `translated_site` is set up once: under pytest-xdist this module's tests share a worker.
pytestmark = pytest.mark.xdist_group(__name__)

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
    # The flag is a real image the browser drew (not a broken one). Lazy-loaded: waited for, as a
    # loaded machine may fetch it after the results are drawn (a broken image never gets a width).
    page.wait_for_function(
        "img => img.complete && img.naturalWidth > 0", arg=flags.first.element_handle(), timeout=15_000
    )
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


def test_a_long_facet_has_a_search_box_that_narrows_its_values(tab: Tab, site: Site) -> None:
    page = tab.page
    page.goto(f"{site.base}/?lang=es")
    settle(page)
    facet = page.locator('#facets [data-facet="government"]')
    values = api_search(site.base, lang="es")["facets"]["government"]
    assert len(values) > 8  # a long facet: only those get the box
    box = facet.locator("input.facet-filter")
    expect(box).to_have_accessible_name("Buscar en País")
    expect(page.locator('#facets [data-facet="realm"] input.facet-filter')).to_have_count(0)
    box.fill("peru")  # without the accent, in lower case
    expect(facet.locator("li")).to_have_count(1)
    expect(facet.locator("li .facet-label")).to_have_text("Perú")
    box.fill("zzzz")
    expect(facet.locator("li")).to_have_count(0)
    expect(facet.locator(".facet-none")).to_have_text("Ningún valor coincide.")
    box.fill("")
    expect(facet.locator("li")).to_have_count(8)  # the preview again, with "show all"
    box.fill("per")
    facet.locator("li input").first.check()
    expect(page).to_have_url(re.compile(r"government=pe"))
    settle(page)
    # The facet is drawn again with the new counts: the typed text stays and still narrows it.
    expect(page.locator('#facets [data-facet="government"] input.facet-filter')).to_have_value("per")
    expect(page.locator('#facets [data-facet="government"] li')).to_have_count(1)


def test_results_come_as_you_type_after_a_pause_with_the_url_kept_in_step(tab: Tab, site: Site) -> None:
    page = tab.page
    page.clock.install()  # the page's timers on a clock the test moves, however slow the machine
    page.goto(f"{site.base}/?lang=en")
    settle(page)
    searches: list[str] = []
    page.on("request", lambda request: searches.append(request.url) if "/api/v1/search?" in request.url else None)
    history = page.evaluate("history.length")
    # Typed with the clock stopped: each key well within the pause (a loaded machine's real gaps
    # between keys once outlasted it), then the pause, then time flows again.
    page.clock.pause_at(page.evaluate("Date.now()") + 1_000)
    page.locator("#q").press_sequentially("bertholletia")
    assert searches == []
    page.clock.run_for(TYPING_PAUSE_MS)
    page.clock.resume()
    expect(page).to_have_url(re.compile(r"\?q=bertholletia&lang=en$"))
    settle(page)
    expected = api_search(site.base, q="bertholletia", lang="en")
    expect(page.locator("#status")).to_have_attribute("data-total", str(expected["total"]))
    assert len(searches) == 1, searches
    assert page.evaluate("history.length") == history  # replaceState: typing leaves no trail
    page.locator("#q").fill("")
    expect(page).to_have_url(re.compile(r"\?lang=en$"))  # emptied: browsing again


def test_the_current_results_can_be_downloaded_as_csv_and_json(tab: Tab, site: Site) -> None:
    page = tab.page
    page.goto(f"{site.base}/?q=biodiversity&lang=fr&realm=CHM")
    settle(page)
    csv_link = page.locator('#export a[data-format="csv"]')
    expect(csv_link).to_have_text("CSV (tableur)")
    href = csv_link.get_attribute("href") or ""
    assert "search/export?" in href and "format=csv" in href and "realm=CHM" in href and "q=biodiversity" in href
    head = page.evaluate("async (url) => [...new Uint8Array(await (await fetch(url)).arrayBuffer()).slice(0, 3)]", href)
    assert head == [0xEF, 0xBB, 0xBF]
    body = page.evaluate(
        "async (url) => (await fetch(url)).json()", page.locator('#export a[data-format="json"]').get_attribute("href")
    )
    expected = api_search(site.base, q="biodiversity", lang="fr", realm="CHM", size=100)
    assert [r["id"] for r in body["results"]] == [r["id"] for r in expected["results"]]


# --- the show-original switch, on a server whose catalogue holds a machine translation -----------

TRANSLATED_RECORD = {
    "header": {"identifier": "CARD-TOGGLE-1", "schema": "absPermit", "languages": ["en"]},
    "government": {"identifier": "pe"},
    "title": {"en": "Permit for Brazil nut research in Madre de Dios"},
    "summary": {"en": "Access to Bertholletia excelsa seeds for research on seed oil."},
}
FRENCH_TITLE = "Permis pour la recherche sur la noix du Brésil à Madre de Dios"
FRENCH_SUMMARY = "Accès aux graines de Bertholletia excelsa pour la recherche sur l'huile."


@pytest.fixture(scope="module")
def translated_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Its own server: one English record with a machine translation into French, indexed."""
    with one_record_site(
        tmp_path_factory.mktemp("cards-toggle"),
        TRANSLATED_RECORD,
        machine("CARD-TOGGLE-1", "title", "fr", FRENCH_TITLE),
        machine("CARD-TOGGLE-1", "summary", "fr", FRENCH_SUMMARY),
    ) as base:
        yield base


def test_a_machine_translated_card_switches_to_its_original_in_place(tab: Tab, translated_site: str) -> None:
    page = tab.page
    page.goto(f"{translated_site}/?q=graines&lang=fr")
    settle(page)
    card = page.locator("#results > li").first
    title = card.locator(".chm-title-text")
    expect(title).to_have_text(FRENCH_TITLE)
    expect(title.locator("mark")).to_have_count(0)  # "graines" is in the summary, not the title
    expect(card.locator(".chm-snippet mark")).to_have_text(["graines"])
    toggle = card.locator("button.chm-toggle-original")
    expect(toggle).to_have_text("Afficher l'original (anglais)")
    toggle.click()
    expect(title).to_have_text(TRANSLATED_RECORD["title"]["en"])
    expect(title).to_have_attribute("lang", "en")
    expect(card.locator(".chm-snippet")).to_have_text(TRANSLATED_RECORD["summary"]["en"])
    expect(card.locator(".chm-snippet")).to_have_attribute("lang", "en")
    expect(toggle).to_have_text("Afficher la traduction")
    toggle.click()  # and back, highlights included
    expect(title).to_have_text(FRENCH_TITLE)
    expect(title).to_have_attribute("lang", "fr")
    expect(card.locator(".chm-snippet mark")).to_have_text(["graines"])
    expect(toggle).to_have_text("Afficher l'original (anglais)")
    # axe-core finds nothing wrong with the page, the card switched to its original.
    toggle.click()
    expect(toggle).to_have_text("Afficher la traduction")
    assert violations(page, AXE.read_text(encoding="utf-8")) == []


def test_a_widget_with_a_partner_key_shows_only_what_the_key_allows(tab: Tab, site: Site) -> None:
    """The key's presets hold the widget's searches though the widget itself sets none."""
    scope = ["--preset", "realm=ABS", "--preset", "government=pe", "--origin", site.other_origin]
    made = chm(_environment(site.data_dir), "keys", "create", "--role", "partner", "--name", "widget partner", *scope)
    key = made.strip()
    (site.other_dir / "keyed.html").write_text(
        f'<!doctype html><html lang="en"><head><title>Partner</title>'
        f'<script type="module" src="{site.base}/widget.js"></script></head>'
        f'<body><main><h1>Partner</h1><chm-search id="keyed" lang="en" key="{key}"></chm-search></main></body></html>',
        encoding="utf-8",
    )
    page = tab.page
    with page.expect_response(lambda r: "/api/v1/search" in r.url and "key=" in r.url) as response:
        page.goto(f"{site.other_origin}/keyed.html")
    assert response.value.status == 200
    assert response.value.headers.get("access-control-allow-origin") == site.other_origin
    results = page.locator("#keyed li.chm-result")
    expect(results.first).to_be_visible()
    expected = api_search(site.base, lang="en", realm="ABS", government="pe")
    expect(results).to_have_count(len(expected["results"]))
    assert set(results.evaluate_all("items => items.map(i => i.dataset.realm)")) == {"ABS"}
