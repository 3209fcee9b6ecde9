"""The OpenAPI document declares what the API does (issue 13, item 7): the key scheme, every status
each operation can answer, the error body, and /suggest's OpenSearch content type."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

ERROR = {"$ref": "#/components/schemas/ErrorBody"}


def _operations(spec: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (method, path, operation)
        for path, operations in spec["paths"].items()
        if path.startswith("/api/")
        for method, operation in operations.items()
    ]


def test_the_key_scheme_is_declared_and_required_where_a_role_is(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    assert spec["components"]["securitySchemes"]["ApiKey"] == {
        "type": "apiKey",
        "in": "header",
        "name": "X-API-Key",
        "description": spec["components"]["securitySchemes"]["ApiKey"]["description"],
    }
    operations = {(method, path): operation for method, path, operation in _operations(spec)}
    assert operations[("post", "/api/v1/records")]["security"] == [{"ApiKey": []}]
    assert operations[("put", "/api/v1/translations/{id}")]["security"] == [{"ApiKey": []}]
    assert operations[("get", "/api/v1/search")]["security"] == [{}, {"ApiKey": []}]  # optional: a partner's limit


def test_every_status_an_operation_can_answer_is_declared_with_the_error_body(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    assert "HTTPValidationError" not in spec["components"]["schemas"]
    for method, path, operation in _operations(spec):
        responses = operation["responses"]
        expected = {"401", "500", "503"} | ({"429"} if not path.endswith("/health") else set())
        if "requestBody" in operation:
            expected |= {"400", "413", "415", "422"}
        if operation["security"] == [{"ApiKey": []}]:
            expected.add("403")
        assert expected <= set(responses), (method, path, sorted(responses))
        for status, response in responses.items():
            own_body = (path.endswith("/health") and status == "503") or status == "409"  # the report; the conflict
            if status >= "400" and not own_body:
                assert response["content"]["application/json"]["schema"] == ERROR, (method, path, status)


def test_suggest_documents_the_opensearch_content_type(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    content = spec["paths"]["/api/v1/suggest"]["get"]["responses"]["200"]["content"]
    assert {"application/json", "application/x-suggestions+json"} <= set(content)


def test_the_vocabularies_are_named_enums(client: TestClient) -> None:
    """record_catalogue.codes: partners' generated clients get one enum per vocabulary, with the
    values the API has always sent."""
    spec = client.get("/openapi.json").json()
    schemas = spec["components"]["schemas"]
    assert schemas["LanguageCode"]["enum"] == ["ar", "en", "es", "fr", "ru", "zh"]
    assert schemas["Realm"]["enum"] == ["CHM", "ABS", "BCH"]
    assert schemas["Provenance"]["enum"] == ["original", "machine", "reviewed"]
    assert schemas["TextStatus"]["enum"] == ["current", "stale", "failed", "rejected", "pending"]
    assert schemas["TranslationStatus"]["enum"] == ["original", "machine", "reviewed", "pending"]
    assert "code" in schemas["Language"]["properties"]  # /languages' own model keeps its name
    result = schemas["SearchResult"]["properties"]
    assert result["translation_status"] == {"$ref": "#/components/schemas/TranslationStatus"}
    assert result["realm"] == {"$ref": "#/components/schemas/Realm"}
    version = schemas["TextVersionOut"]["properties"]
    assert version["provenance"] == {"$ref": "#/components/schemas/Provenance"}
    [lang] = [p for p in spec["paths"]["/api/v1/search"]["get"]["parameters"] if p["name"] == "lang"]
    assert lang["schema"]["$ref"] == "#/components/schemas/LanguageCode" and lang["schema"]["default"] == "en"
