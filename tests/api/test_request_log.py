"""What operators read: one access line per request with its id, the id in every error body and
on every line logged while the request is served, JSON lines that parse (CHM_LOG_FORMAT=json),
and never an API key or a record's text at info level. A real app, catalogue and index."""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from devtools.commands import clean_environment
from devtools.served import SERVE, serving
from record_catalogue.keys import KeyStore
from record_catalogue.logs import configure_logging
from record_catalogue.settings import Settings, load_settings
from record_catalogue.store import Catalogue
from search_api.app import create_app
from tests.commands import run
from tests.conftest import SAMPLES
from tests.logging_state import logging_restored

TITLE = "Quokkaberry restoration in the Zyxwiv wetlands"
SUMMARY = "Secret field notes on quokkaberry seedlings along the Zyxwiv river"
RECORD = {
    "header": {"identifier": "LOG-TEST-1", "schema": "absPermit"},
    "title": {"en": TITLE},
    "summary": {"en": SUMMARY},
    "government": "pe",
}


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return load_settings(data_dir=tmp_path / "data", rate_limit_anonymous=10_000)


@pytest.fixture
def keys(settings: Settings) -> Iterator[dict[str, str]]:
    catalogue = Catalogue(settings.catalogue_dsn)
    try:
        store = KeyStore(catalogue)
        yield {"ingest": store.create("pusher", "ingest"), "partner": store.create("widget", "partner")}
    finally:
        catalogue.close()


def logged(captured: str) -> list[dict[str, Any]]:
    """Every line of stderr as JSON (a line that does not parse fails the test)."""
    return [json.loads(line) for line in captured.splitlines() if line.strip()]


def test_requests_are_logged_with_their_ids_and_without_keys_or_texts(
    settings: Settings, keys: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    with logging_restored():
        configure_logging("json", "INFO")
        with TestClient(create_app(settings)) as client:
            capsys.readouterr()
            pushed = client.post("/api/v1/records", json=[RECORD], headers={"X-API-Key": keys["ingest"]})
            found = client.get("/api/v1/search", params={"q": "quokkaberry Zyxwiv", "key": keys["partner"]})
            refused = client.get("/api/v1/search", params={"q": "quokkaberry", "size": 1000})
            missing = client.get("/api/v1/records/no-such-record")
            unknown_key = client.get("/api/v1/search", headers={"X-API-Key": "chm_not-a-key"})
        lines = logged(capsys.readouterr().err)
    assert pushed.status_code == 200 and pushed.json()["created"] == 1, pushed.text
    assert found.status_code == 200 and found.json()["total"] == 1

    # Every error body names the request, as its header does.
    for response, status in ((refused, 422), (missing, 404), (unknown_key, 401)):
        assert response.status_code == status
        assert response.json()["error"]["request_id"] == response.headers["x-request-id"]

    # One access line per request, with its id, status, path and only the names of its parameters.
    access = [line for line in lines if line["logger"] == "search_api.access"]
    responses = (pushed, found, refused, missing, unknown_key)
    assert [line["request_id"] for line in access] == [r.headers["x-request-id"] for r in responses]
    assert [line["status"] for line in access] == [200, 200, 422, 404, 401]
    assert access[1]["method"] == "GET" and access[1]["path"] == "/api/v1/search"
    assert access[1]["query_parameters"] == ["key", "q"] and access[1]["key_name"] == "widget"
    assert access[0]["key_name"] == "pusher" and all(line["duration_ms"] >= 0 for line in access)

    # The push's ingest run logged its start and outcome, under the push's request id (the run
    # happens in a worker thread: the id travels with the context).
    ingest = [line for line in lines if line["logger"] == "ingest.pipeline"]
    assert [line["message"].split(":")[0].split(" ")[-1] for line in ingest] == ["started", "finished"]
    assert {line["request_id"] for line in ingest} == {pushed.headers["x-request-id"]}
    assert ingest[-1]["counts"]["created"] == 1 and ingest[-1]["run_id"] == pushed.json()["run_id"]

    # Neither key nor any of the record's or the query's words, anywhere in the log.
    text = json.dumps(lines)
    for secret in (keys["ingest"], keys["partner"], "chm_not-a-key", "Quokkaberry", "quokkaberry", "Zyxwiv"):
        assert secret not in text


def test_an_ingest_command_logs_its_run_as_json_without_record_text(tmp_path: Path) -> None:
    """The command as operators run it unattended: CHM_LOG_FORMAT=json CHM_LOG_LEVEL=INFO."""
    source = tmp_path / "records"
    source.mkdir()
    (source / "record.json").write_text(json.dumps(RECORD), encoding="utf-8")
    done = run(tmp_path, "ingest", str(source), str(SAMPLES / "shared"), CHM_LOG_FORMAT="json", CHM_LOG_LEVEL="info")
    assert done.returncode == 0, done.stderr
    lines = [json.loads(line) for line in done.stderr.splitlines() if line.startswith("{")]
    finished = [line for line in lines if line["logger"] == "ingest.pipeline" and "finished" in line["message"]]
    assert len(finished) == 1 and finished[0]["counts"]["created"] == 4, done.stderr
    for secret in ("Quokkaberry", "quokkaberry", "Zyxwiv"):
        assert secret not in done.stderr


def test_a_served_api_logs_json_lines_through_uvicorn(tmp_path: Path) -> None:
    """``chm-search serve``: uvicorn's own lines and the access lines in the one JSON format, uvicorn's
    access log (which wrote whole query strings) off."""
    environment = clean_environment(CHM_DATA_DIR=str(tmp_path / "data"), CHM_LOG_FORMAT="json")
    log_file = tmp_path / "serve.log"
    search = "/api/v1/search?q=quokkaberry&lang=fr"
    with (
        log_file.open("w") as sink,
        serving(SERVE, environment, any_answer=True, output=sink) as server,
        urllib.request.urlopen(f"{server.url}{search}", timeout=10) as response,
    ):
        request_id = response.headers["X-Request-ID"]
    lines = logged(log_file.read_text(encoding="utf-8"))
    assert any(line["logger"].startswith("uvicorn") for line in lines)
    # Every line of the request carries its id (the catalogue opened on first use logs under it too).
    mine = [line for line in lines if line.get("request_id") == request_id]
    [access] = [line for line in mine if line["logger"] == "search_api.access"]
    assert access["status"] == 200 and access["path"] == "/api/v1/search"
    assert access["query_parameters"] == ["lang", "q"]
    assert "quokkaberry" not in log_file.read_text(encoding="utf-8")
