"""A real rate limit, seen in a real browser: the search page and a partner's widget say how long
to wait (the server's own ``Retry-After``) and search again by themselves once it has passed.

The server is the real app with a small anonymous limit (10 requests a minute: one token every
6 s) over a copy of the browser suite's data. While the page loads, this test spends the
address's tokens with requests of its own (the browser and the test share 127.0.0.1), so the
page's search meets the limiter's own 429; the test stops as soon as it has.
"""

from __future__ import annotations

import shutil
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import pytest

from tests.browser.conftest import Site, Tab, _environment, served
from tests.browser.helpers import screenshot

# The module-scoped `limited` is set up once: under pytest-xdist this module's tests share a worker.
pytestmark = pytest.mark.xdist_group(__name__)

expect = pytest.importorskip("playwright.sync_api", reason="Playwright is not installed (pip install '.[dev]')").expect

if TYPE_CHECKING:
    from playwright.sync_api import Page, Response

PER_MINUTE = 10


@dataclass
class Limited:
    base: str
    other_origin: str


@pytest.fixture(scope="module")
def limited(site: Site, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Limited]:
    data_dir = tmp_path_factory.mktemp("limited") / "data"
    shutil.copytree(site.data_dir, data_dir)
    environment = _environment(data_dir, CHM_CORS_ORIGINS=site.other_origin, CHM_RATE_LIMIT_ANONYMOUS=str(PER_MINUTE))
    with served(environment) as base:
        yield Limited(base=base, other_origin=site.other_origin)


@dataclass
class Searches:
    """The page's searches as the browser saw them: (time, status, Retry-After)."""

    seen: list[tuple[float, int, str | None]] = field(default_factory=list)
    refused: threading.Event = field(default_factory=threading.Event)

    def watch(self, response: Response) -> None:
        if "/api/v1/search?" not in response.url:
            return
        self.seen.append((time.monotonic(), response.status, response.headers.get("retry-after")))
        if response.status == 429:
            self.refused.set()


def spend_tokens(base: str, stop: threading.Event) -> tuple[threading.Thread, threading.Event]:
    """Requests from this address, ten a second, until ``stop``; the event returned is set once
    the limiter refuses one (the address's bucket is empty)."""
    empty = threading.Event()

    def run() -> None:
        while not stop.is_set():
            try:
                with urllib.request.urlopen(f"{base}/api/v1/languages", timeout=5) as response:
                    response.read()
            except urllib.error.HTTPError as error:
                error.read()
                if error.code == 429:
                    empty.set()
            except OSError:
                pass
            stop.wait(0.1)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread, empty


def open_over_the_limit(page: Page, url: str, base: str) -> tuple[Searches, int, float]:
    """Open ``url`` while the address is over its limit. Returns the page's searches, the
    Retry-After of its first refused one, and when that refusal came."""
    searches = Searches()
    page.on("response", searches.watch)
    spender, empty = spend_tokens(base, searches.refused)  # stops once the page is refused
    try:
        assert empty.wait(60), "the limiter never refused this address"
        # A token may come back just as the page asks (one every 60/PER_MINUTE s): then the page
        # is answered, and is opened again while the spending goes on.
        for _attempt in range(5):
            answered = len(searches.seen)
            page.goto(url)
            deadline = time.monotonic() + 30
            while len(searches.seen) == answered:  # Playwright calls back while the test waits in it
                assert time.monotonic() < deadline, "the page never searched"
                page.wait_for_timeout(50)
            if searches.refused.is_set():
                break
        assert searches.refused.is_set(), f"the page's search was never refused: {searches.seen}"
    finally:
        searches.refused.set()
        spender.join(10)
    refused_at, _, header = next(entry for entry in searches.seen if entry[1] == 429)
    assert header is not None and header.isdigit(), searches.seen
    retry_after = int(header)
    assert 1 <= retry_after <= 60 // PER_MINUTE + 1
    return searches, retry_after, refused_at


def answered_after(searches: Searches, refused_at: float) -> float:
    """Seconds from the refusal to the first search that was answered after it."""
    answered = [at for at, code, _ in searches.seen if code == 200 and at > refused_at]
    assert answered, searches.seen
    return answered[0] - refused_at


def test_the_search_page_waits_the_servers_retry_after_and_searches_again(tab: Tab, limited: Limited) -> None:
    page = tab.page
    searches, retry_after, refused_at = open_over_the_limit(
        page, f"{limited.base}/?lang=en&q=biodiversity", limited.base
    )
    status = page.locator("#status")
    expect(status).to_have_attribute("data-state", "rate-limited")
    expect(status).to_contain_text(f"Trying again in {retry_after} s")
    screenshot(page, "rate-limited-page-en")
    # No click: the page searches again once the wait has passed, and shows the results.
    expect(page.locator("#results > li").first).to_be_visible(timeout=30_000)
    expect(status).not_to_have_attribute("data-state", "rate-limited")
    assert answered_after(searches, refused_at) >= retry_after - 0.3


PARTNER_PAGE = """<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8" />
    <title>A partner's site</title>
    <script type="module" src="{base}/widget.js"></script>
  </head>
  <body>
    <h1>A partner's site</h1>
    <chm-search id="abs" api="{base}" lang="es" realm="ABS" size="3"></chm-search>
  </body>
</html>
"""


def test_a_partners_widget_reads_retry_after_across_origins_and_searches_again(
    tab: Tab, limited: Limited, site: Site
) -> None:
    (site.other_dir / "limited.html").write_text(PARTNER_PAGE.format(base=limited.base), encoding="utf-8")
    page = tab.page
    searches, retry_after, refused_at = open_over_the_limit(page, f"{limited.other_origin}/limited.html", limited.base)
    widget = page.locator("#abs")
    # The wait the server asked for, read from another origin (CORS exposes Retry-After on a 429).
    expect(widget.locator(".chm-status")).to_contain_text(f"Nuevo intento en {retry_after} s")
    screenshot(page, "rate-limited-widget-es")
    expect(widget.locator("li.chm-result").first).to_be_visible(timeout=30_000)
    assert answered_after(searches, refused_at) >= retry_after - 0.3
