"""``POST /api/v1/events`` and the curators' overview, over a real catalogue, index and model.

Events are sent as the page's beacon sends them (``text/plain`` JSON); what is stored is read back
from the catalogue to check that nothing identifies the reader.
"""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import inspect, select

from record_catalogue import reader_events
from record_catalogue.event_models import ReaderEvent
from record_catalogue.models import utcnow
from record_catalogue.settings import load_settings
from search_api.app import create_app
from tests.curation import conftest as curation
from tests.curation.conftest import Doc, World

models = curation.models
engine = curation.engine
world = curation.world

FOREST = "The forest is protected."
RIVER = "The river is green."
BEACON = {"Content-Type": "text/plain;charset=UTF-8"}


def send(client: TestClient, events: list[Any], source: str = "page") -> Any:
    return client.post("/api/v1/events", content=json.dumps({"events": events, "source": source}), headers=BEACON)


def stored(world: World) -> list[ReaderEvent]:
    with world.catalogue.sessions() as session:
        return list(session.scalars(select(ReaderEvent).order_by(ReaderEvent.id)))


def test_events_are_kept_without_anything_that_identifies_the_reader(world: World) -> None:
    world.ingest(Doc("chm-1", FOREST), Doc("abs-2", RIVER, realm="ABS"))
    long_query = "forêts   tropicales " * 30
    response = send(
        world.client,
        [
            {
                "type": "search",
                "lang": "fr",
                "q": long_query,
                "results": 0,
                "filters": {"realm": ["ABS"], "entity": []},
            },
            {"type": "view", "lang": "fr", "record": "chm-1", "machine": True},
            {"type": "click", "lang": "fr", "record": "abs-2", "position": 3, "q": "rivière"},
            {"type": "like", "lang": "fr", "record": "chm-1"},
            {"type": "view", "lang": "fr", "record": "no-such-record"},
            {"type": "search", "lang": "fr", "q": "forêt"},
            {"type": "view", "lang": "de", "record": "chm-1"},
            {"type": "view", "lang": "fr", "record": "chm-1", "ip": "203.0.113.9"},
            {"type": "search", "lang": "fr", "q": "x", "results": 1, "filters": {"password": ["x"]}},
            "not an object",
        ],
    )
    assert response.status_code == 202, response.text
    body = response.json()
    assert body["accepted"] == 3 and body["recording"] is True
    reasons = {item["index"]: item["reason"] for item in body["rejected"]}
    assert sorted(reasons) == [3, 4, 5, 6, 7, 8, 9]
    assert "type" in reasons[3] and reasons[4] == "no record 'no-such-record'"
    assert reasons[5] == "Value error, a search needs its result count (results)" or "results" in reasons[5]
    assert "lang" in reasons[6] and "ip" in reasons[7] and "unknown filter(s) password" in reasons[8]

    columns = {column["name"] for column in inspect(world.catalogue.engine).get_columns("reader_events")}
    assert columns == {
        "id",
        "at",
        "kind",
        "lang",
        "source",
        "query",
        "results",
        "filters",
        "record_id",
        "position",
        "machine",
    }
    search, view, click = stored(world)
    assert (search.kind, search.lang, search.results, search.source) == ("search", "fr", 0, "page")
    assert search.query == " ".join(long_query.split())[:200]  # spaces folded, at most 200 characters
    assert search.filters == {"realm": ["ABS"]}
    assert (view.kind, view.record_id, view.machine, view.position) == ("view", "chm-1", True, None)
    assert (click.kind, click.record_id, click.position, click.query) == ("click", "abs-2", 3, "rivière")
    for event in (search, view, click):
        assert (event.at.minute, event.at.second, event.at.microsecond) == (0, 0, 0)  # to the hour only

    widget = send(world.client, [{"type": "view", "lang": "en", "record": "abs-2"}], source="widget")
    assert widget.json()["accepted"] == 1 and stored(world)[-1].source == "widget"


def test_bad_batches_are_refused_whole_with_a_reason(world: World) -> None:
    client = world.client
    too_many = send(client, [{"type": "search", "lang": "en", "q": "x", "results": 1}] * 51)
    assert too_many.status_code == 422 and "at most 50" in too_many.json()["error"]["message"]
    huge = client.post("/api/v1/events", content=b'{"events": ["' + b"x" * 40_000 + b'"]}', headers=BEACON)
    assert huge.status_code == 413 and huge.json()["error"]["code"] == "body_too_large"
    not_json = client.post("/api/v1/events", content=b"events", headers=BEACON)
    assert not_json.status_code == 422 and not_json.json()["error"]["code"] == "invalid_body"
    assert send(client, [], source="elsewhere").status_code == 422
    assert stored(world) == []


def test_old_events_are_pruned_and_recording_can_be_off(world: World) -> None:
    world.ingest(Doc("chm-1", FOREST))
    assert send(world.client, [{"type": "view", "lang": "fr", "record": "chm-1"}] * 2).json()["accepted"] == 2
    retention = world.settings.events_retention_days
    assert retention == 180
    assert reader_events.prune(world.catalogue, retention, now=utcnow() + timedelta(days=179)) == 0
    assert reader_events.prune(world.catalogue, retention, now=utcnow() + timedelta(days=181)) == 2
    assert stored(world) == []

    off = load_settings(**{**world.settings.model_dump(), "events_retention_days": 0})
    with TestClient(create_app(off)) as client:
        response = send(client, [{"type": "view", "lang": "fr", "record": "chm-1"}])
        assert response.status_code == 202 and response.json() == {"accepted": 0, "recording": False, "rejected": []}
    assert stored(world) == []


def test_the_curators_overview_of_a_language(world: World) -> None:
    world.ingest(Doc("chm-1", FOREST), Doc("abs-2", RIVER, realm="ABS"), Doc("bch-3", f"{FOREST} {RIVER}"))
    world.translate()
    item = world.item_for(RIVER)
    assert world.put("ana", item["id"], text="La rivière est verte.", status="reviewed", version=1).status_code == 200
    send(
        world.client,
        [
            *[{"type": "view", "lang": "fr", "record": "bch-3", "machine": True}] * 3,
            {"type": "click", "lang": "fr", "record": "chm-1", "position": 1, "q": "forêt"},
            {"type": "view", "lang": "en", "record": "chm-1"},  # English readers: not in the French overview
            *[{"type": "search", "lang": "fr", "q": "forêts tropicales", "results": 0}] * 2,
            {"type": "search", "lang": "fr", "q": "mangroves", "results": 0},
            {"type": "search", "lang": "fr", "q": "forêt", "results": 3},
        ],
    )
    response = world.client.get("/api/v1/events/overview", params={"lang": "fr"}, headers=world.headers("ben"))
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["lang"], body["days"], body["retention_days"]) == ("fr", 30, 180)
    assert body["backlog"] == {"machine": 1, "failed": 0, "rejected": 0, "reviewed": 1}
    assert body["most_viewed"] == [
        {"id": "bch-3", "title": "La forêt est protégée. La rivière est verte.", "views": 3, "clicks": 0},
        {"id": "chm-1", "title": "La forêt est protégée.", "views": 0, "clicks": 1},
    ]
    assert [(m["query"], m["searches"]) for m in body["zero_results"]] == [("forêts tropicales", 2), ("mangroves", 1)]
    assert len(body["trend"]) == 30
    today = body["trend"][-1]
    assert today["day"] == utcnow().date().isoformat()
    assert (today["searches"], today["zero_results"], today["views"], today["clicks"], today["reviewed"]) == (
        4,
        3,
        3,
        1,
        1,
    )
    assert all(day["searches"] == 0 for day in body["trend"][:-1])
    week = world.client.get("/api/v1/events/overview", params={"lang": "fr", "days": 7}, headers=world.headers("ana"))
    assert len(week.json()["trend"]) == 7

    assert world.client.get("/api/v1/events/overview", params={"lang": "fr"}).status_code == 401
    partner = world.client.get("/api/v1/events/overview", params={"lang": "fr"}, headers=world.headers("partner"))
    assert partner.status_code == 403
    assert (
        world.client.get("/api/v1/events/overview", params={"lang": "de"}, headers=world.headers("ana")).status_code
        == 422
    )
