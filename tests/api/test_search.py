"""GET /api/v1/search over the samples: fields, facets, filters, validation, safety."""

from __future__ import annotations

from typing import Any

import orjson
import pytest
from fastapi.testclient import TestClient

from tests.api.conftest import search

RESULT_FIELDS = {
    "id",
    "realm",
    "schema",
    "government",
    "title",
    "summary",
    "snippet",
    "url",
    "date",
    "original_language",
    "display_language",
    "machine_translated",
    "translation_status",
    "entities",
    "keywords",
    "title_highlighted",
    "original",
    "cbd_id",
    "realms",
    "sources",
}

COP_RECORD = "CC914A09-3A83-4801-A9B5-242138F95406"  # samples/records/meetingDocument-cop12-11-chm.json


def test_finds_the_sample_document_by_a_word_of_its_text(client: TestClient) -> None:
    # The word is in the text file only; the file and the meeting-document record are one
    # document (its symbol), shown once by the record in six languages, listing both.
    body = search(client, q="convenor", lang="en")
    assert [r["id"] for r in body["results"]] == [COP_RECORD]
    result = body["results"][0]
    assert set(result) == RESULT_FIELDS
    assert result["keywords"] == []  # its COP-12 reference is no thesaurus keyword (no thesaurus harvested)
    assert (result["realm"], result["schema"], result["original_language"]) == ("CHM", "meetingDocument", "ar")
    assert result["title"] == "Technical and scientific cooperation and the clearing-house mechanism"
    assert [s["id"] for s in result["sources"]] == [COP_RECORD, "UNEP-CBD-COP-12-11"]
    assert "<mark>convenor</mark>" in result["snippet"]
    assert result["translation_status"] == "original" and result["machine_translated"] is False
    assert {"total", "page", "size", "lang", "took_ms", "results", "facets", "next_cursor"} <= set(body)


def test_realm_facet_with_labels_in_the_readers_language(client: TestClient) -> None:
    body = search(client, q="", lang="fr", size=1)
    realm = {f["value"]: f for f in body["facets"]["realm"]}
    assert set(realm) == {"ABS", "BCH", "CHM"}
    assert sum(f["count"] for f in realm.values()) == body["total"] == 18  # 19 records, one document twice
    assert realm["BCH"]["label"] == "Centre d'échange pour la prévention des risques biotechnologiques"


def test_realm_filter_is_multi_select(client: TestClient) -> None:
    body = search(client, realm=["ABS", "BCH"], size=100)
    assert {r["realm"] for r in body["results"]} == {"ABS", "BCH"}
    counts = {f["value"]: f["count"] for f in body["facets"]["realm"]}
    assert counts["CHM"] > 0  # other realms stay visible for multi-select


def test_results_in_another_language_say_so(client: TestClient) -> None:
    body = search(client, q="", lang="ru", realm="BCH", size=100)
    chinese = next(r for r in body["results"] if r["original_language"] == "zh")
    assert chinese["display_language"] == "zh" and chinese["translation_status"] == "pending"
    russian = next(r for r in body["results"] if r["original_language"] == "ru")
    assert russian["display_language"] == "ru" and russian["translation_status"] == "original"


def test_script_in_a_record_is_escaped(client: TestClient) -> None:
    body = search(client, q="notification", lang="en", size=100)
    for result in body["results"]:
        assert "<script" not in (result["snippet"] or "")


@pytest.mark.parametrize(
    ("params", "needle"),
    [
        ({"realm": "XYZ"}, "realm"),
        ({"size": 101}, "size"),
        ({"page": 0}, "page"),
        ({"lang": "de"}, "lang"),
        ({"sort": "random"}, "sort"),
        ({"government": "bra"}, "government"),
        ({"q": "x" * 1001}, "q"),
        ({"cursor": "garbage"}, "cursor"),
    ],
)
def test_bad_parameters_are_422_naming_them(client: TestClient, params: dict[str, Any], needle: str) -> None:
    response = client.get("/api/v1/search", params=params)
    assert response.status_code == 422
    error = response.json()["error"]
    assert set(error) == {"code", "message", "request_id"} and needle in error["message"]
    assert error["request_id"] == response.headers["x-request-id"]


@pytest.mark.parametrize("q", ['title:foo OR "bar', "🌿🐝 biodiversité 生物", "*:*", "\\", "((((", "a" * 1000])
def test_odd_queries_get_a_normal_answer(client: TestClient, q: str) -> None:
    assert client.get("/api/v1/search", params={"q": q}).status_code == 200


def test_cursor_pages_through_everything(client: TestClient) -> None:
    seen: list[str] = []
    params: dict[str, Any] = {"size": 5, "sort": "newest"}
    while True:
        body = search(client, **params)
        seen.extend(r["id"] for r in body["results"])
        if not body["next_cursor"]:
            break
        params["cursor"] = body["next_cursor"]
    assert len(seen) == len(set(seen)) == 18  # 19 records, one document twice


def test_unknown_route_uses_the_error_shape(client: TestClient) -> None:
    response = client.get("/api/v1/nothing")
    assert response.status_code == 404 and response.json()["error"]["code"] == "not_found"


def test_entity_facets_per_type_with_labels_and_filter(client: TestClient) -> None:
    body = search(client, q="", lang="es", size=100)
    countries = {f["value"]: f for f in body["facets"]["entity_country"]}
    assert countries["country:pe"]["label"] == "Perú" and countries["country:pe"]["count"] >= 1
    targets = {f["value"] for f in body["facets"]["entity_target"]}
    assert {"target:aichi-11", "target:gbf-3"} <= targets
    assert "entity" not in body["facets"]
    peru = search(client, entity="country:pe", lang="es", size=100)
    assert peru["total"] == countries["country:pe"]["count"]
    assert all("country:pe" in r["entities"] for r in peru["results"])
    government = {f["value"]: f["label"] for f in body["facets"]["government"]}
    assert government["mx"] == "México"


def test_invalid_utf8_and_lone_surrogates_are_not_server_errors(client: TestClient) -> None:
    for raw in ("%ED%A0%80", "%FF%FE", "%00", "a%0Ab"):
        assert client.get(f"/api/v1/search?q={raw}").status_code == 200
    response = client.post(
        "/api/v1/detect", content='{"texts": ["\\ud800 abc"]}', headers={"content-type": "application/json"}
    )
    assert response.status_code == 422 and response.json()["error"]["code"] == "invalid_parameter"


def test_a_misspelt_query_that_finds_nothing_gets_a_did_you_mean_from_the_index(client: TestClient) -> None:
    # "Hrbalsts" is two edits from "herbalists" (a word of a sample title): beyond typo tolerance,
    # so nothing is found, and the index's own word is offered with what it finds.
    body = search(client, q="Hrbalsts Kaya", lang="fr")
    assert body["total"] == 0
    found = search(client, q="Herbalists Kaya", lang="fr")["total"]
    assert found > 0
    assert body["interpretation"]["did_you_mean"] == {"text": "Herbalists Kaya", "total": found}
    # Words the index holds, or with no near neighbour there, get none.
    assert search(client, q="herbalists", lang="en")["interpretation"]["did_you_mean"] is None
    assert search(client, q="zzzzqqq", lang="en")["interpretation"]["did_you_mean"] is None


@pytest.mark.parametrize(
    "params",
    [
        {"q": "biodiversity", "lang": "fr"},  # cards in another language, originals beside them
        {"q": "diversité biologique", "lang": "fr"},  # a glossary widening in the interpretation
        {"q": "", "lang": "es", "entity": ["country:br"]},  # browsing, entity facets
        {"q": "biodiversty zzzqqq", "lang": "en"},  # nothing found: a did-you-mean
        {"q": "protocol", "lang": "en", "realm": ["BCH"], "original_language": ["zh"]},  # filters to relax
    ],
)
def test_the_body_is_its_documented_model_field_for_field(client: TestClient, params: dict[str, Any]) -> None:
    """The route writes its body as plain values (``card``, not ten validated models a search):
    it must be exactly what the documented ``SearchResponse`` gives, every field, in its order."""
    from search_api.routes.search import SearchResponse

    response = client.get("/api/v1/search", params=params)
    assert response.status_code == 200, response.text
    modelled = SearchResponse.model_validate_json(response.content).model_dump(by_alias=True)
    assert response.content == orjson.dumps(modelled)
