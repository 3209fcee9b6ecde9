"""Every route the app serves is exercised by a test against the real app (``create_app()``, as
``chm-search serve`` builds it): a route dropped from the app, or one added without a test, fails
here. Page and browser tests never add routes of their own (they did once, which hid a dropped
pages router from 60 tests)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from record_catalogue.settings import load_settings
from search_api.app import create_app
from tests.conftest import ROOT

TESTS = {path: path.read_text(encoding="utf-8") for path in (ROOT / "tests").rglob("test_*.py")}
# How a test file shows it sends each method (GET is how pages, links and clients read).
VERBS = {
    "POST": (".post(", '"POST"'),
    "PUT": (".put(", '"PUT"'),
    "DELETE": (".delete(", '"DELETE"'),
    "PATCH": (".patch(", '"PATCH"'),
}


def served(routes: list[Any], prefix: str = "") -> Iterator[tuple[str, str]]:
    """(method, path) of every route, through included routers (FastAPI keeps them nested)."""
    for route in routes:
        if hasattr(route, "original_router"):
            yield from served(route.original_router.routes, prefix + (route.include_context.prefix or ""))
        elif hasattr(route, "methods") and route.methods:
            for method in route.methods - {"HEAD", "OPTIONS"}:
                yield method, prefix + route.path


def mentions(text: str, path: str) -> bool:
    """Whether a test file's text addresses ``path`` (its part before the first parameter)."""
    static = path.split("{")[0]
    if static == "/":
        return bool(re.search(r"""\.get\(["']/["']|\{site\.base\}/\?|\{base\}/\?""", text))
    candidates = {static, static.removeprefix("/api/v1")}
    if "{" not in path and "." in static.rsplit("/", 1)[-1]:
        candidates.add(static.rsplit("/", 1)[-1])  # a file name, written alone in URLs built by hand
    return any(len(c) > 1 and c in text for c in candidates)


def exercised(method: str, path: str) -> bool:
    return any(
        mentions(text, path) and (method == "GET" or any(verb in text for verb in VERBS.get(method, ())))
        for text in TESTS.values()
    )


ROUTES = sorted(set(served(create_app(load_settings(data_dir=Path("unused"))).routes)))


def test_the_app_serves_its_pages_and_api() -> None:
    paths = {path for _, path in ROUTES}
    assert {"/", "/curate", "/embed", "/record/{record_id}", "/api/v1/search", "/docs", "/oai"} <= paths


@pytest.mark.parametrize(("method", "path"), ROUTES, ids=[f"{m} {p}" for m, p in ROUTES])
def test_route_is_exercised_by_a_test(method: str, path: str) -> None:
    assert exercised(method, path), f"no test sends {method} {path}"
