"""GET /api/v1/health: ok when every part is, 503 naming the part that is down."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient

from record_catalogue.settings import Settings, load_settings
from search_api.app import create_app


def test_health_ok(client: TestClient, loaded_settings: Settings) -> None:
    response = client.get("/api/v1/health")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok" and body["engine"] == (
        loaded_settings.es_flavour if loaded_settings.es_url else "tantivy"
    )
    assert body["search_engine"]["status"] == "ok" and body["catalogue"]["status"] == "ok"
    assert "19 records" in body["catalogue"]["detail"]
    assert body["translation"]["status"] == "ok"  # no model installed is fine: texts stay pending


def test_engine_down_is_503_naming_it(tmp_path: Path) -> None:
    settings = load_settings(data_dir=tmp_path)
    with TestClient(create_app(settings)) as client:
        response = client.get("/api/v1/health")
        assert response.status_code == 503
        body = response.json()
        assert body["search_engine"]["status"] == "down"
        assert "chm-search reindex" in body["search_engine"]["detail"]
        assert body["catalogue"]["status"] == "ok"
        search = client.get("/api/v1/search", params={"q": "x"})
        assert search.status_code == 503
        assert search.json()["error"]["code"] == "search_unavailable"


def test_catalogue_down_is_503_naming_it(loaded_settings: Settings, tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    settings = loaded_settings.model_copy(update={"catalogue_url": f"sqlite:///{blocker}/c.sqlite3"})
    with TestClient(create_app(settings)) as client:
        response = client.get("/api/v1/health")
        assert response.status_code == 503
        body = response.json()
        assert body["catalogue"]["status"] == "down" and "CHM_CATALOGUE_URL" in body["catalogue"]["detail"]
        assert body["search_engine"]["status"] == "ok"
