"""One exception handler answers every ``ChmSearchError`` from the one table: the status, code and
``Retry-After`` of the error's cause, the API's error body with the request id — in the real app,
with its middleware, for a route raising each cause and for real routes' own errors."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from record_catalogue.errors import OUTCOMES, Cause, ChmSearchError
from record_catalogue.keys import KeyStore
from record_catalogue.settings import load_settings
from record_catalogue.store import Catalogue
from search_api.app import create_app
from search_api.errors import ApiError


def failing(cause: Cause) -> ChmSearchError:
    error_class = type(f"Failing{cause.name.title()}", (ChmSearchError,), {"cause": cause})
    return error_class(f"it failed ({cause.value})")


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    settings = load_settings(data_dir=tmp_path / "data")
    catalogue = Catalogue(settings.catalogue_dsn)
    key = KeyStore(catalogue).create("handler test", "curator")
    catalogue.close()
    app = create_app(settings)

    def raise_cause(cause: Cause) -> None:
        raise failing(cause)

    def raise_api_error() -> None:
        raise ApiError(413, "body_too_large", "at most 10 bytes")

    app.add_api_route("/raise/{cause}", raise_cause)
    app.add_api_route("/raise-api-error", raise_api_error)
    with TestClient(app, raise_server_exceptions=False) as test_client:
        test_client.headers["X-API-Key"] = key
        yield test_client


@pytest.mark.parametrize("cause", list(Cause))
def test_each_cause_is_answered_as_the_table_says(client: TestClient, cause: Cause) -> None:
    outcome = OUTCOMES[cause]
    response = client.get(f"/raise/{cause.value}")
    assert response.status_code == outcome.status
    assert response.headers["content-type"] == "application/json"
    error = response.json()["error"]
    assert error["code"] == outcome.code
    assert f"it failed ({cause.value})" in error["message"]
    if outcome.label != "error":
        assert error["message"].startswith(f"{outcome.label}: ")
    retry = response.headers.get("Retry-After")
    assert retry == (str(outcome.retry_after) if outcome.retry_after is not None else None)
    assert error["request_id"] == response.headers["X-Request-ID"]  # the id to quote, the same as logged


def test_an_api_error_keeps_its_own_status_and_code(client: TestClient) -> None:
    response = client.get("/raise-api-error")
    assert response.status_code == 413
    error = response.json()["error"]
    assert (error["code"], error["message"]) == ("body_too_large", "at most 10 bytes")


def test_real_routes_errors_come_through_the_handler(client: TestClient) -> None:
    """Curation's NotFound (no route catches it any more) and a record that is not there."""
    for path in ("/api/v1/translations/999999", "/api/v1/translations/999999/history"):
        response = client.get(path)
        assert response.status_code == 404
        error = response.json()["error"]
        assert (error["code"], error["message"]) == ("not_found", "no translation with id 999999")
    edit = client.put("/api/v1/translations/999999", json={"status": "reviewed", "version": 1})
    assert edit.status_code == 404 and edit.json()["error"]["code"] == "not_found"
    record = client.get("/api/v1/records/nope")
    assert record.status_code == 404 and record.json()["error"]["code"] == "not_found"
