"""Scoped partner keys: presets the server applies to every search made with the key (a client
cannot widen them), CORS for the key's own origins only, the key given as ``key=`` by widgets."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from record_catalogue.keys import KeyProblem, KeyStore, parse_presets
from record_catalogue.settings import Settings, load_settings
from record_catalogue.store import Catalogue
from search_api.app import create_app
from tests.commands import run

PARTNER = "https://partner.example"


@pytest.fixture
def scoped(loaded_settings: Settings) -> Iterator[tuple[TestClient, str]]:
    """A client of the sample API and a partner key held to ABS records of Peru, for PARTNER."""
    catalogue = Catalogue(loaded_settings.catalogue_dsn)
    name = f"partner-{uuid.uuid4().hex[:8]}"
    key = KeyStore(catalogue).create(
        name, "partner", presets=parse_presets(["realm=abs", "government=PE"]), origins=[PARTNER]
    )
    # CORS for configured origins only (the default, "*", would allow every origin anyway).
    settings = loaded_settings.model_copy(update={"cors_origins": ["https://configured.example"]})
    try:
        with TestClient(create_app(settings)) as client:
            yield client, key
    finally:
        KeyStore(catalogue).revoke(name)
        catalogue.close()


def ids(client: TestClient, **params: object) -> set[tuple[str, str | None]]:
    response = client.get("/api/v1/search", params={"size": 100, **params})  # type: ignore[arg-type]
    assert response.status_code == 200, response.text
    return {(r["realm"], r["government"]) for r in response.json()["results"]}


def test_a_keys_presets_hold_every_search_made_with_it(scoped: tuple[TestClient, str]) -> None:
    client, key = scoped
    assert len(ids(client)) > 1  # without the key: every clearing-house and country
    held = ids(client, key=key)
    assert held == {("ABS", "pe")}
    response = client.get("/api/v1/search", params={"size": 100}, headers={"X-API-Key": key})
    assert {(r["realm"], r["government"]) for r in response.json()["results"]} == held
    # Narrowing within the presets is allowed; widening is not.
    assert ids(client, key=key, realm=["ABS", "CHM"]) == held
    refused = client.get("/api/v1/search", params={"key": key, "realm": "CHM"})
    assert refused.status_code == 403 and "realm" in refused.json()["error"]["message"]
    export = client.get("/api/v1/search/export", params={"key": key, "format": "json"}).json()
    assert {(r["realm"], r["government"]) for r in export["results"]} == held


def test_cors_is_allowed_for_the_keys_own_origins_only(scoped: tuple[TestClient, str]) -> None:
    client, key = scoped
    ok = client.get("/api/v1/search", params={"key": key}, headers={"Origin": PARTNER})
    assert ok.headers["access-control-allow-origin"] == PARTNER
    other = client.get("/api/v1/search", params={"key": key}, headers={"Origin": "https://elsewhere.example"})
    assert "access-control-allow-origin" not in other.headers
    anonymous = client.get("/api/v1/search", headers={"Origin": PARTNER})
    assert "access-control-allow-origin" not in anonymous.headers


def test_only_a_partner_key_may_travel_in_the_address(loaded_settings: Settings) -> None:
    catalogue = Catalogue(loaded_settings.catalogue_dsn)
    name = f"curator-{uuid.uuid4().hex[:8]}"
    key = KeyStore(catalogue).create(name, "curator")
    try:
        with TestClient(create_app(loaded_settings)) as client:
            response = client.get("/api/v1/search", params={"key": key})
            assert response.status_code == 401 and "X-API-Key" in response.json()["error"]["message"]
            assert client.get("/api/v1/search", params={"key": "chm_not-a-key"}).status_code == 401
    finally:
        KeyStore(catalogue).revoke(name)
        catalogue.close()


def test_presets_and_origins_are_checked_when_the_key_is_made(loaded_settings: Settings) -> None:
    with pytest.raises(KeyProblem, match="realm"):
        parse_presets(["realm=XYZ"])
    with pytest.raises(KeyProblem, match="filter=value"):
        parse_presets(["colour=blue"])
    catalogue = Catalogue(loaded_settings.catalogue_dsn)
    try:
        with pytest.raises(KeyProblem, match="origin"):
            KeyStore(catalogue).create("bad-origin", "partner", origins=["https://partner.example/path"])
        with pytest.raises(KeyProblem, match="partner"):
            KeyStore(catalogue).create("bad-role", "curator", presets={"realm": ["ABS"]})
    finally:
        catalogue.close()


def test_embed_passes_the_key_to_its_widget(scoped: tuple[TestClient, str]) -> None:
    client, key = scoped
    page = client.get("/embed", params={"key": key, "lang": "es"})
    assert page.status_code == 200 and f'key="{key}"' in page.text
    assert client.get("/embed", params={"key": "<script>"}).status_code == 422


def test_the_cli_makes_a_scoped_partner_key(tmp_path: Path) -> None:
    made = run(
        tmp_path,
        "keys",
        "create",
        "--role",
        "partner",
        "--name",
        "Peru ABS portal",
        "--preset",
        "realm=ABS",
        "--preset",
        "government=pe",
        "--origin",
        PARTNER,
    )
    assert made.returncode == 0, made.stderr
    key = made.stdout.strip()
    catalogue = Catalogue(load_settings(data_dir=tmp_path / "data").catalogue_dsn)
    try:
        info = KeyStore(catalogue).verify(key)
        assert info is not None and info.presets == {"realm": ["ABS"], "government": ["pe"]}
        assert info.origins == (PARTNER,)
    finally:
        catalogue.close()
    bad = run(tmp_path, "keys", "create", "--role", "partner", "--name", "bad", "--preset", "realm=XYZ")
    assert bad.returncode == 2 and "realm" in bad.stderr
