"""A clearing-house that is down, slow, busy, pages forever or answers HTML: a reason in the errors
list, the run goes on, nothing half-written, the high-water mark only past what was stored; and a
harvest killed with SIGKILL resumes without duplicates."""

from __future__ import annotations

import dataclasses
import signal
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from ingest.harvest import check_params, run_source
from ingest.harvest.cbd_api import CbdApi
from ingest.harvest.http_client import PoliteClient, Politeness
from ingest.harvest.runner import HarvestRun
from ingest.pipeline import Pipeline
from record_catalogue.harvest_state import HarvestState, SourceBusy
from record_catalogue.settings import Settings, load_settings
from record_catalogue.store import Catalogue
from search_index.factory import get_backend
from tests.ingest.harvest.conftest import CLI, ROOT, chm, environment
from tests.ingest.harvest.fixture_server import FixtureServer, World
from tests.ingest.harvest.worlds import BAD, GOOD, TARGETS_RECORD, clearing_house


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return load_settings(data_dir=tmp_path / "data", es_url=None)


def good_world(**faults: bool) -> World:
    """The clearing-house without its bad records, with ``faults`` on (``index_html=True`` …)."""
    world = dataclasses.replace(clearing_house(), **faults)
    for identifier in BAD:
        del world.docs[identifier]
    return world


def run(pipeline: Pipeline, url: str, **politeness: float) -> HarvestRun:
    state = HarvestState(pipeline.catalogue)
    params = check_params("cbd", url, {"realm": "ABS"})
    source = state.ensure_source("cbd-abs", "cbd", url, params)
    polite = PoliteClient(Politeness(**{"rate": 500.0, "backoff": 0.01, "retries": 1, **politeness}))  # type: ignore[arg-type]
    with polite:
        return run_source(pipeline, state, source, pipeline.catalogue.new_run_id(), client=polite)


def reasons(pipeline: Pipeline, harvest: HarvestRun) -> list[str]:
    return [f"{e.source} {e.reason}" for e in pipeline.catalogue.errors(run_id=harvest.run_id)]


def mark(pipeline: Pipeline) -> str | None:
    source = HarvestState(pipeline.catalogue).source("cbd-abs")
    return None if source is None else source.high_water


def test_endpoint_down_is_reported_and_nothing_moves(pipeline: Pipeline) -> None:
    harvest = run(pipeline, "http://127.0.0.1:9")
    assert any("/api/v2013/index" in r and "listing stopped: cannot connect" in r for r in reasons(pipeline, harvest))
    assert mark(pipeline) is None and pipeline.catalogue.count() == 0


def test_index_answering_html_or_503_is_reported(pipeline: Pipeline, serve: Callable[[World], FixtureServer]) -> None:
    world = good_world(index_html=True)
    server = serve(world)
    harvest = run(pipeline, server.url)
    assert any("listing stopped: expected JSON, got HTML (text/html)" in r for r in reasons(pipeline, harvest))
    world.index_html, world.index_down = False, True
    harvest = run(pipeline, server.url)
    assert any("listing stopped: HTTP 503 after 2 attempts" in r for r in reasons(pipeline, harvest))
    assert mark(pipeline) is None and pipeline.catalogue.count() == 0


def test_a_429_is_waited_out(pipeline: Pipeline, serve: Callable[[World], FixtureServer]) -> None:
    world = good_world(index_429_once=True)
    server = serve(world)
    harvest = run(pipeline, server.url)
    assert reasons(pipeline, harvest) == [] and harvest.counts.created == len(GOOD)
    assert len(world.requests("/api/v2013/index")) == 3  # the 429, the listing again, the sweep


def test_endless_paging_stops_with_what_was_read_kept(
    pipeline: Pipeline, serve: Callable[[World], FixtureServer]
) -> None:
    world = good_world(index_endless=True)
    server = serve(world)
    state = HarvestState(pipeline.catalogue)
    source = state.ensure_source("cbd-abs", "cbd", server.url, check_params("cbd", server.url, {"realm": "ABS"}))
    harvest = HarvestRun(pipeline, state, source, "endless")
    from ingest.harvest.cbd_api import CbdApi, harvest_cbd

    with PoliteClient(Politeness(rate=500)) as polite:
        api = CbdApi(polite, server.url, "ABS", page_size=2)
        harvest_cbd(harvest, api, None)
    assert len(world.requests("/api/v2013/index")) == 2  # the second page repeats the first: stop
    assert any("listing stopped: endless paging: page 2 repeats documents" in r for r in reasons(pipeline, harvest))
    assert pipeline.catalogue.count() == 2  # the first page is kept
    assert mark(pipeline) == sorted(d.updated for d in world.docs.values())[1]
    world.index_endless, world.index_num_found = False, 1  # more pages than numFound allows
    with PoliteClient(Politeness(rate=500)) as polite:
        harvest_cbd(harvest, CbdApi(polite, server.url, "ABS", page_size=1), None, sweep=False)
    endless = "endless paging: page 4 still has documents, numFound 1 allows 1 pages"
    assert any(endless in r for r in reasons(pipeline, harvest))


def test_a_slow_document_holds_the_mark_until_it_is_read(
    pipeline: Pipeline, serve: Callable[[World], FixtureServer]
) -> None:
    world = good_world()
    world.docs[TARGETS_RECORD].slow = 2.0  # the newest record
    first = sorted(world.docs.values(), key=lambda d: d.updated)[0]
    world.docs[first.identifier].slow = 2.0  # and the oldest
    server = serve(world)
    harvest = run(pipeline, server.url, timeout=0.5)
    slow = [r for r in reasons(pipeline, harvest) if "timed out" in r or "took over" in r]
    assert len(slow) == 2, reasons(pipeline, harvest)
    assert harvest.counts.created == len(GOOD) - 2  # the others are stored
    assert mark(pipeline) == first.updated  # not past the oldest record not read
    world.docs[TARGETS_RECORD].slow = world.docs[first.identifier].slow = 0.0
    world.log.clear()
    again = run(pipeline, server.url, timeout=5)
    assert reasons(pipeline, again) == [] and again.counts.created == 2
    fetched = sorted(p.rsplit("/", 1)[1] for p, _q, _h in world.requests("/api/v2013/documents/"))
    assert fetched == sorted([TARGETS_RECORD, first.identifier])  # only the two missing
    assert mark(pipeline) == world.docs[TARGETS_RECORD].updated


def test_an_index_suddenly_empty_withdraws_nothing(pipeline: Pipeline, serve: Callable[[World], FixtureServer]) -> None:
    world = good_world()
    server = serve(world)
    run(pipeline, server.url)
    world.docs.clear()
    harvest = run(pipeline, server.url)
    assert any("nothing withdrawn (a partial index?)" in r for r in reasons(pipeline, harvest))
    assert pipeline.catalogue.count() == len(GOOD)


def test_killed_harvest_resumes_without_duplicates(settings: Settings, serve: Callable[[World], FixtureServer]) -> None:
    world = good_world()
    world.docs[TARGETS_RECORD].slow = 60.0  # the last record: the run is killed waiting for it
    server = serve(world)
    args = ["harvest", "cbd", "--realm", "ABS", "--api-url", server.url, "--rate", "200", "--timeout", "120"]
    args += ["--page-size", "2"]
    process = subprocess.Popen(
        [*CLI, *args], env=environment(settings), cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    deadline = time.monotonic() + 120
    while not any(p.endswith(TARGETS_RECORD) for p, _q, _h in world.requests("/api/v2013/documents/")):
        assert time.monotonic() < deadline and process.poll() is None, process.communicate()
        time.sleep(0.2)
    process.send_signal(signal.SIGKILL)
    process.wait()
    catalogue = Catalogue(settings.catalogue_dsn)
    stored_before = catalogue.count()
    world.docs[TARGETS_RECORD].slow = 0.0
    result = chm(settings, *args)
    assert result.returncode == 0, result.stdout + result.stderr
    assert sorted(r.id for r in catalogue.iter_records()) == sorted(GOOD)
    backend = get_backend(settings)
    try:
        assert backend.count() == len(GOOD)  # one document per record: nothing twice
    finally:
        backend.close()
    assert 0 < stored_before < len(GOOD)  # killed after some pages were stored
    assert HarvestState(catalogue).source("cbd-abs").high_water == world.docs[TARGETS_RECORD].updated  # type: ignore[union-attr]


def test_a_document_gone_from_the_document_api_is_withdrawn(
    pipeline: Pipeline, serve: Callable[[World], FixtureServer]
) -> None:
    world = good_world()
    server = serve(world)
    run(pipeline, server.url)
    world.docs[TARGETS_RECORD].gone = True
    world.docs[TARGETS_RECORD].updated = "2025-01-01T00:00:00Z"  # listed as changed, its document 404
    harvest = run(pipeline, server.url)
    assert reasons(pipeline, harvest) == [] and harvest.counts.withdrawn == 1
    assert (gone := pipeline.catalogue.get(TARGETS_RECORD)) is not None and gone.deleted_at is not None  # a tombstone
    assert TARGETS_RECORD not in HarvestState(pipeline.catalogue).items("cbd-abs")


def test_one_source_is_harvested_by_one_process_at_a_time(
    settings: Settings, pipeline: Pipeline, serve: Callable[[World], FixtureServer]
) -> None:
    server = serve(good_world())
    state = HarvestState(pipeline.catalogue)
    state.ensure_source("cbd-abs", "cbd", server.url, check_params("cbd", server.url, {"realm": "ABS"}))
    with state.running("cbd-abs"):  # as another process running it would
        with pytest.raises(SourceBusy, match="'cbd-abs' is being harvested by another process"):
            run(pipeline, server.url)
        overlapping = chm(settings, "sources", "run", "cbd-abs")
        assert overlapping.returncode == 0 and "being harvested by another process" in overlapping.stdout
        assert server.world.requests("/api/v2013/") == []  # the overlapping runs asked for nothing
    assert run(pipeline, server.url).counts.created == len(GOOD)  # free again once the holder is done


def test_records_changing_while_the_listing_pages_are_neither_missed_nor_wrongly_withdrawn(
    pipeline: Pipeline, serve: Callable[[World], FixtureServer]
) -> None:
    world = good_world()
    server = serve(world)
    oldest = sorted(world.docs.values(), key=lambda d: d.updated)[0]

    def edit_after_first_page(number: int, query: dict[str, list[str]]) -> None:
        if number == 1:  # the oldest record, on the first page, is edited at the source meanwhile
            world.docs[oldest.identifier].updated = "2025-05-05T05:05:05Z"
            world.docs[oldest.identifier].body["title"] = {"en": "Edited while the harvest ran"}

    world.on_index = edit_after_first_page
    state = HarvestState(pipeline.catalogue)
    params = check_params("cbd", server.url, {"realm": "ABS", "page_size": 2})
    source = state.ensure_source("cbd-abs", "cbd", server.url, params)
    with PoliteClient(Politeness(rate=500)) as polite:
        harvest = run_source(pipeline, state, source, "changing", client=polite)
    assert reasons(pipeline, harvest) == [] and harvest.counts.created == len(GOOD)  # none hidden by the shift
    # Edited before its document was fetched: listed again later in the run under its new date, asked
    # for conditionally (304), and remembered under that date.
    assert harvest.counts.not_modified == 1
    assert state.items("cbd-abs")[oldest.identifier].remote_updated == "2025-05-05T05:05:05Z"
    row = pipeline.catalogue.get(oldest.identifier)
    assert row is not None and any(t.text == "Edited while the harvest ran" for t in row.texts)
    assert mark(pipeline) == "2025-05-05T05:05:05Z"

    # A record withdrawn while the sweep pages through identifiers: only that one is withdrawn.
    by_id = sorted(world.docs)
    world.on_index = None

    def withdraw_during_sweep(number: int, query: dict[str, list[str]]) -> None:
        if query.get("fl") == ["identifier_s"] and by_id[0] in world.docs:
            del world.docs[by_id[0]]

    world.on_index = withdraw_during_sweep
    with PoliteClient(Politeness(rate=500)) as polite:
        sweep = CbdApi(polite, server.url, "ABS")
        assert sweep.all_identifiers(rows=2) == set(by_id)  # the first page was read before the withdrawal
    world.docs[by_id[1]].updated = "2026-01-01T00:00:00Z"
    source = state.source("cbd-abs")
    assert source is not None
    with PoliteClient(Politeness(rate=500)) as polite:
        again = run_source(pipeline, state, source, "sweeping", client=polite)
    gone = pipeline.catalogue.get(by_id[0])
    assert again.counts.withdrawn == 1 and gone is not None and gone.deleted_at is not None  # a tombstone
    assert {r.id for r in pipeline.catalogue.iter_records()} == set(by_id[1:])
