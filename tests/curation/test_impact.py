"""``order=impact``: the queue puts first what readers of the language actually read.

Real catalogue (SQLite with the embedded index, PostgreSQL with OpenSearch), real tiny model,
events sent the way the page sends them (``POST /api/v1/events``, a ``text/plain`` JSON body).
"""

from __future__ import annotations

import json
from typing import Any

from tests.curation.conftest import CAT, FOREST, RIVER, Doc, World

WATER = "The water is protected."


def beacon(world: World, *events: dict[str, Any], source: str = "page") -> dict[str, Any]:
    body = json.dumps({"events": list(events), "source": source})
    response = world.client.post("/api/v1/events", content=body, headers={"Content-Type": "text/plain;charset=UTF-8"})
    assert response.status_code == 202, response.text
    result: dict[str, Any] = response.json()
    return result


def view(record: str, lang: str = "fr") -> dict[str, Any]:
    return {"type": "view", "lang": lang, "record": record, "machine": True}


def sources(body: dict[str, Any]) -> list[str]:
    return [item["source_text"] for item in body["items"]]


def test_impact_puts_first_a_sentence_of_the_record_readers_viewed_most(world: World) -> None:
    world.ingest(
        Doc("chm-1", FOREST),  # the forest sentence is in three records: first by use
        Doc("chm-2", FOREST),
        Doc("abs-3", f"{FOREST} {CAT}", realm="ABS"),
        Doc("bch-4", RIVER, realm="BCH"),  # the record readers of French open most
        Doc("chm-5", WATER),
    )
    world.translate()
    assert sources(world.queue(lang="fr"))[0] == FOREST

    assert beacon(world, *[view("bch-4")] * 5, view("chm-5"), view("chm-5"))["accepted"] == 7
    # readers of Spanish reading another record do not steer the French queue
    beacon(world, *[view("chm-5", lang="es")] * 20)
    clicks = [{"type": "click", "lang": "fr", "record": "abs-3", "position": 1, "q": "chat"}] * 3
    beacon(world, *clicks, source="widget")

    impact = world.queue(lang="fr", order="impact")
    assert impact["order"] == "impact" and impact["total"] == 4
    # bch-4: 5 views; abs-3: 3 clicks (its two sentences tie, the one in more records first); chm-5: 2 views
    assert sources(impact) == [RIVER, FOREST, CAT, WATER]
    assert [item["record_count"] for item in impact["items"]] == [1, 3, 1, 1]
    # paging and filters work with it as with the other orders
    assert sources(world.queue(lang="fr", order="impact", size=1, page=2)) == [FOREST]
    assert sources(world.queue(lang="fr", order="impact", realm="ABS")) == [FOREST, CAT]

    # a correction of the top sentence takes it out of the machine queue; the next one leads
    top = impact["items"][0]
    assert (
        world.put("ana", top["id"], text="La rivière est verte.", status="reviewed", version=top["version"]).status_code
        == 200
    )
    assert sources(world.queue(lang="fr", order="impact"))[0] == FOREST

    bad = world.client.get("/api/v1/translations", params={"order": "views"}, headers=world.headers("ana"))
    assert bad.status_code == 422
