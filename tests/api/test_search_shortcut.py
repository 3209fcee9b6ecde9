"""``GET /api/v1/search`` answered by the shortcut (search_api/search_shortcut.py) and by the
FastAPI route give the same answers, errors included, on every engine and catalogue."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware

from record_catalogue.db import CatalogueUnavailable
from record_catalogue.keys import KeyStore, parse_presets
from record_catalogue.settings import Settings
from record_catalogue.store import Catalogue
from search_api.app import create_app
from search_api.asgi import ASGIApp, Receive, Scope, Send
from search_api.search_shortcut import SEARCH_PATH, SearchShortcut

# Plain searches, the ways FastAPI reads repeated, blank and unknown parameters, and every kind
# of refusal (FastAPI's validation, the route's own checks, a cursor it did not issue).
QUERIES = [
    "",
    "q=biodiversity",
    "q=diversit%C3%A9+biologique&lang=fr",
    "q=&lang=zh&sort=newest",
    "q=*",
    "q=protocol&realm=ABS&realm=BCH",
    "q=protocol&realm=ABS&realm=",
    "lang=fr&lang=es&q=access",
    "q=first&q=access",
    "q=permit&translate=no",
    "q=permit&translate=off&page=2&size=3",
    "q=%22genetic+resources%22+-benefit",
    "entity=country:br&entity=target:aichi-11",
    "government=BR&schema=absPermit",
    "original_language=und&original_language=en",
    "year_from=2000&year_to=2030&q=sharing",
    "unknown=1&q=sharing",
    "size=100&page=1",
    # refused
    "size=0",
    "size=101",
    "page=abc",
    "page=0",
    "lang=xx",
    "realm=XYZ",
    "sort=oldest",
    "translate=maybe",
    "year_from=",
    "year_from=1800",
    "year_from=2020&year_to=2000",
    "government=BRA",
    "entity=nocolon",
    "cursor=garbage",
    "cursor=" + "x" * 4001,
    "q=" + "a" * 1001,
    "page=10000&size=100",
    "q=%FF%FE",
]


REQUEST_ID = re.compile(r"\b[0-9a-f]{32}\b")


def _without_shortcut(app: FastAPI) -> FastAPI:
    app.user_middleware = [entry for entry in app.user_middleware if entry.cls is not SearchShortcut]
    return app


@pytest.fixture
def both(loaded_settings: Settings) -> Iterator[tuple[TestClient, TestClient]]:
    """A client of the app as it is served, and one of the same app without the shortcut."""
    with (
        TestClient(create_app(loaded_settings)) as shortcut,
        TestClient(_without_shortcut(create_app(loaded_settings))) as routed,
    ):
        yield shortcut, routed


def _comparable(body: dict[str, Any]) -> dict[str, Any]:
    """The body without what differs from call to call (the time taken, the request's id, a
    cursor's point in time on the engines that keep one)."""
    body = dict(body)
    body.pop("took_ms", None)
    if body.get("next_cursor") is not None:
        body["next_cursor"] = "(a cursor)"
    if isinstance(body.get("error"), dict):
        body["error"] = {
            key: REQUEST_ID.sub("(a request id)", value) for key, value in body["error"].items() if key != "request_id"
        }
    return body


@pytest.mark.parametrize("query", QUERIES)
def test_the_shortcut_and_the_route_give_the_same_answer(both: tuple[TestClient, TestClient], query: str) -> None:
    shortcut, routed = both
    fast = shortcut.get(f"{SEARCH_PATH}?{query}")
    slow = routed.get(f"{SEARCH_PATH}?{query}")
    assert fast.status_code == slow.status_code, (query, fast.text[:300], slow.text[:300])
    assert _comparable(fast.json()) == _comparable(slow.json()), query
    volatile = {"x-request-id", "etag", "content-length"}
    assert {k: v for k, v in fast.headers.items() if k not in volatile} == {
        k: v for k, v in slow.headers.items() if k not in volatile
    }, query


class _PastTheShortcut:
    """Innermost: answers 418 to any search that gets past the shortcut to the routes."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"] == SEARCH_PATH:
            await send({"type": "http.response.start", "status": 418, "headers": []})
            await send({"type": "http.response.body", "body": b""})
            return
        await self.app(scope, receive, send)


def test_the_shortcut_answers_what_validates_itself(loaded_settings: Settings) -> None:
    """A search whose parameters validate never reaches the routes, answered or refused by the
    route's own checks; one whose parameters do not validate goes to FastAPI's route."""
    app = create_app(loaded_settings)
    app.user_middleware.append(Middleware(_PastTheShortcut))  # the last is innermost
    with TestClient(app) as client:
        answered = client.get(SEARCH_PATH, params={"q": "biodiversity", "realm": ["ABS", "CHM"], "size": 5})
        assert answered.status_code == 200
        assert answered.json()["size"] == 5
        assert client.head(SEARCH_PATH, params={"q": "biodiversity"}).status_code == 200
        assert client.get(SEARCH_PATH, params={"size": 0}).status_code == 418
        assert client.get(SEARCH_PATH, params={"lang": "xx"}).status_code == 418
        assert client.get(SEARCH_PATH, params={"year_from": 2020, "year_to": 2000}).status_code == 422
        assert client.get(SEARCH_PATH, params={"cursor": "garbage"}).status_code == 422


@pytest.mark.parametrize(
    "failure",
    [
        CatalogueUnavailable("the catalogue is down"),
        OSError(28, "No space left on device"),
        HTTPException(404, "gone"),
        ValueError("not handled: a 500"),
    ],
)
def test_an_engine_failure_is_answered_once_as_the_route_would(loaded_settings: Settings, failure: Exception) -> None:
    """The route's error goes to the app's handler for it, the search is not run a second time,
    and the answer is the route's (an unhandled one is the server's error, named by request id)."""
    answers = []
    for app in (create_app(loaded_settings), _without_shortcut(create_app(loaded_settings))):
        calls = []

        def failing(query: object, calls: list[object] = calls) -> object:
            calls.append(query)
            raise failure

        app.state.services.backend.search = failing
        with TestClient(app, raise_server_exceptions=False) as client:
            answers.append(client.get(SEARCH_PATH, params={"q": "biodiversity"}))
        assert len(calls) == 1
    fast, slow = answers
    assert fast.status_code == slow.status_code and fast.status_code != 200
    assert _comparable(fast.json()) == _comparable(slow.json())
    assert fast.headers.get("retry-after") == slow.headers.get("retry-after")


@pytest.mark.parametrize("query", ["q=", "realm=ABS&realm=CHM", "realm=CHM", "government=pe&q=permit"])
def test_a_partner_keys_presets_hold_the_shortcut_as_the_route(
    both: tuple[TestClient, TestClient], loaded_settings: Settings, query: str
) -> None:
    """Keys are checked before the shortcut: a partner key's presets narrow (or refuse) the search
    the same both ways."""
    catalogue = Catalogue(loaded_settings.catalogue_dsn)
    name = f"partner-{uuid.uuid4().hex[:8]}"
    key = KeyStore(catalogue).create(name, "partner", presets=parse_presets(["realm=abs", "government=PE"]))
    try:
        shortcut, routed = both
        fast = shortcut.get(f"{SEARCH_PATH}?{query}", headers={"X-API-Key": key})
        slow = routed.get(f"{SEARCH_PATH}?{query}", headers={"X-API-Key": key})
        assert fast.status_code == slow.status_code
        assert _comparable(fast.json()) == _comparable(slow.json())
        if fast.status_code == 200:
            assert {(r["realm"], r["government"]) for r in fast.json()["results"]} <= {("ABS", "pe")}
    finally:
        KeyStore(catalogue).revoke(name)
        catalogue.close()
