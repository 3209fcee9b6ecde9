"""A real server, a real headless Chromium (Debian's ``chromium-headless-shell``, driven by
Playwright), and a second web server on another origin for the widget.

The API runs as a subprocess on a free port over a data directory loaded with the samples and
one hostile record (markup in its title and summary) through the real ``chm-search ingest``.
"""

from __future__ import annotations

import contextlib
import functools
import json
import os
import shutil
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from devtools.commands import CLI_ARGS, clean_environment
from devtools.served import serving
from record_catalogue.models import FieldText
from record_catalogue.settings import load_settings
from record_catalogue.store import Catalogue
from tests.catalogue_rows import add_texts
from tests.conftest import ROOT, SAMPLES

if TYPE_CHECKING:
    from playwright.sync_api import Browser, ConsoleMessage, Page

# Chromium's headless shell, as Playwright itself uses for headless runs: the full browser's headless
# mode opens a window with its toolbar's WebUI renderers for every browser context, which made each
# context cost about three times the CPU (measured: 10 contexts, 6.6 s against 2.3 s).
CHROMIUM = (
    os.environ.get("CHM_CHROMIUM")
    or shutil.which("chromium-headless-shell")
    or shutil.which("chromium")
    or "/usr/bin/chromium-headless-shell"
)
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
CLI = [sys.executable, *CLI_ARGS]
# The app exactly as `chm-search serve` builds it (a page route dropped from it fails these tests).
SERVER = """
import sys
import uvicorn
from search_api.app import create_app
uvicorn.run(create_app(), host="127.0.0.1", port=int(sys.argv[1]), log_level="warning")
"""

XSS_ID = "XSS-TEST-0001"
XSS_WORD = "quokkaguard"
# CBD rich text is HTML: the entities below become literal "<script>…" and "<img onerror>" text in
# the catalogue, which is what an attacker's record looks like once ingested.
XSS_RECORD = {
    "header": {"identifier": XSS_ID, "schema": "nationalTarget", "languages": ["en"]},
    "government": {"identifier": "fr"},
    "title": {
        "en": "Quokkaguard national target &lt;script&gt;window.__xss = 'title'&lt;/script&gt;"
        "&lt;img src=x onerror=\"window.__xss='img-title'\"&gt; for protected wetlands"
    },
    "description": {
        "en": "The quokkaguard programme protects wetlands and the species that live there. "
        "&lt;script&gt;window.__xss = 'summary'&lt;/script&gt; It sets out "
        "&lt;img src=x onerror=\"window.__xss='img-summary'\"&gt; measures for the conservation of "
        "wetlands, &lt;mark&gt;with&lt;/mark&gt; yearly monitoring by national authorities."
    },
    "updatedOn": "2020-05-01T00:00:00.000Z",
}


@dataclass
class Site:
    """The API server and the third-party site that embeds the widget."""

    base: str
    other_origin: str
    other_dir: Path
    data_dir: Path


def _environment(data_dir: Path, **extra: str) -> dict[str, str]:
    return clean_environment(CHM_DATA_DIR=str(data_dir), COLUMNS="200", **extra)


def chm(environment: dict[str, str], *args: str) -> str:
    """``chm-search *args`` run in ``environment``; what it printed, once it has succeeded."""
    done = subprocess.run([*CLI, *args], capture_output=True, text=True, env=environment, cwd=ROOT, timeout=300)
    assert done.returncode == 0, f"chm-search {' '.join(args)}: {done.stderr}{done.stdout}"
    return done.stdout


def record_source(folder: Path, record: dict[str, Any]) -> Path:
    """``folder`` (made here) holding ``record`` as a CBD-style JSON file, for ``chm-search ingest``."""
    folder.mkdir()
    (folder / "record.json").write_text(json.dumps(record), encoding="utf-8")
    return folder


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture(scope="session")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    root = tmp_path_factory.mktemp("browser")
    data_dir = root / "data"
    hostile = record_source(root / "hostile", XSS_RECORD)
    chm(_environment(data_dir), "ingest", str(SAMPLES / "shared"), str(SAMPLES / "records"), str(hostile))

    other_dir = root / "other-site"
    other_dir.mkdir()
    other = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_QuietHandler, directory=str(other_dir)))
    other_origin = f"http://127.0.0.1:{other.server_address[1]}"
    threading.Thread(target=other.serve_forever, daemon=True).start()

    environment = _environment(
        data_dir,
        # The widget's page is on another origin: allow exactly that one (and nothing else).
        CHM_CORS_ORIGINS=other_origin,
        # A browser test makes many requests from one IP in a few seconds.
        CHM_RATE_LIMIT_ANONYMOUS="100000",
    )
    try:
        with served(environment) as base:
            yield Site(base=base, other_origin=other_origin, other_dir=other_dir, data_dir=data_dir)
    finally:
        other.shutdown()
        other.server_close()


@contextlib.contextmanager
def served(environment: dict[str, str], any_answer: bool = False) -> Iterator[str]:
    """``chm-search``'s app served by a real uvicorn subprocess on a free port with ``environment``;
    yields its base URL once its health answers (``any_answer``: even degraded)."""
    with serving([sys.executable, "-c", SERVER], environment, any_answer=any_answer) as server:
        yield server.url


@contextlib.contextmanager
def one_record_site(root: Path, record: dict[str, Any], *texts: FieldText) -> Iterator[str]:
    """A server of its own over a catalogue under ``root``: ``record`` ingested with ``chm-search
    ingest``, ``texts`` stored beside it (as a translate worker writes them), then ``chm-search
    reindex``; yields its base URL."""
    data_dir = root / "data"
    environment = _environment(data_dir, CHM_RATE_LIMIT_ANONYMOUS="100000")
    chm(environment, "ingest", str(record_source(root / "in", record)))
    catalogue = Catalogue(load_settings(data_dir=data_dir).catalogue_dsn)
    add_texts(catalogue, *texts)
    catalogue.close()
    chm(environment, "reindex")
    with served(environment) as base:
        yield base


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.skip("Playwright is not installed (pip install '.[dev]')")
    if not Path(CHROMIUM).exists():
        pytest.skip(
            f"Chromium not found at {CHROMIUM}: install Debian's chromium-headless-shell (scripts/system-packages.sh)"
        )
    playwright = sync_playwright().start()
    try:
        # Playwright gives each launch a fresh temporary profile; never `playwright install`.
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    except Exception:
        playwright.stop()
        raise
    try:
        yield launched
    finally:
        launched.close()
        playwright.stop()


AXE = ROOT / "devtools" / "axe" / "node_modules" / "axe-core" / "axe.min.js"


@pytest.fixture(scope="session")
def axe_source() -> str:
    """axe-core's script (from npm, pinned in devtools/axe), to run inside pages."""
    if not AXE.is_file():
        pytest.fail(f"axe-core is missing at {AXE.relative_to(ROOT)}: run `make test` (it runs npm ci there)")
    return AXE.read_text(encoding="utf-8")


@dataclass
class Tab:
    """A page, and what went wrong in it: uncaught exceptions and CSP violations."""

    page: Page
    errors: list[str] = field(default_factory=list)


DESKTOP = {"width": 1280, "height": 800}  # a laptop screen; PHONE a common phone
PHONE = {"width": 390, "height": 844}


def open_tab(browser: Browser, locale: str = "en-US", viewport: dict[str, int] | None = None) -> Tab:
    context = browser.new_context(locale=locale, viewport=viewport or DESKTOP, has_touch=viewport == PHONE)
    context.set_default_timeout(10_000)
    page = context.new_page()
    tab = Tab(page)
    page.on("pageerror", lambda error: tab.errors.append(f"uncaught: {error}"))

    def console(message: ConsoleMessage) -> None:
        if message.type == "error" and "Content Security Policy" in message.text:
            tab.errors.append(f"CSP: {message.text}")

    page.on("console", console)
    return tab


@contextlib.contextmanager
def opened_tab(browser: Browser, locale: str = "en-US", viewport: dict[str, int] | None = None) -> Iterator[Tab]:
    """``open_tab`` for a block: its browser context is closed on leaving it, whatever happened."""
    tab = open_tab(browser, locale, viewport)
    try:
        yield tab
    finally:
        tab.page.context.close()


@pytest.fixture
def tab(browser: Browser) -> Iterator[Tab]:
    with opened_tab(browser) as tab:
        yield tab
    assert not tab.errors, tab.errors
