"""Limits enforced before work is done (issue 13, item 2): bodies per route, /detect, pushed records.

Before: no body limit, and bodies parsed before auth (100 MB without a key cost +270 MB);
anonymous /detect took 1,000 texts of 100k characters (9 s of CPU a request); an ingest key could
push fields of a million characters, after which searches touching the record took seconds.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import copy
import json
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from record_catalogue.keys import KeyStore
from record_catalogue.settings import Settings, get_settings
from record_catalogue.store import Catalogue
from search_api.app import create_app
from tests.conftest import SAMPLES

MB = 1024 * 1024


def _run_asgi(
    app: FastAPI, method: str, path: str, headers: dict[str, str], chunks: int, chunk: bytes
) -> tuple[int, dict[str, Any], int]:
    """Send a request straight to the ASGI app with a body of ``chunks`` x ``chunk`` streamed
    (no Content-Length unless given); the status, the JSON body and how many chunks the app read."""
    read = 0
    messages: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        nonlocal read
        if read >= chunks:
            await asyncio.sleep(3600)  # a client that has sent everything waits for the answer
        read += 1
        return {"type": "http.request", "body": chunk, "more_body": read < chunks}

    async def send(message: dict[str, Any]) -> None:
        messages.append(message)

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [(k.lower().encode(), v.encode()) for k, v in headers.items()],
        "client": ("192.0.2.7", 40000),
        "server": ("testserver", 80),
        "state": {},
    }
    # A loop of its own in a thread of its own: the browser tests' Playwright (sync API) leaves its
    # loop set on the main thread of the process for the rest of the session, and asyncio.run
    # refuses to start under it (the order of a parallel run puts them before this file).
    with concurrent.futures.ThreadPoolExecutor(1) as thread:
        thread.submit(asyncio.run, asyncio.wait_for(app(scope, receive, send), 60)).result()
    start = next(m for m in messages if m["type"] == "http.response.start")
    body = b"".join(m.get("body", b"") for m in messages if m["type"] == "http.response.body")
    return start["status"], json.loads(body), read


def test_an_anonymous_push_is_refused_before_its_body_is_read(loaded_settings: Settings) -> None:
    """100 MB offered without a key: 401 with none of it read (it was read and parsed first)."""
    app = create_app(loaded_settings)
    status, body, read = _run_asgi(
        app, "POST", "/api/v1/records", {"content-type": "application/json"}, chunks=100, chunk=b" " * MB
    )
    assert (status, body["error"]["code"], read) == (401, "api_key_required", 0)


def test_a_streamed_body_is_cut_off_at_the_limit(loaded_settings: Settings) -> None:
    """No Content-Length: counted as it streams in, refused as soon as it passes the limit."""
    app = create_app(loaded_settings)
    status, body, read = _run_asgi(
        app, "POST", "/api/v1/detect", {"content-type": "application/json"}, chunks=100, chunk=b" " * MB
    )
    assert status == 413 and body["error"]["code"] == "body_too_large"
    assert read <= loaded_settings.max_detect_body_bytes // MB + 1


def test_a_declared_length_over_the_limit_is_refused_unread(client: TestClient, loaded_settings: Settings) -> None:
    oversized = json.dumps({"texts": ["a" * (loaded_settings.max_detect_body_bytes + 1)]})
    response = client.post("/api/v1/detect", content=oversized, headers={"content-type": "application/json"})
    assert response.status_code == 413 and response.json()["error"]["code"] == "body_too_large"
    # Every other route has the small default limit, GETs included.
    response = client.request("GET", "/api/v1/search", content=b"x" * (loaded_settings.max_body_bytes + 1))
    assert response.status_code == 413


def test_detect_limits_the_number_and_size_of_texts(client: TestClient, loaded_settings: Settings) -> None:
    many = client.post("/api/v1/detect", json={"texts": ["a"] * (loaded_settings.max_detect_texts + 1)})
    assert many.status_code == 422 and many.json()["error"]["message"].startswith("texts:")
    long = client.post("/api/v1/detect", json={"texts": ["ok", "a" * (loaded_settings.max_detect_chars + 1)]})
    assert long.status_code == 422 and long.json()["error"]["message"].startswith("texts.1:")
    fits = ["Les aires protégées du littoral"] * loaded_settings.max_detect_texts
    assert client.post("/api/v1/detect", json={"texts": fits}).status_code == 200


def test_a_body_that_is_not_utf8_json_is_a_400_in_the_error_shape(client: TestClient) -> None:
    response = client.post(
        "/api/v1/detect", content=b'{"texts": ["caf\xe9"]}', headers={"content-type": "application/json"}
    )
    assert response.status_code == 400 and response.json()["error"]["code"] == "invalid_body"


@pytest.fixture
def ingest_client(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[TestClient, str]]:
    """An app with an ingest key; record text limits lowered (read from the environment's settings,
    as ingest reads them: ``ingest.sources.cbd_json.size_problem``)."""
    catalogue = Catalogue(settings.catalogue_dsn)
    key = KeyStore(catalogue).create("limits test", "ingest")
    catalogue.close()
    monkeypatch.setenv("CHM_MAX_FIELD_CHARS", "5000")
    monkeypatch.setenv("CHM_MAX_RECORD_CHARS", "8000")
    get_settings.cache_clear()
    try:
        with TestClient(create_app(settings)) as test_client:
            yield test_client, key
    finally:
        get_settings.cache_clear()


def test_a_push_that_is_not_json_is_415(ingest_client: tuple[TestClient, str]) -> None:
    client, key = ingest_client
    response = client.post(
        "/api/v1/records", content=b"header: x", headers={"X-API-Key": key, "content-type": "text/plain"}
    )
    assert response.status_code == 415 and response.json()["error"]["code"] == "unsupported_media_type"


def test_a_record_over_the_text_limits_is_that_records_error(ingest_client: tuple[TestClient, str]) -> None:
    client, key = ingest_client
    good = json.loads((SAMPLES / "records" / "absPermit-pe-castana.json").read_text())
    long_field = copy.deepcopy(good)
    long_field["header"]["identifier"] = "LIMITS-FIELD"
    long_field["title"] = {"en": "castaña " * 700}
    long_record = copy.deepcopy(good)
    long_record["header"]["identifier"] = "LIMITS-RECORD"
    long_record["title"] = {"en": "a " * 2400, "fr": "b " * 2400}
    response = client.post("/api/v1/records", json=[long_field, good, long_record], headers={"X-API-Key": key})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["created"] == 1
    errors = {e["record_id"]: e["reason"] for e in body["errors"]}
    assert errors["LIMITS-FIELD"].startswith("field title.en holds 5,600 characters (limit 5,000")
    assert "(limit 8,000, CHM_MAX_RECORD_CHARS)" in errors["LIMITS-RECORD"]
    assert client.get("/api/v1/records/LIMITS-FIELD").status_code == 404


def test_snippets_come_from_the_start_of_a_huge_text(ingest_client: tuple[TestClient, str]) -> None:
    """A word found only past the snippet window finds the record, without re-reading the whole text."""
    client, key = ingest_client
    record = json.loads((SAMPLES / "records" / "absPermit-pe-castana.json").read_text())
    record["header"]["identifier"] = "LIMITS-SNIPPET"
    record["title"] = {"en": ("forest " * 600) + "zanzibarite"}
    settings = client.app.state.services.settings  # type: ignore[attr-defined]
    windowed = settings.model_copy(update={"snippet_window_chars": 1000})
    with TestClient(create_app(windowed)) as narrow:
        assert narrow.post("/api/v1/records", json=record, headers={"X-API-Key": key}).status_code == 200
        [hit] = narrow.get("/api/v1/search", params={"q": "zanzibarite"}).json()["results"]
        assert hit["id"] == "LIMITS-SNIPPET" and "<mark>" not in (hit["snippet"] or "")
    [hit] = client.get("/api/v1/search", params={"q": "zanzibarite"}).json()["results"]
    assert "<mark>zanzibarite</mark>" in hit["snippet"]
