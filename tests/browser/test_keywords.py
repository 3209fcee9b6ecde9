"""A record's thesaurus keywords as a reader sees them (headless Chromium): chips on its card in the
page's language, a facet that narrows to it, and the record page's Keywords row."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from record_catalogue.harvest_state import HarvestState, ThesaurusTermLabels
from record_catalogue.settings import load_settings
from record_catalogue.store import Catalogue
from tests.browser.conftest import Tab, _environment, chm, record_source, served
from tests.browser.helpers import settle

# The module-scoped `keyword_site` is set up once: under pytest-xdist this module's tests share a worker.
pytestmark = pytest.mark.xdist_group(__name__)

expect = pytest.importorskip("playwright.sync_api", reason="Playwright is not installed (pip install '.[dev]')").expect

MARINE = "5B6177DD-5E5E-434E-8CB7-D63D67D5EBED"
LABELS = {
    "ar": "التنقيب البيولوجي البحري",
    "en": "Marine bioprospecting",
    "es": "Bioprospección marina",
    "fr": "Bioprospection marine",
    "ru": "Морская биоразведка",
    "zh": "海洋生物勘探",
}
RECORD = {
    "header": {"identifier": "KEYWORD-CARD-1", "schema": "absPermit", "languages": ["en"]},
    "government": {"identifier": "cr"},
    "title": {"en": "Access permit for the collection of marine sponges in the Gulf of Nicoya"},
    "summary": {"en": "Sponge samples collected for the screening of antimicrobial compounds."},
    "keywords": [{"identifier": MARINE}],
}


@pytest.fixture(scope="module")
def keyword_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Its own server: the thesaurus's labels of one keyword (as a harvest stores them), then a
    record referring to it ingested with ``chm-search ingest``."""
    root = tmp_path_factory.mktemp("cards-keywords")
    data_dir = root / "data"
    environment = _environment(data_dir, CHM_RATE_LIMIT_ANONYMOUS="100000")
    catalogue = Catalogue(load_settings(data_dir=data_dir).catalogue_dsn)
    HarvestState(catalogue).save_terms([ThesaurusTermLabels(MARINE, None, LABELS)])
    catalogue.close()
    chm(environment, "ingest", str(record_source(root / "in", RECORD)))
    with served(environment) as base:
        yield base


def test_a_cards_keywords_are_chips_in_the_readers_language(tab: Tab, keyword_site: str) -> None:
    page = tab.page
    page.goto(f"{keyword_site}/?q=bioprospection+marine&lang=fr")  # found by the keyword's French label
    settle(page)
    card = page.locator("#results > li")
    expect(card).to_have_count(1)
    expect(card.locator(".chm-keyword")).to_have_text(["Bioprospection marine"])
    expect(card.locator(".chm-keyword")).to_have_attribute("data-value", f"keyword:{MARINE.lower()}")
    # one facet group of keywords, titled and labelled in the page's language
    facets = page.locator("#facets")
    expect(facets).to_contain_text("Mots-clés")
    expect(facets).to_contain_text("Bioprospection marine")
    page.goto(f"{keyword_site}/?lang=zh")
    settle(page)
    expect(page.locator("#results .chm-keyword")).to_have_text([LABELS["zh"]])
    page.goto(f"{keyword_site}/record/KEYWORD-CARD-1?lang=ar")
    expect(page.locator("dl.detail-meta")).to_contain_text("الكلمات المفتاحية")
    expect(page.locator("dl.detail-meta")).to_contain_text(LABELS["ar"])
