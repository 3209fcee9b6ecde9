"""The curator page at ``/curate`` in real headless Chromium, against the real curation API.

The server is a real ``chm-search`` app over a catalogue built the way a user builds one: a tiny
but real Argos en→fr package (``devtools/argos_models.py``) installed with ``chm-search
models install --file`` into a private ``CHM_MODELS_DIR``, records ingested with ``chm-search
ingest``, translated with ``chm-search translate --lang fr``, and keys made with ``chm-search keys
create``. One English sentence occurs in three records, so correcting its French translation
once must show up in all three in search.
"""

from __future__ import annotations

import json
import os
import re
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from devtools.argos_models import cached_package
from record_catalogue.keys import KeyStore
from record_catalogue.settings import load_settings
from record_catalogue.store import Catalogue
from tests.browser.conftest import DESKTOP, PHONE, Tab, chm, opened_tab, served
from tests.browser.helpers import axe_violations, screenshot

# The module-scoped `curation` is set up once: under pytest-xdist this module's tests share a worker.
pytestmark = pytest.mark.xdist_group(__name__)

expect = pytest.importorskip("playwright.sync_api", reason="Playwright is not installed (pip install '.[dev]')").expect

if TYPE_CHECKING:
    from playwright.sync_api import Browser, FloatRect, Page

VIEWPORTS = {"phone": PHONE, "desktop": DESKTOP}
SCREENSHOTS = Path(os.environ.get("CHM_SCREENSHOTS", "")) if os.environ.get("CHM_SCREENSHOTS") else None

#: The sentence three records share; its machine translation is what the curator corrects.
SHARED = "The government protects biological diversity in the forest."
SHARED_MACHINE = "La gouvernement protège diversité biologique dans la forêt."
CORRECTED = "Le gouvernement protège la diversité biologique dans le bocage."
CORRECTED_WORD = "bocage"
STRATEGY = "The national strategy on biological diversity."
STRATEGY_OTHER = "La stratégie nationale de diversité biologique."
STRATEGY_OURS = "La stratégie nationale sur la diversité biologique."
CAT = "The cat eats the fish in the river."
ABS_TEXT = "Access to genetic resources of the forest."
# CBD rich text is HTML: the entities become literal markup in the catalogue, as an attacker's record would.
HOSTILE_WORD = "quokkaguard"
HOSTILE_TITLE = (
    f"The {HOSTILE_WORD} forest &lt;img src=x onerror=\"window.__xss='curate'\"&gt; is protected "
    "&lt;script&gt;window.__xss='script'&lt;/script&gt;."
)
# A field of three sentences: the middle one keeps words the model does not know (four in a row,
# under the gate's five), so it reaches the queue with a warning and its neighbours.
CONTEXT_BEFORE = "The forest is protected."
KEPT = "The forest hosts quokkas wombats numbats."
CONTEXT_AFTER = "The river is green."
CURATOR = "Test Curator"
SECOND = "Second Curator"


def _record(identifier: str, schema: str, government: str, title: str, updated: str) -> dict[str, Any]:
    return {
        "header": {"identifier": identifier, "schema": schema, "languages": ["en"]},
        "government": {"identifier": government},
        "title": {"en": title},
        "updatedOn": updated,
    }


RECORDS = [
    _record("CURATE-SHARED-1", "nationalTarget", "fr", SHARED, "2021-01-01T00:00:00.000Z"),
    _record("CURATE-SHARED-2", "nationalTarget", "ke", SHARED, "2021-02-01T00:00:00.000Z"),
    _record("CURATE-SHARED-3", "nationalReport6", "pe", SHARED, "2021-03-01T00:00:00.000Z"),
    _record("CURATE-STRATEGY", "nationalTarget", "fr", STRATEGY, "2021-04-01T00:00:00.000Z"),
    _record("CURATE-CAT", "nationalTarget", "fr", CAT, "2021-05-01T00:00:00.000Z"),
    _record("CURATE-ABS", "absPermit", "pe", ABS_TEXT, "2021-06-01T00:00:00.000Z"),
    _record("CURATE-HOSTILE", "nationalTarget", "fr", HOSTILE_TITLE, "2021-07-01T00:00:00.000Z"),
    {
        **_record("CURATE-CONTEXT", "nationalReport6", "se", "The national report", "2021-08-01T00:00:00.000Z"),
        "description": {"en": f"{CONTEXT_BEFORE} {KEPT} {CONTEXT_AFTER}"},
    },
]


@dataclass
class Curation:
    """The server, its keys, and a way to ask the API what the page should show."""

    base: str
    keys: dict[str, str]
    ids: dict[str, int] = field(default_factory=dict)

    def api(self, method: str, path: str, key: str | None = None, body: Any = None, **query: Any) -> Any:
        """The API's answer (JSON); HTTP errors come back as ``(status, body)``."""
        url = f"{self.base}/api/v1/{path}"
        if query:
            url += "?" + urllib.parse.urlencode(query, doseq=True)
        data = json.dumps(body).encode() if body is not None else None
        headers = {"Accept": "application/json", "X-API-Key": key or self.keys[CURATOR]}
        if data is not None:
            headers["Content-Type"] = "application/json"
        request = urllib.request.Request(url, data=data, method=method, headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return json.load(response)
        except urllib.error.HTTPError as error:
            return error.code, json.load(error)

    def item(self, source_text: str) -> dict[str, Any]:
        """The French translation item of ``source_text``, as it is now."""
        if source_text not in self.ids:
            for status in ("machine", "reviewed", "rejected", "stale", "failed"):
                found = self.api("GET", "translations", lang="fr", q=source_text, status=status, size=100)
                assert isinstance(found, dict), found
                self.ids.update({item["source_text"]: item["id"] for item in found["items"]})
                if source_text in self.ids:
                    break
        assert source_text in self.ids, f"no French translation item for {source_text!r}"
        item: dict[str, Any] = self.api("GET", f"translations/{self.ids[source_text]}")
        assert isinstance(item, dict) and item["source_text"] == source_text, item
        return item


def _environment(data_dir: Path, argos_home: Path, **extra: str) -> dict[str, str]:
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("CHM_", "ARGOS_", "XDG_"))}
    environment.update(
        CHM_DATA_DIR=str(data_dir),
        COLUMNS="200",
        XDG_DATA_HOME=str(argos_home / "data"),
        XDG_CONFIG_HOME=str(argos_home / "config"),
        XDG_CACHE_HOME=str(argos_home / "cache"),
        CHM_MODELS_DIR=str(argos_home / "packages"),
        CHM_TRANSLATE_INTRA_THREADS="1",
        **extra,
    )
    return environment


@pytest.fixture(scope="module")
def curation(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Curation]:
    root = tmp_path_factory.mktemp("curate")
    data_dir, argos_home, records = root / "data", root / "argos", root / "records"
    records.mkdir()
    for record in RECORDS:
        (records / f"{record['header']['identifier']}.json").write_text(json.dumps(record), encoding="utf-8")
    pytest_cache = getattr(request.config, "cache", None)
    cache = Path(pytest_cache.mkdir("chm-test-models")) if pytest_cache else root / "built"
    environment = _environment(data_dir, argos_home)

    chm(environment, "models", "install", "--file", str(cached_package("en", "fr", cache)))
    chm(environment, "ingest", str(records))
    chm(environment, "translate", "--lang", "fr")
    # The keys as `chm-search keys create` makes them (KeyStore.create, actor "cli"), in this
    # process: three more interpreters starting would test nothing here (tests/api test the command).
    catalogue = Catalogue(load_settings(data_dir=data_dir, es_url=None, catalogue_url=None).catalogue_dsn)
    try:
        store = KeyStore(catalogue)
        keys = {
            name: store.create(name, role)
            for name, role in ((CURATOR, "curator"), (SECOND, "curator"), ("Ingest Robot", "ingest"))
        }
    finally:
        catalogue.close()

    limits = {"CHM_RATE_LIMIT_ANONYMOUS": "100000", "CHM_RATE_LIMIT_KEY": "100000"}
    # any answer will do: a degraded health is still a server answering
    with served({**environment, **limits}, any_answer=True) as base:
        yield Curation(base, keys)


# ---- helpers ------------------------------------------------------------------------------------


def shot(page: Page, name: str) -> None:
    """A full-page screenshot into $CHM_SCREENSHOTS when it is set (for reviewing the page by eye)."""
    if SCREENSHOTS:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / f"curate-{name}.png"), full_page=True)


def settled(page: Page) -> None:
    """The queue's current request has been answered and rendered."""
    page.wait_for_selector('#queue[aria-busy="false"]', state="attached")


def choose(page: Page, name: str, value: str) -> None:
    """Pick ``value`` in the ``name`` filter: a select applies at once, so the address says
    ``name=value`` and the queue reloads."""
    page.select_option(f"#f-{name}", value)
    expect(page).to_have_url(re.compile(rf"{name}={value}"))
    settled(page)


def first_item_box(page: Page) -> FloatRect | None:
    """The first queue item's box, waiting while a reload replaces the list (a box of an item
    just taken out of the page is None)."""
    item = page.locator("#queue .queue-item").first
    for _ in range(50):
        expect(item).to_be_visible()
        box = item.bounding_box()
        if box is not None:
            return box
        page.wait_for_timeout(100)
    return None


def sign_in(page: Page, curation: Curation, path: str = "/curate", key: str | None = None) -> None:
    page.goto(curation.base + path)
    expect(page.locator("#api-key")).to_be_focused()
    page.keyboard.type(key or curation.keys[CURATOR])
    page.keyboard.press("Enter")
    expect(page.locator("#workspace")).to_be_visible()
    settled(page)


def filter_text(page: Page, text: str) -> None:
    """Type ``text`` into the text filter and apply it with Enter (the keyboard only)."""
    page.locator("#f-q").focus()
    page.keyboard.press("Control+A")
    page.keyboard.type(text)
    page.keyboard.press("Enter")
    page.wait_for_function(
        "text => new URLSearchParams(location.search).get('q') === text || (!text && !location.search.includes('q='))",
        arg=text,
    )
    settled(page)


def open_item(page: Page, item_id: int) -> None:
    expect(page.locator(f'#queue .queue-item[data-id="{item_id}"]')).to_have_count(1)
    page.locator(f'#queue .queue-item[data-id="{item_id}"]').click()
    expect(page.locator("#editor")).to_have_attribute("data-id", str(item_id))


def open_found(page: Page, curation: Curation, item_id: int, words: str) -> None:
    """Sign in, filter the queue by ``words`` and open item ``item_id`` in the editor."""
    sign_in(page, curation)
    filter_text(page, words)
    open_item(page, item_id)


def queue_ids(page: Page) -> list[int]:
    ids: list[str] = page.locator("#queue .queue-item").evaluate_all("items => items.map(i => i.dataset.id)")
    return [int(value) for value in ids]


# ---- tests --------------------------------------------------------------------------------------


def test_curate_page_signs_in_refuses_bad_keys_and_signs_out(browser: Browser, curation: Curation) -> None:
    with opened_tab(browser) as tab:
        page = tab.page
        page.goto(f"{curation.base}/curate")
        key_field = page.locator("#api-key")
        expect(key_field).to_have_attribute("type", "password")
        expect(page.locator("label[for=api-key]")).to_have_text(re.compile("API key"))
        expect(page.locator("#workspace")).to_be_hidden()
        shot(page, "signin")

        key_field.fill("chm_not-a-real-key")
        page.keyboard.press("Enter")
        expect(page.locator("#signin-error")).to_have_text(re.compile(r"refused.*unknown or has been revoked"))
        expect(key_field).to_have_attribute("aria-invalid", "true")
        expect(key_field).to_be_focused()
        assert page.evaluate("sessionStorage.length") == 0

        key_field.fill(curation.keys["Ingest Robot"])  # a real key, without the curator role: 403
        page.keyboard.press("Enter")
        expect(page.locator("#signin-error")).to_have_text(re.compile("curator or admin role"))
        expect(page.locator("#workspace")).to_be_hidden()

        key_field.fill(curation.keys[CURATOR])
        page.keyboard.press("Enter")
        expect(page.locator("#workspace")).to_be_visible()
        expect(page.locator("#signin")).to_be_hidden()
        expect(page.locator("#queue-heading")).to_be_focused()
        # The key is in this tab's sessionStorage and nowhere else.
        assert page.evaluate("Object.values(sessionStorage)") == [curation.keys[CURATOR]]
        assert page.evaluate("localStorage.length") == 0
        assert curation.keys[CURATOR] not in page.url

        page.reload()  # same tab: still signed in
        expect(page.locator("#workspace")).to_be_visible()
        page.locator("#sign-out").click()
        expect(page.locator("#signin")).to_be_visible()
        expect(key_field).to_be_focused()
        assert page.evaluate("sessionStorage.length") == 0

        # A key revoked (or rejected) mid-session: the next call returns to sign-in with the reason.
        page.evaluate("key => sessionStorage.setItem('chm-curator-key', key)", "chm_revoked-meanwhile")
        page.reload()
        expect(page.locator("#signin")).to_be_visible()
        expect(page.locator("#signin-error")).to_have_text(re.compile("refused"))
        assert not tab.errors, tab.errors


def test_queue_lists_machine_translations_with_filters_and_paging(tab: Tab, curation: Curation) -> None:
    page = tab.page
    sign_in(page, curation)
    expected = curation.api("GET", "translations", status="machine", order="used", size=20)
    assert expected["total"] >= 4
    expect(page.locator("#f-status")).to_have_value("machine")
    expect(page.locator("#queue .queue-item")).to_have_count(len(expected["items"]))
    assert queue_ids(page) == [item["id"] for item in expected["items"]]
    assert page.locator("#queue-status").get_attribute("data-total") == str(expected["total"])
    statuses = page.locator("#queue .queue-item").evaluate_all("items => items.map(i => i.dataset.status)")
    assert set(statuses) == {"machine"}
    # The sentence three records share says so; the first item is open.
    shared = page.locator(f'#queue .queue-item[data-id="{curation.item(SHARED)["id"]}"]')
    expect(shared).to_contain_text(SHARED)
    expect(shared).to_contain_text("Used in 3 records")
    expect(page.locator("#queue .queue-item").first).to_have_attribute("aria-current", "true")

    choose(page, "realm", "ABS")  # a select applies at once
    abs_items = curation.api("GET", "translations", status="machine", realm="ABS", size=20)
    assert queue_ids(page) == [item["id"] for item in abs_items["items"]]
    expect(page.locator("#queue .queue-item")).to_have_count(1)
    expect(page.locator("#queue .queue-item")).to_contain_text(ABS_TEXT)

    page.select_option("#f-realm", "")
    filter_text(page, "cat eats")
    cat = curation.api("GET", "translations", status="machine", q="cat eats", size=20)
    assert queue_ids(page) == [item["id"] for item in cat["items"]] != []

    choose(page, "order", "recent")
    choose(page, "lang", "fr")
    recent = curation.api("GET", "translations", status="machine", q="cat eats", lang="fr", order="recent")
    assert queue_ids(page) == [item["id"] for item in recent["items"]]

    page.locator("#f-reset").click()
    settled(page)
    expect(page).to_have_url(re.compile(r"/curate$"))
    assert len(queue_ids(page)) == len(expected["items"])
    shot(page, "queue")


def test_on_a_phone_a_tapped_item_brings_its_editor_into_view(browser: Browser, curation: Curation) -> None:
    """One column on a phone: the editor is under the queue, so tapping an item scrolls to it
    (the keyboard's j/k keep the queue where it is)."""
    with opened_tab(browser, viewport=PHONE) as tab:
        page = tab.page
        sign_in(page, curation)
        items = page.locator("#queue .queue-item")
        assert items.count() >= 2  # this runs before any item is approved or rejected
        second = items.nth(1)
        wanted = second.get_attribute("data-id")
        expect(page.locator("#editor-heading")).not_to_be_in_viewport()
        second.tap()
        expect(page.locator("#editor")).to_have_attribute("data-id", str(wanted))
        expect(page.locator("#source-text")).to_be_in_viewport()
        # The records using it say their type and country in words, as the filters do.
        meta = page.locator("#records-list .record-meta").first
        expect(meta).to_contain_text("National Target")
        expect(meta).not_to_contain_text("nationalTarget")
        screenshot(page, "curate-phone-item-tapped")
        assert not tab.errors, tab.errors


def test_shortcuts_are_listed_and_do_not_fire_while_typing(tab: Tab, curation: Curation) -> None:
    page = tab.page
    sign_in(page, curation)
    assert len(queue_ids(page)) >= 4  # this runs before any item is approved or rejected
    expect(page.locator("#shortcuts")).to_contain_text("Ctrl+Enter")
    first = page.locator("#editor").get_attribute("data-id")
    page.locator("#f-q").focus()
    page.keyboard.type("jkaer")  # typed into the filter: nothing moves, nothing is saved
    expect(page.locator("#f-q")).to_have_value("jkaer")
    assert page.locator("#editor").get_attribute("data-id") == first
    page.locator("#queue-heading").focus()
    page.keyboard.press("j")
    second = page.locator("#editor").get_attribute("data-id")
    assert second != first
    expect(page.locator(f'.queue-item[data-id="{second}"]')).to_be_focused()
    page.keyboard.press("ArrowUp")
    expect(page.locator("#editor")).to_have_attribute("data-id", str(first))
    expect(page.locator(f'.queue-item[data-id="{first}"]')).to_be_focused()


def test_queue_pages_with_the_pager_and_across_pages_with_the_keyboard(tab: Tab, curation: Curation) -> None:
    page = tab.page
    everything = curation.api("GET", "translations", status="machine", size=100)
    ids = [item["id"] for item in everything["items"]]
    assert len(ids) >= 4  # this runs before any item is approved or rejected
    pages = -(-len(ids) // 2)
    sign_in(page, curation, "/curate?size=2")
    assert queue_ids(page) == ids[:2]
    expect(page.locator("#page-info")).to_have_text(f"Page 1 of {pages}")
    expect(page.locator("#page-prev")).to_be_disabled()

    page.locator("#queue .queue-item").first.focus()
    page.keyboard.press("j")
    page.keyboard.press("j")  # past the end of the page: the next page, its first item
    expect(page.locator("#page-info")).to_have_text(f"Page 2 of {pages}")
    expect(page).to_have_url(re.compile(r"page=2"))
    assert queue_ids(page) == ids[2:4]
    expect(page.locator(f'.queue-item[data-id="{ids[2]}"]')).to_be_focused()
    expect(page.locator("#editor")).to_have_attribute("data-id", str(ids[2]))
    page.keyboard.press("k")  # and back: the previous page, its last item
    expect(page.locator("#page-info")).to_have_text(f"Page 1 of {pages}")
    expect(page.locator(f'.queue-item[data-id="{ids[1]}"]')).to_be_focused()

    page.locator("#page-next").click()
    expect(page.locator("#page-info")).to_have_text(f"Page 2 of {pages}")
    expect(page.locator("#queue-heading")).to_be_focused()
    settled(page)
    assert queue_ids(page) == ids[2:4]


def test_source_and_translation_side_by_side_with_glossary_terms_highlighted(tab: Tab, curation: Curation) -> None:
    page = tab.page
    item = curation.item(SHARED)
    assert {"source": "biological diversity", "target": "diversité biologique"} in item["glossary"]
    sign_in(page, curation)
    open_item(page, item["id"])
    source, target = page.locator("#source-text"), page.locator("#target-text")
    expect(source).to_have_text(SHARED)
    expect(target).to_have_text(item["text"])
    expect(source).to_have_attribute("lang", "en")
    expect(target).to_have_attribute("lang", "fr")
    expect(page.locator("#source-heading")).to_have_text("Source (English)")
    expect(page.locator("#target-heading")).to_have_text("Translation (French)")
    assert source.locator("mark.term").all_inner_texts() == ["biological diversity"]
    assert target.locator("mark.term").all_inner_texts() == ["diversité biologique"]
    # Side by side: the two panes share a row.
    left, right = source.bounding_box(), target.bounding_box()
    assert left and right and abs(left["y"] - right["y"]) < 5 and left["x"] < right["x"]
    expect(page.locator("#glossary-list li").first).to_contain_text("biological diversity")
    expect(page.locator("#glossary-list li").first).to_have_attribute("data-found", "true")
    # The records that use it, linking to the search page for each.
    expect(page.locator("#records-heading")).to_have_text("Used in 3 records")
    links = page.locator("#records-list a.record-link")
    expect(links).to_have_count(3)
    hrefs = links.evaluate_all("links => links.map(a => a.getAttribute('href'))")
    assert sorted(hrefs) == [f"/?q=CURATE-SHARED-{n}&lang=fr" for n in (1, 2, 3)]
    shot(page, "side-by-side")


def test_edit_and_approve_with_the_keyboard_reaches_search_and_history(tab: Tab, curation: Curation) -> None:
    page = tab.page
    item = curation.item(SHARED)
    assert item["status"] == "machine" and item["text"] == SHARED_MACHINE
    sign_in(page, curation)
    filter_text(page, "government protects")
    assert item["id"] in queue_ids(page)
    page.locator(f'.queue-item[data-id="{item["id"]}"]').focus()
    page.keyboard.press("Enter")  # open it; the keyboard alone from here
    expect(page.locator("#editor")).to_have_attribute("data-id", str(item["id"]))

    page.keyboard.press("e")
    editor = page.locator("#edit-text")
    expect(editor).to_be_focused()
    expect(editor).to_have_value(SHARED_MACHINE)
    page.keyboard.press("j")  # typing: no shortcut fires
    expect(editor).to_have_value(SHARED_MACHINE + "j")
    page.keyboard.press("Escape")  # cancel: nothing saved
    expect(page.locator("#edit-box")).to_be_hidden()
    expect(page.locator("#btn-edit")).to_be_focused()
    assert curation.item(SHARED)["version"] == item["version"]

    page.keyboard.press("e")
    page.keyboard.press("Control+A")
    page.keyboard.type(CORRECTED)
    shot(page, "editing")
    page.keyboard.press("Control+Enter")
    entry = page.locator(f'#queue .queue-item[data-id="{item["id"]}"]')
    expect(entry).to_have_attribute("data-status", "reviewed")
    expect(page.locator("#announce")).to_contain_text(f"Approved: version {item['version'] + 1} is reviewed.")

    saved = curation.item(SHARED)
    assert saved["status"] == "reviewed" and saved["provenance"] == "reviewed"
    assert saved["text"] == CORRECTED and saved["actor"] == CURATOR
    assert saved["version"] == item["version"] + 1

    # History: back to it (k) and h; both versions, who and from what.
    while page.locator("#editor").get_attribute("data-id") != str(item["id"]):
        page.keyboard.press("k")
    page.keyboard.press("h")
    expect(page.locator("#history")).to_be_visible()
    expect(page.locator("#history-heading")).to_be_focused()
    entries = page.locator("#history-list > li")
    expect(entries).to_have_count(2)
    newest, oldest = entries.nth(0), entries.nth(1)
    expect(newest).to_have_attribute("data-version", str(item["version"] + 1))
    expect(newest).to_contain_text(CORRECTED)
    expect(newest).to_contain_text(f"by {CURATOR}")
    expect(newest).to_contain_text(f"from version {item['version']}")
    expect(oldest).to_contain_text(SHARED_MACHINE)
    expect(oldest).to_have_attribute("data-status", "machine")
    shot(page, "history")
    page.keyboard.press("Escape")
    expect(page.locator("#history")).to_be_hidden()
    expect(page.locator("#btn-history")).to_be_focused()

    # The search page: all three records at once, in the corrected French, marked reviewed.
    page.goto(f"{curation.base}/?q={CORRECTED_WORD}&lang=fr")
    page.wait_for_selector('#main[aria-busy="false"]', state="attached")
    results = page.locator("#results > li")
    expect(results).to_have_count(3)
    assert sorted(results.evaluate_all("items => items.map(i => i.dataset.id)")) == [
        f"CURATE-SHARED-{n}" for n in (1, 2, 3)
    ]
    for n in range(3):
        expect(results.nth(n).locator(".chm-result-title")).to_have_text(re.compile(re.escape(CORRECTED)))
        expect(results.nth(n).locator(".chm-badge-reviewed")).to_have_text(
            "Traduction révisée"
        )  # the page speaks French at lang=fr
        expect(results.nth(n).locator(".chm-badge-mt")).to_have_count(0)
    shot(page, "search-reviewed")


def test_a_concurrent_edit_shows_the_conflict_and_the_reload_retries(tab: Tab, curation: Curation) -> None:
    page = tab.page
    item = curation.item(STRATEGY)
    open_found(page, curation, item["id"], "national strategy")

    page.keyboard.press("e")
    page.keyboard.press("Control+A")
    page.keyboard.type(STRATEGY_OURS)
    # Meanwhile another curator saves a version of their own.
    other = curation.api(
        "PUT",
        f"translations/{item['id']}",
        key=curation.keys[SECOND],
        body={"text": STRATEGY_OTHER, "status": "reviewed", "version": item["version"]},
    )
    assert other["version"] == item["version"] + 1, other
    page.keyboard.press("Control+Enter")

    alert = page.locator("#editor-alert")
    expect(alert).to_contain_text("changed by someone else meanwhile")
    expect(alert).to_contain_text(f"The current version is {other['version']} (Reviewed, by {SECOND})")
    expect(alert.locator(".conflict-text")).to_have_text(STRATEGY_OTHER)
    expect(page.locator("#conflict-reload")).to_be_focused()
    assert curation.item(STRATEGY)["version"] == other["version"]  # nothing of ours was saved
    shot(page, "conflict")

    page.keyboard.press("Enter")  # load the current version; our draft stays in the editor
    expect(alert).to_be_empty()
    expect(page.locator("#target-text")).to_have_text(STRATEGY_OTHER)
    expect(page.locator("#edit-text")).to_be_focused()
    expect(page.locator("#edit-text")).to_have_value(STRATEGY_OURS)
    page.keyboard.press("Control+Enter")
    expect(page.locator("#announce")).to_contain_text(f"Approved: version {other['version'] + 1} is reviewed.")
    expect(page.locator(f'.queue-item[data-id="{item["id"]}"]')).to_have_attribute("data-status", "reviewed")
    final = curation.item(STRATEGY)
    assert final["version"] == other["version"] + 1
    assert final["text"] == STRATEGY_OURS and final["actor"] == CURATOR
    history = curation.api("GET", f"translations/{item['id']}/history")
    assert [version["actor"] for version in history["versions"]][-2:] == [SECOND, CURATOR]


def test_reject_with_the_keyboard(tab: Tab, curation: Curation) -> None:
    page = tab.page
    item = curation.item(CAT)
    open_found(page, curation, item["id"], "cat eats")
    page.keyboard.press("r")
    expect(page.locator(f'.queue-item[data-id="{item["id"]}"]')).to_have_attribute("data-status", "rejected")
    expect(page.locator("#announce")).to_contain_text("Rejected")
    rejected = curation.item(CAT)
    assert rejected["status"] == "rejected" and rejected["version"] == item["version"] + 1
    assert rejected["actor"] == CURATOR and rejected["text"] == item["text"]  # kept, marked
    # It is gone from the machine queue and found under "rejected".
    page.reload()
    settled(page)
    assert item["id"] not in queue_ids(page)
    page.select_option("#f-status", "rejected")
    settled(page)
    assert item["id"] in queue_ids(page)


def test_arabic_ui_is_right_to_left(browser: Browser, curation: Curation) -> None:
    with opened_tab(browser, locale="ar") as tab:
        page = tab.page
        sign_in(page, curation)
        html = page.locator("html")
        expect(html).to_have_attribute("dir", "rtl")
        expect(html).to_have_attribute("lang", "ar")
        expect(page.locator("h1")).to_have_text("مراجعة الترجمات")
        expect(page.locator("#btn-approve")).to_contain_text("اعتماد")
        # Mirrored: the queue is on the right, the editor on its left.
        queue_box, editor_box = page.locator(".queue").bounding_box(), page.locator(".editor").bounding_box()
        assert queue_box and editor_box and queue_box["x"] > editor_box["x"]
        # The texts keep their own direction.
        expect(page.locator("#source-text")).to_have_attribute("dir", "ltr")
        shot(page, "arabic")
        page.select_option("#ui-lang", "en")
        expect(html).to_have_attribute("dir", "ltr")
        expect(page).to_have_url(re.compile(r"ui=en"))
        assert not tab.errors, tab.errors


def test_markup_in_records_and_translations_is_shown_as_text(tab: Tab, curation: Curation) -> None:
    page = tab.page
    found = curation.api("GET", "translations", status="machine", q=HOSTILE_WORD)
    assert found["total"] == 1, found
    item = found["items"][0]
    # The record's title holds literal markup (the sentence itself is split around it).
    assert "<img" in item["records"][0]["title"], item
    open_found(page, curation, item["id"], HOSTILE_WORD)
    expect(page.locator("#source-text")).to_have_text(item["source_text"])
    expect(page.locator("#target-text")).to_have_text(item["text"])
    expect(page.locator("#records-list a.record-link")).to_have_text(item["records"][0]["title"])
    # A hostile correction goes back as text and comes back as text.
    page.keyboard.press("e")
    page.keyboard.press("Control+A")
    hostile = f"La forêt {HOSTILE_WORD} <b>protégée</b> <img src=x onerror=\"window.__xss='edit'\">."
    page.keyboard.type(hostile)
    page.keyboard.press("Control+Enter")
    expect(page.locator(f'.queue-item[data-id="{item["id"]}"]')).to_have_attribute("data-status", "reviewed")
    expect(page.locator("#target-text")).to_have_text(hostile)
    page.keyboard.press("h")
    expect(page.locator("#history-list > li")).to_have_count(2)
    for where in ("#queue", "#editor"):
        assert page.locator(f"{where} img, {where} script, {where} b").count() == 0
    assert page.evaluate("window.__xss") is None


def test_filters_offer_the_catalogues_values_with_labels(tab: Tab, curation: Curation) -> None:
    page = tab.page
    sign_in(page, curation)
    schema, government = page.locator("#f-schema"), page.locator("#f-government")
    # Lists, not free text: the record types and countries the catalogue holds, in words.
    expect(government.locator("option")).to_have_text(["Any", "France", "Kenya", "Peru", "Sweden"])
    values = government.locator("option").evaluate_all("options => options.map(o => o.value)")
    assert values == ["", "fr", "ke", "pe", "se"]
    groups = schema.locator("optgroup").evaluate_all("groups => groups.map(g => g.label)")
    assert groups == ["Access and Benefit-Sharing Clearing-House", "Clearing-House Mechanism"]
    assert "absPermit" in schema.locator("option").evaluate_all("options => options.map(o => o.value)")
    schema_labels = schema.locator("option").all_inner_texts()
    assert "absPermit" not in schema_labels and "nationalTarget" not in schema_labels
    expect(page.locator("#f-lang option")).to_have_text(["Any", "French (fr)"])
    choose(page, "government", "pe")
    peru = curation.api("GET", "translations", status="machine", government="pe", size=20)
    assert queue_ids(page) == [item["id"] for item in peru["items"]] != []
    # The labels follow the page's language.
    page.select_option("#ui-lang", "fr")
    expect(government.locator("option")).to_have_text(["Tous", "France", "Kenya", "Pérou", "Suède"])
    expect(government).to_have_value("pe")


def test_neighbours_and_warnings_beside_the_sentence(tab: Tab, curation: Curation) -> None:
    page = tab.page
    item = curation.item(KEPT)
    assert [warning["code"] for warning in item["warnings"]] == ["source_words"]
    sign_in(page, curation)
    entry = page.locator(f'#queue .queue-item[data-id="{item["id"]}"]')
    expect(entry.locator(".queue-warn")).to_have_text("1 warning")
    open_item(page, item["id"])
    warnings = page.locator("#item-warnings")
    expect(warnings).to_be_visible()
    expect(warnings.locator("li")).to_have_text("Words of the source are left untranslated: hosts quokkas wombats")
    expect(warnings.locator("li q")).to_have_attribute("lang", "en")  # quoted, in the source's language
    context = page.locator("#context-text")
    expect(context).to_have_text(f"{CONTEXT_BEFORE} {KEPT} {CONTEXT_AFTER}")
    expect(context.locator("strong")).to_have_text(KEPT)
    expect(context).to_have_attribute("lang", "en")
    shot(page, "warnings-context")
    # A sentence alone in its field, without a warning, shows neither.
    alone = curation.item(ABS_TEXT)
    assert alone["status"] == "machine" and alone["warnings"] == [] and alone["context"] is None
    open_item(page, alone["id"])
    expect(warnings).to_be_hidden()
    expect(page.locator("#context")).to_be_hidden()


@pytest.mark.parametrize("viewport", ["phone", "desktop"])
@pytest.mark.parametrize("lang", ["ar", "en", "es", "fr", "ru", "zh"])
def test_signed_in_with_a_queue_axe_finds_nothing(
    browser: Browser, curation: Curation, axe_source: str, lang: str, viewport: str
) -> None:
    """axe-core in the signed-in page, a queue of items, the item with a warning and its
    neighbours open, then the bulk confirmation open: no violation of any impact."""
    with opened_tab(browser, locale=lang, viewport=VIEWPORTS[viewport]) as tab:
        page = tab.page
        sign_in(page, curation)
        expect(page.locator("html")).to_have_attribute("lang", lang)
        assert len(queue_ids(page)) >= 2
        open_item(page, curation.item(KEPT)["id"])
        expect(page.locator("#item-warnings")).to_be_visible()
        expect(page.locator("#context")).to_be_visible()
        expect(page.locator("#f-government option")).not_to_have_count(1)  # the catalogue's values are in
        screenshot(page, f"curate-queue-{lang}-{viewport}")
        found = axe_violations(page, axe_source)
        assert found == [], json.dumps(found, ensure_ascii=False, indent=1)
        page.locator("#bulk-approve").click()
        expect(page.locator("#bulk-dialog")).to_be_visible()
        screenshot(page, f"curate-bulk-{lang}-{viewport}")
        found = axe_violations(page, axe_source)
        assert found == [], json.dumps(found, ensure_ascii=False, indent=1)
        page.keyboard.press("Escape")
        assert not tab.errors, tab.errors


def test_bulk_approval_of_the_filtered_set_after_one_confirmation(tab: Tab, curation: Curation) -> None:
    page = tab.page
    sweden = curation.api("GET", "translations", status="machine", government="se", size=100)
    assert sweden["total"] >= 3
    sign_in(page, curation, "/curate?government=se")
    button = page.locator("#bulk-approve")
    expect(button).to_have_text(f"Approve all {sweden['total']}…")
    button.click()
    dialog = page.locator("#bulk-dialog")
    expect(dialog).to_be_visible()
    expect(page.locator("#bulk-text")).to_contain_text(f"{sweden['total']} machine translations")
    expect(page.locator("#bulk-filters li")).to_have_text(["Country: Sweden"])
    expect(page.locator("#bulk-confirm")).to_be_focused()
    shot(page, "bulk-confirm")
    page.keyboard.press("Escape")  # cancelled: nothing approved
    expect(dialog).to_be_hidden()
    expect(button).to_be_focused()
    assert curation.api("GET", "translations", status="machine", government="se")["total"] == sweden["total"]

    button.click()
    page.locator("#bulk-confirm").click()
    expect(page.locator("#queue-status")).to_contain_text(f"{sweden['total']} translations approved.")
    expect(page.locator("#queue .queue-item")).to_have_count(0)
    # Empty now, and it says why: the filters; the rest of the queue is still there.
    expect(page.locator("#queue-empty")).to_have_attribute("data-reason", "filtered")
    expect(page.locator("#queue-empty")).to_contain_text("No translation matches these filters")
    expect(page.locator("#bulk")).to_be_hidden()
    reviewed = curation.api("GET", "translations", status="reviewed", government="se", size=100)
    assert {item["id"] for item in reviewed["items"]} >= {item["id"] for item in sweden["items"]}
    assert {item["actor"] for item in reviewed["items"]} == {CURATOR}
    shot(page, "bulk-done")


def test_on_a_phone_the_queue_comes_first_and_the_filters_are_behind_a_button(
    browser: Browser, curation: Curation
) -> None:
    """At 390×844 the first queue item is whole on the first screen; the filters open from a button
    (aria-expanded), apply at once, say how many are active, and close on Apply; 44 px targets."""
    with opened_tab(browser, viewport=PHONE) as tab:
        page = tab.page
        sign_in(page, curation)
        first = first_item_box(page)
        screenshot(page, "curate-phone-first-screen")
        assert first is not None and first["y"] + first["height"] <= PHONE["height"], first
        form, toggle = page.locator("#filters"), page.locator("#filters-toggle")
        expect(form).to_be_hidden()
        expect(toggle).to_be_visible()
        expect(toggle).to_have_attribute("aria-expanded", "false")
        expect(page.locator("#filters-count")).to_be_hidden()

        toggle.click()
        expect(form).to_be_visible()
        expect(toggle).to_have_attribute("aria-expanded", "true")
        screenshot(page, "curate-phone-filters")
        small = page.evaluate(
            """(min) => [...document.querySelectorAll('#workspace button, #workspace select, #workspace input')]
               .filter((el) => el.offsetParent !== null)
               .map((el) => ({ what: el.id || el.className, h: el.getBoundingClientRect().height }))
               .filter((box) => box.h < min)""",
            43.5,
        )
        assert small == []
        choose(page, "realm", "ABS")  # a select still applies at once
        expect(page.locator("#filters-count")).to_have_text("(1)")
        page.locator("#filters button[type=submit]").click()
        expect(form).to_be_hidden()
        expect(toggle).to_be_focused()
        expect(toggle).to_have_attribute("aria-expanded", "false")
        # Apply reloads the queue: measure the first item of the new list, once it is there.
        settled(page)
        first = first_item_box(page)
        assert first is not None and first["y"] + first["height"] <= PHONE["height"], first
        # On a wide screen the form is simply there, without the button.
        page.set_viewport_size(DESKTOP)
        expect(form).to_be_visible()
        expect(toggle).to_be_hidden()
        assert not tab.errors, tab.errors
