"""How the page says the query was understood: the "also searched" line under the result count, the
switch for query translation, and the offers to remove a filter that empties the results."""

from __future__ import annotations

import re
import urllib.parse
from typing import TYPE_CHECKING, Any

import pytest

from tests.browser.conftest import Site, Tab
from tests.browser.helpers import api_search, focused, settle, shown_total

expect = pytest.importorskip("playwright.sync_api", reason="Playwright is not installed (pip install '.[dev]')").expect

if TYPE_CHECKING:
    from playwright.sync_api import Page, Request, Route

DIVERSITE = "diversité biologique"
# What a translation model would add: none is installed for the tests, so the API's answer is
# given these (the page only shows what the response says).
TRANSLATIONS = [
    {"language": "en", "text": "biological diversity hotspots", "pair": "fr>en", "model": "mt-fr-en", "matched": 4},
    {"language": "es", "text": "puntos de diversidad", "pair": "fr>en>es", "model": "mt-en-es", "matched": 0},
]


def search_url(site: Site, **params: Any) -> str:
    return f"{site.base}/?{urllib.parse.urlencode(params, doseq=True)}"


def expected_terms(interpretation: dict[str, Any], typed: str) -> set[tuple[str, str]]:
    """(language, text) of every term the line should list: the vocabulary's, deduplicated."""
    terms = set()
    for expansion in interpretation["expansions"]:
        for term in expansion["added"]:
            if term["text"].casefold() not in (typed.casefold(), expansion["typed"].casefold()):
                terms.add((term["language"] or "und", term["text"].casefold()))
    return terms


def shown_terms(page: Page) -> list[tuple[str, str]]:
    found: list[list[str]] = page.locator("#also-searched .term").evaluate_all(
        "terms => terms.map(t => [t.dataset.language, t.querySelector('bdi').textContent])"
    )
    return [(language, text.casefold()) for language, text in found]


def with_translations(route: Route) -> None:
    response = route.fetch()
    data = response.json()
    if "translate=false" not in route.request.url:
        data["interpretation"]["translations"] = TRANSLATIONS
    route.fulfill(response=response, json=data)


def test_also_searched_shows_the_vocabulary_for_diversite_biologique(tab: Tab, site: Site) -> None:
    page = tab.page
    page.goto(search_url(site, q=DIVERSITE, lang="fr"))
    settle(page)
    answer = api_search(site.base, q=DIVERSITE, lang="fr")
    interpretation = answer["interpretation"]
    assert interpretation["translations"] == []  # no model: the vocabulary alone crosses languages
    assert shown_total(page) == answer["total"] > 0

    line = page.locator("#also-searched")
    expect(line).to_be_visible()
    expect(line.locator(".understood-label")).to_have_text("Également recherché :")
    # A few terms first, one language at a time, each with its language named in French.
    preview = shown_terms(page)
    assert len(preview) == 6
    assert {language for language, _ in preview} >= {"en", "es", "zh", "ru", "ar"}
    expect(line.locator('.term[data-language="en"]').first).to_contain_text("(anglais)")
    expect(line.locator('.term[data-language="zh"] bdi')).to_have_attribute("lang", "zh")
    expect(line.locator(".term", has_text="生物多样性")).to_contain_text("(chinois)")
    assert ("en", "biological diversity") in preview or ("en", "biodiversity") in preview
    # Each term's language is a quiet note beside it: not larger than the term, in the muted colour.
    note = line.locator('.term[data-language="en"]').first
    sizes = note.evaluate(
        """(term) => {
             const bdi = getComputedStyle(term.querySelector('bdi'));
             const tag = getComputedStyle(term.querySelector('.term-note'));
             return { term: parseFloat(bdi.fontSize), note: parseFloat(tag.fontSize), colour: tag.color };
           }"""
    )
    assert sizes["note"] <= sizes["term"] and sizes["colour"] == "rgb(74, 85, 96)", sizes  # --chm-muted

    # "+N more" opens the whole list, each term once; the query itself is not repeated.
    everything = expected_terms(interpretation, DIVERSITE)
    more = line.locator(".terms-more")
    expect(more).to_have_text(f"+{len(everything) - 6} autres")
    expect(more).to_have_attribute("aria-expanded", "false")
    more.focus()
    page.keyboard.press("Enter")
    expect(line.locator(".terms-more")).to_have_attribute("aria-expanded", "true")
    expect(line.locator(".terms-more")).to_be_focused()
    assert sorted(shown_terms(page)) == sorted(everything)
    assert ("fr", DIVERSITE) not in shown_terms(page)
    expect(line.locator(".term-translated")).to_have_count(0)
    # Translation was not used and is on: nothing to switch off.
    expect(page.locator("#translate-query")).to_have_count(0)

    # In Arabic, right to left, each term isolated in its own direction.
    page.select_option("#lang", "ar")
    settle(page)
    expect(page.locator("html")).to_have_attribute("dir", "rtl")
    expect(line.locator(".understood-label")).to_have_text("شمل البحث أيضًا:")
    expect(line.locator('.term[data-language="en"]').first).to_contain_text("(الإنكليزية)")
    assert line.locator(".term bdi").count() == line.locator(".term").count() == len(everything)  # still open
    first, second = line.locator(".term").all()[:2]
    first_box, second_box = first.bounding_box(), second.bounding_box()
    assert first_box and second_box
    if abs(first_box["y"] - second_box["y"]) < 5:  # on one line: the second term is to the left
        assert second_box["x"] < first_box["x"]


def test_query_translation_can_be_turned_off_and_on(tab: Tab, site: Site) -> None:
    page = tab.page
    page.route("**/api/v1/search?*", with_translations)
    page.goto(search_url(site, q=DIVERSITE, lang="en"))
    settle(page)
    line = page.locator("#also-searched")
    translated = line.locator(".term-translated")
    expect(translated).to_have_count(2)
    expect(translated.first).to_contain_text("biological diversity hotspots (English, translated · 4 results)")
    expect(translated.nth(1)).to_contain_text("(Spanish, translated · 0 results)")
    expect(translated.first.locator(".term-note")).to_have_attribute("title", re.compile(r"fr>en · mt-fr-en"))
    # With translations and vocabulary both, the vocabulary's part says what it found on its own.
    expansion = api_search(site.base, q=DIVERSITE, lang="en")["interpretation"]["expansions"]
    found = max(item["matched"] for item in expansion)
    expect(line.locator('.term-group[data-kind="expansion"] .term-found')).to_have_text(f"— {found} results")

    toggle = page.locator("#translate-query")
    expect(toggle).to_be_checked()
    expect(page.locator(".translate-toggle")).to_contain_text("Also search translations of my query")
    toggle.focus()
    with page.expect_request(lambda r: "/api/v1/search" in r.url and "translate=false" in r.url) as request:
        page.keyboard.press("Space")
    assert "translate=false" in request.value.url
    expect(page).to_have_url(re.compile(r"[?&]translate=0(&|$)"))
    settle(page)
    # Off: still offered (to turn it on again), unchecked, and it kept the focus.
    expect(toggle).not_to_be_checked()
    expect(toggle).to_be_focused()

    page.reload()  # the URL alone keeps translation off
    settle(page)
    expect(page.locator("#translate-query")).not_to_be_checked()

    def plain(request: Request) -> bool:
        return "/api/v1/search" in request.url and "translate=" not in request.url

    with page.expect_request(plain):
        page.locator("#translate-query").click()
    expect(page).not_to_have_url(re.compile(r"translate="))
    settle(page)
    expect(page.locator("#translate-query")).to_be_checked()
    page.go_back()
    settle(page)
    expect(page).to_have_url(re.compile(r"translate=0"))
    expect(page.locator("#translate-query")).not_to_be_checked()


def test_no_translation_used_and_translation_off_shows_the_switch_alone(tab: Tab, site: Site) -> None:
    page = tab.page
    page.goto(search_url(site, q="Bertholletia", lang="en"))
    settle(page)
    expect(page.locator("#understood")).to_be_hidden()  # nothing widened the query: no line at all
    page.goto(search_url(site, q="protected areas -", lang="en", translate="0"))
    settle(page)
    expect(page.locator(".understood-ignored")).to_have_text("Not searched for: -")
    expect(page.locator("#translate-query")).not_to_be_checked()


def test_a_filter_that_empties_the_results_can_be_removed(tab: Tab, site: Site) -> None:
    page = tab.page
    params = {"q": "biodiversity", "lang": "en", "realm": "ABS", "entity": "country:br"}
    answer = api_search(site.base, **params)
    assert answer["total"] == 0
    without = {item["filter"]: item["total"] for item in answer["interpretation"]["without_filter"]}
    assert without["realm"] > 0 and without["entity.country"] > 0
    page.goto(search_url(site, **params))
    settle(page)
    expect(page.locator("#status")).to_have_text("No results with these filters.")
    offers = page.locator("#relax li")
    expect(offers).to_have_count(2)
    country = page.locator('#relax li[data-filter="entity.country"]')
    expect(country).to_contain_text(f"Without Countries mentioned (Brazil): {without['entity.country']} result")
    expect(page.locator('#relax li[data-filter="realm"]')).to_contain_text(
        f"Without Clearing-house (Access and Benefit-Sharing Clearing-House): {without['realm']} result"
    )
    remove = country.locator("button")
    expect(remove).to_have_text("Remove")
    expect(remove).to_have_attribute("aria-label", "Remove the filter Countries mentioned (Brazil)")

    remove.focus()  # by keyboard
    page.keyboard.press("Enter")
    expect(page).not_to_have_url(re.compile(r"entity="))
    expect(page).to_have_url(re.compile(r"realm=ABS"))
    settle(page)
    after = api_search(site.base, q="biodiversity", lang="en", realm="ABS")["total"]
    assert shown_total(page) == without["entity.country"] == after
    expect(page.locator("#relax")).to_be_hidden()
    expect(page.locator('#facets input[value="ABS"]')).to_be_checked()
    assert focused(page)["id"] == "results-heading"  # the button is gone: the focus is not lost

    page.go_back()  # the filter comes back, and so does the offer
    settle(page)
    expect(page.locator("#relax li")).to_have_count(2)


def test_only_filters_whose_removal_helps_are_offered(tab: Tab, site: Site) -> None:
    page = tab.page
    params = {"q": "biodiversity", "lang": "fr", "government": "br", "year_from": "2024"}
    offers = api_search(site.base, **params)["interpretation"]["without_filter"]
    without = {item["filter"]: item["total"] for item in offers}
    assert without["year"] == 0 < without["government"]
    page.goto(search_url(site, **params))
    settle(page)
    expect(page.locator("#status")).to_have_text("Aucun résultat avec ces filtres.")
    expect(page.locator("#relax li")).to_have_count(1)
    expect(page.locator('#relax li[data-filter="government"]')).to_contain_text(
        f"Sans Pays (Brésil) : {without['government']} résultat"
    )
    page.locator('#relax li[data-filter="government"] button').click()
    expect(page).not_to_have_url(re.compile(r"government="))
    expect(page).to_have_url(re.compile(r"year_from=2024"))
    settle(page)
    assert shown_total(page) == without["government"]

    # When no single filter is enough, the offer is to clear them all.
    page.goto(search_url(site, q="biodiversity", lang="en", realm="ABS", schema="absPermit", year_from="2024"))
    settle(page)
    expect(page.locator(".relax-none")).to_contain_text("Removing any one filter still leaves no results.")
    page.locator(".relax-none button").click()
    expect(page).not_to_have_url(re.compile(r"realm=|schema=|year_from="))
    settle(page)
    assert shown_total(page) == api_search(site.base, q="biodiversity", lang="en")["total"] > 0


def test_interpretation_text_is_shown_as_text(tab: Tab, site: Site) -> None:
    page = tab.page

    def hostile(route: Route) -> None:
        response = route.fetch()
        data = response.json()
        data["interpretation"].update(
            translations=[
                {
                    "language": "en",
                    "text": "<img src=x onerror=\"window.__xss='tr'\">",
                    "pair": "<b>p</b>",
                    "model": "m",
                    "matched": 1,
                }
            ],
            expansions=[
                {
                    "typed": "<script>window.__xss='typed'</script>",
                    "concept": "c",
                    "source": "synonyms",
                    "added": [{"text": "<img src=x onerror=\"window.__xss='added'\">", "language": "fr"}],
                    "matched": 2,
                }
            ],
            ignored=["<b>-</b>"],
        )
        data["total"] = 0
        data["results"] = []
        data["interpretation"]["without_filter"] = [{"filter": "realm", "values": ["<i>ABS</i>"], "total": 3}]
        route.fulfill(response=response, json=data)

    page.route("**/api/v1/search?*", hostile)
    page.goto(search_url(site, q="biodiversity", lang="en", realm="ABS"))
    settle(page)
    expect(page.locator("#also-searched")).to_contain_text("<img src=x onerror=\"window.__xss='tr'\">")
    expect(page.locator("#also-searched")).to_contain_text("“<script>window.__xss='typed'</script>”:")
    expect(page.locator(".understood-ignored")).to_contain_text("<b>-</b>")
    expect(page.locator("#relax li")).to_contain_text("(<i>ABS</i>)")
    page.wait_for_timeout(200)
    assert page.locator("#understood img, #understood script, #understood b, #relax i").count() == 0
    assert page.evaluate("window.__xss") is None


def test_a_misspelt_query_offers_the_index_spelling_as_a_link_that_runs_it(tab: Tab, site: Site) -> None:
    page = tab.page
    answer = api_search(site.base, q="Hrbalsts Kaya", lang="fr")
    suggestion = answer["interpretation"]["did_you_mean"]
    assert answer["total"] == 0 and suggestion["text"] == "Herbalists Kaya" and suggestion["total"] > 0
    page.goto(search_url(site, q="Hrbalsts Kaya", lang="fr"))
    settle(page)
    line = page.locator("#did-you-mean")
    expect(line).to_be_visible()
    expect(line).to_contain_text("Vouliez-vous dire Herbalists Kaya ?")
    link = line.locator("a")
    expect(link).to_have_attribute("href", re.compile(r"q=Herbalists\+Kaya"))
    link.click()
    expect(page).to_have_url(re.compile(r"q=Herbalists\+Kaya"))
    settle(page)
    assert shown_total(page) == suggestion["total"]
    expect(page.locator("#q")).to_have_value("Herbalists Kaya")
    expect(page.locator("#did-you-mean")).to_have_count(0)
