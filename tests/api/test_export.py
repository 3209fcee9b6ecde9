"""GET /api/v1/search/export: every result of a search as CSV or JSON, streamed, bounded."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from record_catalogue.settings import Settings
from search_api.app import create_app
from search_api.routes.export import COLUMNS
from search_index.base import IndexUnavailable


def search_ids(client: TestClient, **params: Any) -> list[str]:
    """Every id the paged search gives, following its cursor."""
    ids: list[str] = []
    cursor = None
    while True:
        body = client.get("/api/v1/search", params={**params, "size": 7, **({"cursor": cursor} if cursor else {})})
        assert body.status_code == 200, body.text
        data = body.json()
        ids += [r["id"] for r in data["results"]]
        cursor = data["next_cursor"]
        if not cursor:
            return ids


def test_csv_holds_every_result_in_the_searchs_order_with_a_header_and_a_bom(client: TestClient) -> None:
    response = client.get("/api/v1/search/export", params={"format": "csv", "lang": "fr"})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/csv")
    assert 'filename="chm-search-fr.csv"' in response.headers["content-disposition"]
    assert "etag" not in response.headers  # streamed, never buffered for an ETag
    assert response.content.startswith(b"\xef\xbb\xbf")
    table = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert tuple(table[0]) == COLUMNS
    rows = [dict(zip(COLUMNS, row, strict=True)) for row in table[1:]]
    # Every page, in the order the search itself gives (browsing: newest first).
    assert [row["id"] for row in rows] == search_ids(client, lang="fr") and len(rows) == 18  # 19 records, 18 documents
    permit = next(row for row in rows if row["id"] == "B5F49425-6551-483C-9C00-1E7B8E529121")
    assert permit["country"] == "Pérou" and permit["government"] == "pe"
    assert permit["record_type"] and permit["record_type"] != "absPermit"  # labelled in French
    assert permit["record_page"] == "/record/B5F49425-6551-483C-9C00-1E7B8E529121?lang=fr"
    meeting = next(row for row in rows if row["id"] == "CC914A09-3A83-4801-A9B5-242138F95406")
    assert meeting["cbd_id"] == "UNEP/CBD/COP/12/11" and meeting["title"].startswith("Coopération technique")


def test_json_follows_the_same_filters_and_query(client: TestClient) -> None:
    params = {"q": "Bertholletia", "lang": "en", "realm": "ABS"}
    response = client.get("/api/v1/search/export", params={**params, "format": "json"})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert [r["id"] for r in body["results"]] == search_ids(client, **params)
    assert body["exported"] == len(body["results"]) >= 1 and body["max_rows"] == 10_000
    assert {r["realm"] for r in body["results"]} == {"ABS"}
    assert all("country" in r and "record_type" in r for r in body["results"])


def test_bad_parameters_are_refused_before_anything_is_streamed(client: TestClient) -> None:
    response = client.get("/api/v1/search/export", params={"format": "xlsx"})
    assert response.status_code == 422 and "format" in response.text
    response = client.get("/api/v1/search/export", params={"year_from": 2020, "year_to": 2010})
    assert response.status_code == 422 and "year_from" in response.text


@pytest.fixture
def small_export_client(loaded_settings: Settings) -> Iterator[TestClient]:
    settings = loaded_settings.model_copy(update={"export_max_rows": 5})
    with TestClient(create_app(settings)) as test_client:
        yield test_client


def test_an_export_stops_at_the_configured_maximum(small_export_client: TestClient) -> None:
    body = small_export_client.get("/api/v1/search/export", params={"format": "json"}).json()
    assert body["exported"] == len(body["results"]) == body["max_rows"] == 5
    table = small_export_client.get("/api/v1/search/export", params={"format": "csv"}).content.decode("utf-8-sig")
    assert len(list(csv.reader(io.StringIO(table)))) == 1 + 5


def test_a_cell_a_spreadsheet_would_run_as_a_formula_is_quoted() -> None:
    from search_api.routes.export import _spreadsheet_safe

    assert _spreadsheet_safe('=HYPERLINK("x")') == '\'=HYPERLINK("x")'
    assert _spreadsheet_safe("-1") == "'-1" and _spreadsheet_safe("Pérou") == "Pérou"


def test_pages_are_followed_to_the_end(client: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    """With pages of 4 the 18 documents take five engine pages (search_after, one point in time)."""
    monkeypatch.setattr("search_api.routes.export.PAGE_SIZE", 4)
    body = client.get("/api/v1/search/export", params={"format": "json", "lang": "es"}).json()
    ids = [r["id"] for r in body["results"]]
    assert ids == search_ids(client, lang="es") and len(set(ids)) == 18
    body = client.get(
        "/api/v1/search/export", params={"format": "json", "q": "biodiversity", "sort": "relevance"}
    ).json()
    assert [r["id"] for r in body["results"]] == search_ids(client, q="biodiversity", sort="relevance")


@pytest.mark.parametrize("failure", ["engine", "unexpected"])
def test_a_failure_after_the_first_page_ends_the_file_with_a_visible_error(
    client: TestClient, monkeypatch: pytest.MonkeyPatch, failure: str
) -> None:
    """The 200 has been sent with the first page: the file must say it is incomplete, not just end."""
    monkeypatch.setattr("search_api.routes.export.PAGE_SIZE", 4)
    backend = client.app.state.services.backend  # type: ignore[attr-defined]
    real_search = backend.search
    calls: list[int] = []

    def search(query: Any) -> Any:
        calls.append(1)
        if len(calls) > 1:  # the engine fails while the second page is read
            if failure == "engine":
                raise IndexUnavailable("connection refused")
            raise RuntimeError("something nobody foresaw")
        return real_search(query)

    monkeypatch.setattr(backend, "search", search)
    response = client.get("/api/v1/search/export", params={"format": "csv", "lang": "fr"})
    assert response.status_code == 200
    table = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert tuple(table[0]) == COLUMNS and len(table) == 1 + 4 + 1
    [marker] = table[-1]
    assert marker.startswith("# ERROR: the export stopped after 4 rows: ") and "this file is incomplete" in marker
    assert response.headers["x-request-id"] in marker
    if failure == "engine":
        assert "search engine became unavailable (connection refused)" in marker
    else:
        assert "unexpected error" in marker and "nobody foresaw" not in marker

    calls.clear()
    body = client.get("/api/v1/search/export", params={"format": "json"}).json()
    assert body["exported"] == len(body["results"]) == 4
    assert body["error"]["code"] == ("search_unavailable" if failure == "engine" else "export_failed")
    assert "this file is incomplete" in body["error"]["message"] and body["error"]["request_id"]
    # A complete export has no error.
    monkeypatch.setattr(backend, "search", real_search)
    assert "error" not in client.get("/api/v1/search/export", params={"format": "json"}).json()
