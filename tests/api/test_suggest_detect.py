"""GET /api/v1/suggest and POST /api/v1/detect."""

from __future__ import annotations

from fastapi.testclient import TestClient


def test_suggest_completes_titles_in_the_readers_language(client: TestClient) -> None:
    body = client.get("/api/v1/suggest", params={"q": "manuel de form", "lang": "fr"}).json()
    assert body["suggestions"] == ["Manuel de formation sur l'évaluation des risques des organismes vivants modifiés"]
    assert client.get("/api/v1/suggest", params={"q": "", "lang": "fr"}).json() == {"suggestions": []}
    assert client.get("/api/v1/suggest", params={"q": "zzzzqx"}).json() == {"suggestions": []}


def test_detect(client: TestClient) -> None:
    texts = ["Les aires marines protégées du littoral", "Сохранение биоразнообразия", "生物多样性", "12345"]
    response = client.post("/api/v1/detect", json={"texts": texts})
    assert response.status_code == 200
    assert [d["language"] for d in response.json()] == ["fr", "ru", "zh", "und"]
    assert all(0.0 <= d["confidence"] <= 1.0 for d in response.json())


def test_detect_limits(client: TestClient) -> None:
    assert client.post("/api/v1/detect", json={"texts": []}).status_code == 422
    assert client.post("/api/v1/detect", json={"texts": ["a"] * 1001}).status_code == 422
    assert client.post("/api/v1/detect", json={"text": "a"}).status_code == 422


def test_suggest_in_the_opensearch_form_browsers_use(client: TestClient) -> None:
    response = client.get("/api/v1/suggest", params={"q": "manuel de form", "lang": "fr", "format": "opensearch"})
    assert response.headers["content-type"].startswith("application/x-suggestions+json")
    assert response.json() == [
        "manuel de form",
        ["Manuel de formation sur l'évaluation des risques des organismes vivants modifiés"],
    ]
