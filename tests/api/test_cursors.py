"""Search cursors are signed, bounded and tied to their search, on every engine (issue 13, item 1).

Before, a cursor was base64 JSON anyone could write: ``{"after": [10000000000]}`` reached the
embedded engine as an offset (the process aborted allocating 160 GB), and ``["x"]``, ``[null]``,
``[{}]`` gave plain-text 500s.
"""

from __future__ import annotations

import base64
import json
import time
from typing import Any

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr

from record_catalogue.settings import Settings
from search_api.app import create_app

SEARCH = {"q": "", "sort": "newest", "size": 2}


def _query_key(params: dict[str, Any]) -> str:
    """The search a cursor belongs to, spelt as the route spells it (for writing forged cursors)."""
    return json.dumps([params.get("q", ""), "en", [], None, None, params["sort"], params["size"], True])


def _unsigned(data: dict[str, Any]) -> str:
    """A cursor in the old, unsigned form: base64 of JSON."""
    return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")


def _first_cursor(client: TestClient) -> str:
    body = client.get("/api/v1/search", params=SEARCH).json()
    assert body["next_cursor"]
    return str(body["next_cursor"])


def _refused(client: TestClient, cursor: str, params: dict[str, Any] | None = None) -> str:
    response = client.get("/api/v1/search", params={**(params or SEARCH), "cursor": cursor})
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert error["code"] == "invalid_cursor" and error["message"].startswith("cursor:")
    return str(error["message"])


@pytest.mark.parametrize("after", [[10_000_000_000], ["x"], [None], [{}], [5], [1, "id"], [2.5, "BCH-1"]])
def test_a_cursor_the_service_did_not_sign_is_refused(client: TestClient, after: list[Any]) -> None:
    """The huge offset, wrong types, and even a well-shaped position: nothing unsigned reaches the engine."""
    forged = _unsigned({"after": after, "q": _query_key(SEARCH)})
    assert "signature" in _refused(client, forged)


def test_an_edited_cursor_is_refused(client: TestClient) -> None:
    cursor = _first_cursor(client)
    payload, _, signature = cursor.partition(".")
    data = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    data["d"] = 10_000_000
    data["a"] = [10_000_000_000]
    edited = base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")
    assert "signature" in _refused(client, f"{edited}.{signature}")
    assert "signature" in _refused(client, cursor[:-3] + ("AAA" if not cursor.endswith("AAA") else "BBB"))


@pytest.mark.parametrize("garbage", ["garbage", ".", "a.b", "x" * 3000, "%%%.%%%", "e30.e30"])
def test_garbage_cursors_are_422_not_500(client: TestClient, garbage: str) -> None:
    _refused(client, garbage)


def test_a_cursor_only_continues_its_own_search(client: TestClient) -> None:
    cursor = _first_cursor(client)
    assert "another search" in _refused(client, cursor, {**SEARCH, "q": "biodiversity"})
    assert "another search" in _refused(client, cursor, {**SEARCH, "size": 3})
    assert "another search" in _refused(client, cursor, {**SEARCH, "sort": "relevance"})


def test_a_stale_cursor_is_refused(client: TestClient) -> None:
    from search_api.cursors import Cursor, CursorSigner

    cursor = _first_cursor(client)
    payload, _, _ = cursor.partition(".")
    data = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    signer: CursorSigner = client.app.state.cursor_signer  # type: ignore[attr-defined]
    old = signer.encode(
        _query_key(SEARCH), Cursor(data["a"], data["p"], data["d"]), now=time.time() - signer.max_age_seconds - 10
    )
    assert "expired" in _refused(client, old)


def test_a_cursor_of_another_deployment_is_refused(client: TestClient, loaded_settings: Settings) -> None:
    """Signed with another key (another deployment, or before the key changed)."""
    cursor = _first_cursor(client)
    other = loaded_settings.model_copy(update={"cursor_secret": SecretStr("another deployment's secret, long enough")})
    with TestClient(create_app(other)) as elsewhere:
        assert "signature" in _refused(elsewhere, cursor)


def test_processes_sharing_a_data_directory_share_the_key(client: TestClient, loaded_settings: Settings) -> None:
    from search_api.cursors import KEY_FILE

    cursor = _first_cursor(client)
    key_file = loaded_settings.data_dir / KEY_FILE
    assert key_file.is_file() and key_file.stat().st_mode & 0o077 == 0  # readable by its owner only
    with TestClient(create_app(loaded_settings)) as another_process:
        page = another_process.get("/api/v1/search", params={**SEARCH, "cursor": cursor})
        assert page.status_code == 200 and len(page.json()["results"]) == 2


def test_cursor_pages_match_numbered_pages(client: TestClient) -> None:
    numbered = client.get("/api/v1/search", params={**SEARCH, "size": 6}).json()["results"]
    first = client.get("/api/v1/search", params=SEARCH).json()
    second = client.get("/api/v1/search", params={**SEARCH, "cursor": first["next_cursor"]}).json()
    third = client.get("/api/v1/search", params={**SEARCH, "cursor": second["next_cursor"]}).json()
    paged = [r["id"] for page in (first, second, third) for r in page["results"]]
    assert paged == [r["id"] for r in numbered]


def test_paging_depth_is_bounded(client: TestClient, loaded_settings: Settings) -> None:
    """Numbered pages stop at the engines' window (a 500 on OpenSearch before); cursors at their own limit."""
    response = client.get("/api/v1/search", params={"page": 101, "size": 100})
    assert response.status_code == 422 and response.json()["error"]["message"].startswith("page:")
    assert client.get("/api/v1/search", params={"page": 100, "size": 100}).status_code == 200
    shallow = loaded_settings.model_copy(update={"max_cursor_depth": 4})
    with TestClient(create_app(shallow)) as limited:
        first = limited.get("/api/v1/search", params=SEARCH).json()
        second = limited.get("/api/v1/search", params={**SEARCH, "cursor": first["next_cursor"]}).json()
        assert len(second["results"]) == 2 and second["next_cursor"] is None


def test_query_length_is_a_setting(client: TestClient, loaded_settings: Settings) -> None:
    short = loaded_settings.model_copy(update={"max_query_chars": 20})
    with TestClient(create_app(short)) as limited:
        response = limited.get("/api/v1/search", params={"q": "a" * 21})
        assert response.status_code == 422 and response.json()["error"]["message"].startswith("q:")
        assert limited.get("/api/v1/search", params={"q": "a" * 20}).status_code == 200


def test_a_damaged_key_file_is_a_setup_error_naming_it(tmp_path: Any, loaded_settings: Settings) -> None:
    """The operator's to fix (500 configuration_error, exit 2), not the client's cursor (was 422 invalid_cursor)."""
    from record_catalogue.errors import ConfigurationError
    from search_api.cursors import KEY_FILE, cursor_key

    settings = loaded_settings.model_copy(update={"data_dir": tmp_path, "cursor_secret": None})
    (tmp_path / KEY_FILE).write_text("not hex\n", encoding="ascii")
    with pytest.raises(ConfigurationError, match=KEY_FILE) as raised:
        cursor_key(settings)
    assert (raised.value.api_status, raised.value.api_code, raised.value.exit_code) == (500, "configuration_error", 2)
