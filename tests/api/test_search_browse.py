"""Browsing and the year range: what a reader who types nothing, or `*`, or an inverted range, gets."""

from __future__ import annotations

from fastapi.testclient import TestClient


def dates(body: dict[str, object]) -> list[str]:
    results = body["results"]
    assert isinstance(results, list)
    return [str(result["date"]) for result in results if result.get("date")]


def test_browsing_lists_the_newest_records_first(client: TestClient) -> None:
    body = client.get("/api/v1/search", params={"lang": "en", "size": 20}).json()
    listed = dates(body)
    assert len(listed) > 3 and listed == sorted(listed, reverse=True)


def test_a_star_browses_everything(client: TestClient) -> None:
    everything = client.get("/api/v1/search", params={"lang": "en"}).json()
    star = client.get("/api/v1/search", params={"lang": "en", "q": "*"}).json()
    assert star["total"] == everything["total"] > 3
    assert [r["id"] for r in star["results"]] == [r["id"] for r in everything["results"]]


def test_words_still_rank_by_relevance_and_sort_can_be_asked(client: TestClient) -> None:
    relevance = client.get("/api/v1/search", params={"lang": "en", "q": "biodiversity", "size": 20}).json()
    params = {"lang": "en", "q": "biodiversity", "size": 20, "sort": "newest"}
    newest = client.get("/api/v1/search", params=params).json()
    assert relevance["total"] == newest["total"] > 2
    assert dates(newest) == sorted(dates(newest), reverse=True)
    assert [r["id"] for r in relevance["results"]] != [r["id"] for r in newest["results"]]
    relevance_browse = client.get("/api/v1/search", params={"lang": "en", "sort": "relevance"})
    assert relevance_browse.status_code == 200


def test_an_inverted_year_range_is_refused_naming_the_parameter(client: TestClient) -> None:
    response = client.get("/api/v1/search", params={"lang": "en", "year_from": 2020, "year_to": 2010})
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "invalid_parameter"
    assert error["message"].startswith("year_from:")
    same_year = client.get("/api/v1/search", params={"lang": "en", "year_from": 2015, "year_to": 2015})
    assert same_year.status_code == 200
