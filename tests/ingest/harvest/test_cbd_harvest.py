"""`chm-search harvest cbd --realm ABS` against a fixture clearing-house: everything, then only the
changes; bad documents reported and skipped; a withdrawn record gone from search; thesaurus terms
as entity facets with their labels."""

from __future__ import annotations

import copy
from collections.abc import Callable

from fastapi.testclient import TestClient

from record_catalogue.harvest_state import HarvestState
from record_catalogue.settings import Settings
from record_catalogue.store import Catalogue
from search_api.app import create_app
from tests.ingest.harvest.conftest import chm
from tests.ingest.harvest.fixture_server import Doc, FixtureServer, World
from tests.ingest.harvest.worlds import (
    ABS_SAMPLES,
    BAD,
    GOOD,
    HTML_DOC,
    MALFORMED,
    NEW_RECORD,
    TARGETS_RECORD,
    TOO_LARGE,
    UNKNOWN_SCHEMA,
    clearing_house,
    sample,
    six,
)

MAX_BYTES = 20_000


def harvest(settings: Settings, server: FixtureServer, *extra: str):  # type: ignore[no-untyped-def]
    return chm(
        settings,
        "harvest",
        "cbd",
        "--realm",
        "ABS",
        "--api-url",
        server.url,
        "--rate",
        "200",
        "--max-bytes",
        str(MAX_BYTES),
        *extra,
    )


def document_requests(world: World) -> list[str]:
    return [path.rsplit("/", 1)[1] for path, _q, _h in world.requests("/api/v2013/documents/")]


def search(settings: Settings, q: str) -> dict:  # type: ignore[type-arg]
    with TestClient(create_app(settings)) as client:
        response = client.get("/api/v1/search", params={"q": q, "lang": "en"})
        assert response.status_code == 200, response.text
        return response.json()  # type: ignore[no-any-return]


def test_first_run_then_only_changes_and_withdrawn_record_leaves_search(
    settings: Settings, serve: Callable[[World], FixtureServer]
) -> None:
    world = clearing_house(MAX_BYTES)
    server = serve(world)

    first = harvest(settings, server)
    assert first.returncode == 0, first.stderr  # the bad documents are errors: the run still finished
    assert "9 listed, 6 fetched" in first.stdout and "5 new" in first.stdout, first.stdout
    assert sorted(document_requests(world)) == sorted(GOOD + BAD)  # every listed document, once
    catalogue = Catalogue(settings.catalogue_dsn)
    assert sorted(r.id for r in catalogue.iter_records()) == sorted(GOOD)

    errors = chm(settings, "errors").stdout
    for identifier, reason in (
        (MALFORMED, "invalid JSON"),
        (HTML_DOC, "expected JSON, got HTML"),
        (UNKNOWN_SCHEMA, "unknown schema 'absPermitV9' in realm ABS"),
        (TOO_LARGE, f"over the {MAX_BYTES:,}-byte limit"),
    ):
        line = next((x for x in errors.splitlines() if identifier in x and reason in x), None)
        assert line is not None, (identifier, reason, errors)
        assert f"{server.url}/api/v2013/documents/{identifier}" in line  # the URL, then the reason

    state = HarvestState(catalogue)
    # Not past the record whose document came as an HTML page (the source's fault: read it again);
    # past those refused for what they are (malformed, too large, unknown schema): read when changed.
    assert state.source("cbd-abs").high_water == "2023-07-01T00:00:00Z"  # type: ignore[union-attr]
    permit = sample("absPermit-pe-castana")["header"]["identifier"]
    assert search(settings, "Bertholletia")["total"] == 1

    # The clearing-house changes: one record edited, one withdrawn, one published; the HTML page is
    # gone (the record's document answers JSON, the record unchanged there).
    world.log.clear()
    html_fixed = copy.deepcopy(sample("measure-in-access-guidelines"))
    html_fixed["header"]["identifier"] = HTML_DOC
    html_fixed["title"] = {"en": "Regulations on benefit-sharing from biological resources of Goa"}
    world.docs[HTML_DOC] = Doc(HTML_DOC, "measure", "2023-07-01T00:00:00Z", html_fixed)
    edited = copy.deepcopy(world.docs[TARGETS_RECORD].body)
    edited["title"] = {"en": "Access permit for bioprospecting of marine sponges and corals in the Gulf of Nicoya"}
    world.docs[TARGETS_RECORD] = Doc(TARGETS_RECORD, "absPermit", "2024-02-01T10:00:00Z", edited)
    del world.docs[permit]
    fresh = copy.deepcopy(sample("measure-in-access-guidelines"))
    fresh["header"]["identifier"] = NEW_RECORD
    fresh["title"] = {"en": "Guidelines on traditional knowledge associated with genetic resources of Kerala"}
    world.docs[NEW_RECORD] = Doc(NEW_RECORD, "measure", "2024-03-05T08:00:00Z", fresh)

    second = harvest(settings, server)
    assert second.returncode == 0, second.stdout + second.stderr
    # Only the changes, and the record the source answered with an HTML page last time (fixed now).
    assert sorted(document_requests(world)) == sorted([TARGETS_RECORD, NEW_RECORD, HTML_DOC])
    assert "2 new, 1 updated" in second.stdout and "1 withdrawn, 0 errors" in second.stdout, second.stdout
    assert (gone := catalogue.get(permit)) is not None and gone.deleted_at is not None  # a tombstone
    assert search(settings, "Bertholletia")["total"] == 0
    assert search(settings, "corals Nicoya")["total"] == 1
    assert search(settings, "Kerala")["total"] == 1
    assert state.source("cbd-abs").high_water == "2024-03-05T08:00:00Z"  # type: ignore[union-attr]
    trail = [(e.actor, e.action) for e in catalogue.audit_trail(permit)]
    assert trail[-1] == ("harvest:cbd-abs", "record.deleted")

    world.log.clear()
    third = harvest(settings, server)  # nothing changed: no document is fetched
    assert third.returncode == 0 and document_requests(world) == [], third.stdout
    assert len({r.id for r in catalogue.iter_records()}) == len(GOOD) + 1  # 5 - 1 withdrawn + 2 new


def test_thesaurus_terms_become_entity_facets_labelled_from_the_thesaurus(
    tmp_path, serve: Callable[[World], FixtureServer]
) -> None:  # type: ignore[no-untyped-def]
    from record_catalogue.settings import load_settings

    settings = load_settings(data_dir=tmp_path / "data", es_url=None)
    world = clearing_house(MAX_BYTES)
    world.docs = {TARGETS_RECORD: world.docs[TARGETS_RECORD]}
    server = serve(world)
    result = harvest(settings, server)
    assert result.returncode == 0, result.stdout + result.stderr
    catalogue = Catalogue(settings.catalogue_dsn)
    row = catalogue.get(TARGETS_RECORD)
    assert row is not None
    keys = {f"{e.type}:{e.entity_id}" for e in row.entities}
    # AICHI-TARGET-01-C2, a component of target 1, counts as target 1; pa is a country term.
    assert {"target:aichi-16", "target:aichi-1", "target:gbf-13", "country:pa"} <= keys
    keyword = "1B5D0D4E-1D89-4A2B-9D3E-5A7C8F1E2B34"
    terms = HarvestState(catalogue).terms(["cr", "pa", "AICHI-TARGET-16", "GBF-TARGET-13", keyword])
    assert terms["pa"].labels == six("بنما", "Panama", "Panamá", "Panama", "Панама", "巴拿马")
    assert terms["AICHI-TARGET-16"].labels["fr"] == "Objectif 16 d'Aichi"
    assert terms["GBF-TARGET-13"].domain == "GBF-TARGETS"
    assert terms[keyword].labels["en"] == "Bioprospecting"  # looked up by itself
    # Domains are fetched once each, the keyword by itself; a second run asks for nothing again.
    asked = [path for path, _q, _h in world.requests("/api/v2013/thesaurus/")]
    assert sorted(asked) == sorted(
        [
            "/api/v2013/thesaurus/domains/countries/terms",
            "/api/v2013/thesaurus/domains/AICHI-TARGETS/terms",
            "/api/v2013/thesaurus/domains/GBF-TARGETS/terms",
            "/api/v2013/thesaurus/terms/1B5D0D4E-1D89-4A2B-9D3E-5A7C8F1E2B34",
        ]
    )
    world.log.clear()
    again = harvest(settings, server, "--since", "2000-01-01")  # the record read again: its terms are known
    assert again.returncode == 0 and world.requests("/api/v2013/thesaurus/") == [], again.stdout
    facets = search(settings, "sponges")
    entity_values = {
        v["value"]: v["label"] for name, values in facets["facets"].items() if name.startswith("entity") for v in values
    }
    # Labelled from the thesaurus (its shortTitle where it has one); a component does not label its target.
    assert entity_values["target:aichi-16"] == "Aichi Target 16"
    assert entity_values["target:gbf-13"] == "GBF-T13. Share benefits from genetic resources"
    assert entity_values["target:aichi-1"] == "Aichi Biodiversity Target 1"  # the built-in label
    assert entity_values["country:pa"] == "Panama"
    assert terms["GBF-TARGET-13"].labels["es"] == "Meta 13 del MMB"  # title where no shortTitle
    for path, _query, headers in world.requests("/api/v2013/documents/"):
        assert headers.get("realm") == "ABS" and path.endswith(TARGETS_RECORD)


def test_schema_filter_and_since(tmp_path, serve: Callable[[World], FixtureServer]) -> None:  # type: ignore[no-untyped-def]
    from record_catalogue.settings import load_settings

    settings = load_settings(data_dir=tmp_path / "data", es_url=None)
    world = clearing_house(MAX_BYTES)
    server = serve(world)
    result = harvest(settings, server, "--schema", "measure", "--since", "2022-09-01", "--no-sweep")
    queries = [q["q"][0] for _p, q, _h in world.requests("/api/v2013/index")]
    expected = "realm_ss:abs AND NOT version_s:* AND schema_s:(measure) AND updatedDate_dt:[2022-09-01T00:00:00Z TO *]"
    assert queries == [expected]
    fetched = document_requests(world)
    measure = sample(ABS_SAMPLES[3])["header"]["identifier"]
    assert sorted(fetched) == sorted([measure, HTML_DOC, TOO_LARGE]), result.stdout
    bad = chm(settings, "harvest", "cbd", "--realm", "ABS", "--schema", "notASchema", "--api-url", server.url)
    assert bad.returncode == 2 and "unknown schema 'notASchema' in realm ABS" in bad.stderr
