"""Small helpers shared by the browser tests."""

from __future__ import annotations

import json
import urllib.parse
import urllib.request
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from playwright.sync_api import Page


def settle(page: Page) -> None:
    """Wait until the page's current search has been rendered (or failed)."""
    page.wait_for_selector('#main[aria-busy="false"]', state="attached")


def shown_total(page: Page) -> int:
    return int(page.locator("#status").get_attribute("data-total") or "-1")


def api_search(base: str, **params: Any) -> dict[str, Any]:
    """What the API itself answers, to compare the page against."""
    query = urllib.parse.urlencode(params, doseq=True)
    with urllib.request.urlopen(f"{base}/api/v1/search?{query}", timeout=10) as response:
        data: dict[str, Any] = json.load(response)
        return data


def focused(page: Page) -> dict[str, Any]:
    """What has the keyboard focus: tag, id, classes, whether it is inside the results or facets."""
    result: dict[str, Any] = page.evaluate(
        """() => {
          const el = document.activeElement;
          return {
            tag: el?.tagName.toLowerCase(), id: el?.id, cls: el?.className, key: el?.dataset?.key ?? null,
            inResults: !!el?.closest('#results'), inFacets: !!el?.closest('#facets'),
            focusVisible: !!el?.matches(':focus-visible'),
          };
        }"""
    )
    return result


def axe_violations(page: Page, axe_source: str) -> list[dict[str, Any]]:
    """axe-core's violations on the page as it is now (every rule axe runs by default, any impact)."""
    page.evaluate(axe_source)  # evaluated by the browser's debugger: the page's CSP is not relaxed
    found: list[dict[str, Any]] = page.evaluate(
        """async () => (await axe.run(document, { resultTypes: ["violations"] })).violations.map((v) => ({
             id: v.id, impact: v.impact, help: v.help,
             nodes: v.nodes.slice(0, 3).map((n) => n.target.join(" ")) }))"""
    )
    return found


# Where each line of an element's text starts and ends (the union of its text's boxes on that line),
# and the element's own box: where its text sits in it, whatever the direction it reads in.
LINES = """(element) => {
  const range = document.createRange();
  range.selectNodeContents(element);
  const lines = [];
  for (const box of [...range.getClientRects()].filter((b) => b.width > 0).sort((a, b) => a.top - b.top)) {
    const line = lines.find((l) => Math.abs(l.middle - (box.top + box.bottom) / 2) < 4);
    if (line) {
      line.left = Math.min(line.left, box.left);
      line.right = Math.max(line.right, box.right);
    } else {
      lines.push({ middle: (box.top + box.bottom) / 2, left: box.left, right: box.right });
    }
  }
  const own = element.getBoundingClientRect();
  return { left: own.left, right: own.right, lines: lines.map(({ left, right }) => ({ left, right })) };
}"""


def hugs_the_right(lines: dict[str, Any], slack: float = 2) -> bool:
    """Whether every line of a text measured with ``LINES`` ends at its box's right edge (a right
    to left page's start side), as a block aligned to an Arabic page does whatever its own direction."""
    return bool(lines["lines"]) and all(line["right"] >= lines["right"] - slack for line in lines["lines"])


def screenshot(page: Page, name: str) -> Path:
    """Save what the page shows for a person to review (``build/screenshots/``; never compared pixel by pixel)."""
    from tests.conftest import ROOT

    target = ROOT / "build" / "screenshots" / f"{name}.png"
    target.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(target), full_page=False)
    return target
