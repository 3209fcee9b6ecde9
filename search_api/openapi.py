"""The OpenAPI document partners build on, completed with what every route can answer.

FastAPI documents what a route declares. The statuses the middleware and the error handlers add
are the same across routes, so they are added here, once, rather than repeated on each route:
401 (a key given but not valid), 429 (rate limits), 500 and 503 on every API operation; 400, 413
and 415 where there is a body; 403 where a role is needed; and every error's body is the one
error shape (``ErrorBody``), including the 422 FastAPI would describe as its own.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from pydantic.json_schema import models_json_schema

from search_api.errors import ErrorBody

ERROR_REF = {"$ref": "#/components/schemas/ErrorBody"}
# The LibreTranslate-compatible routes answer in LibreTranslate's shape ({"error": "message"});
# what escapes them (a 500 from the error boundary) has the API's shape.
LIBRETRANSLATE = "/libretranslate/"
LT_ERROR = {
    "type": "object",
    "required": ["error"],
    "properties": {"error": {"anyOf": [{"type": "string"}, {"$ref": "#/components/schemas/ErrorDetail"}]}},
}
SCHEME = "ApiKey"
DESCRIPTIONS: dict[str, str] = {
    "400": "The body is not JSON (or not UTF-8)",
    "401": "No API key where one is needed, or the X-API-Key given is not valid",
    "403": "The key lacks the role this endpoint needs",
    "404": "Not found",
    "409": "The version edited is not the current one",
    "413": "The request body is larger than this endpoint accepts",
    "415": "The body is not application/json",
    "422": "A parameter or the body is not valid (the message names it)",
    "429": "Rate limited: retry after Retry-After seconds",
    "500": "An unexpected error: the message holds the request id the log has it under",
    "503": "A part the service stands on is down (catalogue, search engine, storage): retry later",
}


def _error(status: str) -> dict[str, Any]:
    return {"description": DESCRIPTIONS.get(status, "Error"), "content": {"application/json": {"schema": ERROR_REF}}}


def complete(schema: dict[str, Any]) -> dict[str, Any]:
    """Add the key scheme, the error shape and the common statuses to ``schema`` (in place)."""
    components = schema.setdefault("components", {})
    _, definitions = models_json_schema([(ErrorBody, "serialization")], ref_template="#/components/schemas/{model}")
    components.setdefault("schemas", {}).update(definitions.get("$defs", {}))
    for unused in ("HTTPValidationError", "ValidationError"):
        components["schemas"].pop(unused, None)
    components.setdefault("securitySchemes", {})[SCHEME] = {
        "type": "apiKey",
        "in": "header",
        "name": "X-API-Key",
        "description": "An API key (`chm-search keys create`): needed by curation and ingest; "
        "on public endpoints optional (a partner's own rate limit).",
    }
    for path, operations in schema.get("paths", {}).items():
        if path.startswith(LIBRETRANSLATE):
            _complete_libretranslate(operations)
        if not path.startswith("/api/"):
            continue
        for method, operation in operations.items():
            responses: dict[str, Any] = operation.setdefault("responses", {})
            keyed = bool(operation.get("security"))
            statuses = {"401", "500", "503"}
            if keyed:
                statuses.add("403")
            else:
                operation["security"] = [{}, {SCHEME: []}]
            if not path.endswith("/health"):
                statuses.add("429")
            if "requestBody" in operation or method in ("post", "put", "patch"):
                statuses |= {"400", "413", "415", "422"}
            if operation.get("parameters"):
                statuses.add("422")
            statuses |= {status for status in responses if status.startswith(("4", "5"))}
            for status in sorted(statuses):
                existing = responses.get(status, {})
                own = [media.get("schema") for media in existing.get("content", {}).values()]
                if own and ERROR_REF not in own and status != "422":
                    continue  # a route's own body (health's 503 is the health report)
                described = _error(status)
                if existing.get("description") and status not in ("422",):
                    described["description"] = existing["description"]
                responses[status] = described
    return schema


def _complete_libretranslate(operations: dict[str, Any]) -> None:
    for method, operation in operations.items():
        responses: dict[str, Any] = operation.setdefault("responses", {})
        statuses = {"429", "500", "503"} | ({"400", "403", "413"} if method == "post" else set())
        for status in sorted(statuses | {status for status in responses if status.startswith(("4", "5"))}):
            description = responses.get(status, {}).get("description") or DESCRIPTIONS.get(status, "Error")
            responses[status] = {"description": description, "content": {"application/json": {"schema": LT_ERROR}}}


def install(app: FastAPI) -> None:
    """Serve the completed document at /openapi.json: FastAPI's own, from every setting of the app,
    completed once."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = complete(FastAPI.openapi(app))
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
