"""The search page at ``/`` in real headless Chromium: search, facets, languages, detail, keyboard, safety."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import pytest

from record_catalogue.languages import UN_LANGUAGES, language_label
from search_api.record_page import LOWERCASE_NAMES
from tests.browser.conftest import XSS_ID, XSS_WORD, Site, Tab, opened_tab
from tests.browser.helpers import api_search, focused, settle, shown_total

expect = pytest.importorskip("playwright.sync_api", reason="Playwright is not installed (pip install '.[dev]')").expect

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page, Route


ARABIC_TITLE = "البحث في آليات تبادل المعلومات التابعة لاتفاقية التنوع البيولوجي"


def choose(page: Page, select: str, value: str, param: str) -> None:
    """Pick ``value`` in ``select``: the search runs again at once, with ``param=value`` in the address."""
    page.select_option(select, value)
    expect(page).to_have_url(re.compile(rf"{param}={value}"))
    settle(page)


def test_search_shows_results_with_highlights_and_keeps_state_in_the_url(tab: Tab, site: Site) -> None:
    page = tab.page
    page.goto(f"{site.base}/?lang=en")
    settle(page)
    assert shown_total(page) == api_search(site.base, lang="en")["total"] > 10  # browsing: everything

    page.fill("#q", "biodiversity")
    page.press("#q", "Enter")
    expect(page).to_have_url(re.compile(r"\?q=biodiversity&lang=en$"))
    settle(page)
    expected = api_search(site.base, q="biodiversity", lang="en")
    assert shown_total(page) == expected["total"] >= 2
    expect(page.locator("#results > li")).to_have_count(len(expected["results"]))
    # The count, and no timing: "(0.8 ms)" is for operators and the API, not for readers.
    expect(page.locator("#status")).to_have_text(f"{expected['total']} results")
    # The API's highlights, as they are (the vocabulary widens the query: "Biological Diversity" too).
    first_marks = re.findall(r"<mark>(.*?)</mark>", expected["results"][0]["snippet"])
    assert first_marks
    assert page.locator("#results > li").first.locator(".chm-snippet mark").all_inner_texts() == first_marks
    first = expected["results"][0]
    expect(page.locator("#results > li").first.locator(".chm-result-link")).to_have_attribute("href", first["url"])
    expect(page.locator("#results > li").first.locator(".chm-result-link")).to_have_attribute("target", "_blank")

    page.reload()  # the URL alone brings the same search back
    settle(page)
    expect(page.locator("#q")).to_have_value("biodiversity")
    assert shown_total(page) == expected["total"]


def test_facet_click_narrows_multi_selects_and_back_restores(tab: Tab, site: Site) -> None:
    page = tab.page
    page.goto(f"{site.base}/?lang=en")
    settle(page)
    everything = shown_total(page)
    realm = page.locator('#facets [data-facet="realm"]')

    realm.locator('input[value="BCH"]').check()
    expect(page).to_have_url(re.compile(r"realm=BCH"))
    settle(page)
    bch = api_search(site.base, lang="en", realm="BCH")["total"]
    assert 0 < shown_total(page) == bch < everything
    assert set(page.locator("#results > li").evaluate_all("items => items.map(i => i.dataset.realm)")) == {"BCH"}
    # Multi-select: the other clearing-houses are still offered, with their counts.
    for other in ("ABS", "CHM"):
        option = realm.locator("li", has=page.locator(f'input[value="{other}"]'))
        expect(option.locator("input")).not_to_be_checked()
        assert int(option.locator(".facet-count").inner_text()) > 0
    expect(realm.locator('input[value="BCH"]')).to_be_checked()

    realm.locator('input[value="ABS"]').check()
    expect(page).to_have_url(re.compile(r"realm=BCH&realm=ABS"))
    settle(page)
    assert shown_total(page) == api_search(site.base, lang="en", realm=["BCH", "ABS"])["total"] > bch
    expect(page.locator("#clear-filters")).to_be_visible()

    page.go_back()
    expect(page).not_to_have_url(re.compile(r"realm=ABS"))
    settle(page)
    assert shown_total(page) == bch
    expect(realm.locator('input[value="ABS"]')).not_to_be_checked()
    page.go_back()
    settle(page)
    assert shown_total(page) == everything
    expect(realm.locator('input[value="BCH"]')).not_to_be_checked()


def test_paging_moves_through_results(tab: Tab, site: Site) -> None:
    page = tab.page
    page.goto(f"{site.base}/?lang=en")
    settle(page)
    total = shown_total(page)
    assert total > 10
    page.locator('#pager a[data-page="2"]').click()
    expect(page).to_have_url(re.compile(r"page=2"))
    settle(page)
    expect(page.locator("#results > li")).to_have_count(min(10, total - 10))
    expect(page.locator("#results")).to_have_attribute("start", "11")
    expect(page.locator('#pager a[aria-current="page"]')).to_have_text("2")
    expect(page.locator("#results-heading")).to_be_focused()
    page.locator('#pager a[data-page="prev"]').click()
    settle(page)
    expect(page.locator('#pager a[aria-current="page"]')).to_have_text("1")


def test_arabic_switches_to_right_to_left_and_asks_the_api_in_arabic(tab: Tab, site: Site) -> None:
    page = tab.page
    page.goto(f"{site.base}/?lang=en")
    settle(page)
    with page.expect_response(lambda r: "/api/v1/search" in r.url and "lang=ar" in r.url) as response:
        page.select_option("#lang", "ar")
    assert response.value.ok
    settle(page)
    html = page.locator("html")
    expect(html).to_have_attribute("dir", "rtl")
    expect(html).to_have_attribute("lang", "ar")
    expect(page).to_have_url(re.compile(r"lang=ar"))
    expect(page.locator("h1")).to_have_text(ARABIC_TITLE)
    expect(page.locator("button.search-button")).to_have_text("بحث")
    expect(page.locator('#facets [data-facet="realm"] legend')).to_have_text("آلية تبادل المعلومات")
    # Records not yet in Arabic say so, in Arabic.
    expect(page.locator("#results .chm-note").first).to_contain_text("لم يُترجم بعد")
    # Mirrored layout: the facets column is on the right of the results.
    facets = page.locator("aside.facets").bounding_box()
    results = page.locator("#main").bounding_box()
    assert facets and results and facets["x"] > results["x"]


def test_the_browser_language_is_the_default(browser: Browser, site: Site) -> None:
    with opened_tab(browser, locale="fr-FR") as french:
        page = french.page
        with page.expect_response(lambda r: "/api/v1/search" in r.url and "lang=fr" in r.url):
            page.goto(f"{site.base}/")
        settle(page)
        expect(page.locator("html")).to_have_attribute("lang", "fr")
        expect(page.locator("button.search-button")).to_have_text("Rechercher")
        expect(page.locator("#status")).to_contain_text("résultats")
        assert not french.errors, french.errors


def test_a_result_opens_its_record_page_and_back_returns_to_the_results(tab: Tab, site: Site) -> None:
    page = tab.page
    page.goto(f"{site.base}/?q=Bertholletia&lang=en")
    settle(page)
    page.locator("#results > li").first.locator(".chm-details").click()
    expect(page).to_have_url(re.compile(r"/record/[^/?]+\?lang=en$"))
    expect(page.locator("h1.record-title")).to_contain_text("Brazil nut")
    # Its other language versions are pages too (shareable, each in its reader's language).
    page.locator('.record-languages a[hreflang="es"]').click()
    expect(page).to_have_url(re.compile(r"\?lang=es$"))
    expect(page.locator("h1.record-title")).to_contain_text("castaña")
    page.go_back()
    page.go_back()
    expect(page).to_have_url(re.compile(r"q=Bertholletia"))
    settle(page)
    expect(page.locator("#results > li").first).to_be_visible()


def test_suggestions_degrade_when_their_endpoint_is_missing(tab: Tab, site: Site) -> None:
    page = tab.page
    missing = '{"error": {"code": "not_found", "message": "Not Found"}}'
    page.route("**/api/v1/suggest**", lambda route: route.fulfill(status=404, body=missing))
    page.goto(f"{site.base}/?q=Bertholletia&lang=en")
    settle(page)
    page.locator("#q").fill("")
    page.locator("#q").press_sequentially("Biocul")
    page.wait_for_timeout(400)
    expect(page.locator("#suggestions")).to_be_hidden()
    page.press("#q", "Enter")
    expect(page).to_have_url(re.compile(r"q=Biocul"))


def test_suggestions_as_you_type_are_keyboard_selectable(tab: Tab, site: Site) -> None:
    page = tab.page
    page.goto(f"{site.base}/?lang=en")
    settle(page)
    page.locator("#q").press_sequentially("Biocul")
    option = page.locator("#suggestions [role=option]").first
    expect(option).to_be_visible()
    expect(option).to_contain_text("Biocultural community protocol")
    expect(page.locator("#q")).to_have_attribute("aria-expanded", "true")
    page.keyboard.press("ArrowDown")
    expect(page.locator("#q")).to_have_attribute("aria-activedescendant", "suggestion-0")
    page.keyboard.press("Enter")
    expect(page.locator("#q")).to_have_value(re.compile(r"^Biocultural community protocol"))
    expect(page).to_have_url(re.compile(r"q=Biocultural"))
    settle(page)
    assert shown_total(page) >= 1


def test_keyboard_only_search_facet_and_result(tab: Tab, site: Site) -> None:
    page = tab.page
    page.goto(f"{site.base}/?lang=en")
    settle(page)
    for _ in range(10):
        page.keyboard.press("Tab")
        if focused(page)["id"] == "q":
            break
    assert focused(page)["id"] == "q"
    page.keyboard.type("biodiversity")
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"q=biodiversity"))
    settle(page)

    # On to the facets: a real checkbox, toggled with Space, keeps the focus after the update.
    for _ in range(20):
        page.keyboard.press("Tab")
        if focused(page)["inFacets"] and focused(page)["tag"] == "input":
            break
    checkbox = focused(page)
    assert checkbox["inFacets"] and checkbox["focusVisible"], checkbox
    page.keyboard.press("Space")
    expect(page).to_have_url(re.compile(r"realm="))
    settle(page)
    assert focused(page)["key"] == checkbox["key"]

    # On to the results: the first stop is the first result's link, visibly focused.
    for _ in range(60):
        page.keyboard.press("Tab")
        if focused(page)["inResults"]:
            break
    first = focused(page)
    assert first["inResults"] and first["tag"] == "a" and first["focusVisible"], first
    page.keyboard.press("Tab")
    assert focused(page)["cls"] == "chm-details"
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/record/"))
    expect(page.locator("h1.record-title")).to_be_visible()


def test_a_record_with_markup_renders_as_text_on_the_page(tab: Tab, site: Site) -> None:
    page = tab.page
    page.goto(f"{site.base}/?q={XSS_WORD}&lang=en")
    settle(page)
    item = page.locator(f'#results > li[data-id="{XSS_ID}"]')
    expect(item).to_have_count(1)
    title = item.locator(".chm-result-title")
    expect(title).to_contain_text("<script>window.__xss = 'title'</script>")
    expect(title).to_contain_text("<img src=x onerror=")
    snippet = item.locator(".chm-snippet")
    expect(snippet).to_contain_text("<script>window.__xss = 'summary'</script>")
    assert [m.lower() for m in snippet.locator("mark").all_inner_texts()] == [XSS_WORD]
    page.wait_for_timeout(200)  # an injected <img onerror> would have fired by now
    # No element from the record: the one image is the card's flag, from our own flag set.
    assert page.locator("#results script, #results img:not(.chm-flag)").count() == 0
    assert all(
        src.startswith(f"{site.base}/static/flags/")
        for src in page.locator("#results img.chm-flag").evaluate_all("imgs => imgs.map(i => i.src)")
    )
    assert page.evaluate("window.__xss") is None
    # The record's own page (rendered by the server) shows the same markup as text.
    item.locator(".chm-details").click()
    expect(page.locator("h1.record-title")).to_contain_text("<script>")
    expect(page.locator(".record-field .version-text").first).to_contain_text("<img src=x onerror=")
    page.wait_for_timeout(200)
    assert page.locator("main script, main img").count() == 0
    assert page.evaluate("window.__xss") is None


def test_sort_and_year_range_go_into_the_url(tab: Tab, site: Site) -> None:
    page = tab.page
    page.goto(f"{site.base}/?lang=en")
    settle(page)
    choose(page, "#sort", "relevance", "sort")
    choose(page, "#sort", "newest", "sort")
    dates = [d for d in page.locator("#results time").evaluate_all("ts => ts.map(t => t.dateTime)") if d]
    assert len(dates) > 3 and dates == sorted(dates, reverse=True)
    years = page.locator("#facet-year_from option").evaluate_all("os => os.map(o => o.value).filter(Boolean)")
    choose(page, "#facet-year_from", years[-1], "year_from")
    assert shown_total(page) == api_search(site.base, lang="en", year_from=years[-1])["total"]
    expect(page.locator("#facet-year_from")).to_have_value(years[-1])


def test_machine_translation_is_marked(tab: Tab, site: Site) -> None:
    """The API's flags drive the mark: a response saying a result is machine-translated shows it."""
    page = tab.page

    def as_machine_translated(route: Route) -> None:
        response = route.fetch()
        data = response.json()
        data["results"][0].update(machine_translated=True, translation_status="machine", display_language="fr")
        route.fulfill(response=response, json=data)

    page.route("**/api/v1/search?*", as_machine_translated)
    page.goto(f"{site.base}/?lang=fr&q=Bertholletia")
    settle(page)
    first = page.locator("#results > li").first
    expect(first.locator(".chm-badge-mt")).to_have_text("Traduction automatique")
    expect(first.locator(".chm-badge-mt")).to_have_attribute(
        "title", "Traduit automatiquement\u00a0; pas encore révisé."
    )
    expect(first.locator(".chm-note")).to_have_count(0)  # shown in French, so no "not yet translated" note


def test_every_language_has_every_ui_string(tab: Tab, site: Site) -> None:
    page = tab.page
    page.goto(f"{site.base}/?lang=en")
    missing = page.evaluate(
        """async () => {
          const { STRINGS, LANGUAGES } = await import('/static/i18n.js');
          const keys = Object.keys(STRINGS.en);
          return LANGUAGES.flatMap(lang => keys
            .filter(key => !(key in STRINGS[lang])
              || (typeof STRINGS.en[key] === 'object' && !STRINGS[lang][key].other))
            .map(key => `${lang}.${key}`));
        }"""
    )
    assert missing == []


def test_french_punctuation_stays_with_its_word(tab: Tab, site: Site) -> None:
    """French sets a space before : ; ? ! » and after «, one that never breaks (a line began with
    a lone "»" on the phone); a chip's title and value are joined as each language writes it."""
    page = tab.page
    page.goto(f"{site.base}/?lang=fr&year_from=2010&year_to=2020")
    settle(page)
    loose = page.evaluate(
        """async () => {
          const { STRINGS } = await import('/static/i18n.js');
          return Object.entries(STRINGS.fr)
            .flatMap(([key, value]) => (typeof value === 'string' ? [value] : Object.values(value))
              .map((v) => [key, v]))
            .filter(([, v]) => /[ \\t\\n][:;?!»]|«[ \\t\\n]/.test(v));
        }"""
    )
    assert loose == []
    expect(page.locator("#chips .chip").first).to_have_text(re.compile("^Année\u00a0: 2010–2020"))
    page.goto(f"{site.base}/?lang=zh&year_from=2010&year_to=2020")
    settle(page)
    expect(page.locator("#chips .chip").first).to_have_text(re.compile("^年份：2010–2020"))


def test_the_page_names_languages_as_the_api_labels_them(tab: Tab, site: Site) -> None:
    """One name for a language on one page: the sentences the page writes ("show the original
    (English)", "also searched: … (French)") use the names the API's facets label with
    (record_catalogue.languages), in lower case where the language writes them so mid-sentence;
    not the browser's own (英语 beside the facet's 英文, الإنجليزية beside الإنكليزية)."""
    page = tab.page
    page.goto(f"{site.base}/?lang=en")
    names = page.evaluate(
        """async (codes) => {
          const { translator } = await import('/static/i18n.js');
          return Object.fromEntries(codes.map((ui) => [ui, Object.fromEntries(codes.map((code) =>
            [code, translator(ui).languageName(code)]))]));
        }""",
        list(UN_LANGUAGES),
    )
    for ui in UN_LANGUAGES:
        for code in UN_LANGUAGES:
            label = language_label(code, ui)
            assert names[ui][code] == (label.lower() if ui in LOWERCASE_NAMES else label), (ui, code)


def test_facet_titles_are_distinct_in_every_language(tab: Tab, site: Site) -> None:
    """Two facets never share a title ("Pays" twice, "国家" twice): the record's country and the
    countries a record mentions, and every other facet, read differently in each language."""
    page = tab.page
    page.goto(f"{site.base}/?lang=en")
    titles = page.evaluate(
        """async () => {
          const { STRINGS, LANGUAGES } = await import('/static/i18n.js');
          const keys = Object.keys(STRINGS.en).filter((key) => /^(facet|entity)_/.test(key) && key !== 'facet_entity');
          return Object.fromEntries(LANGUAGES.map((lang) => [lang, keys.map((key) => STRINGS[lang][key])]));
        }"""
    )
    assert len(titles) == 6
    for lang, names in titles.items():
        assert len(names) >= 13 and all(names), (lang, names)
        assert len({name.casefold() for name in names}) == len(names), (lang, names)
