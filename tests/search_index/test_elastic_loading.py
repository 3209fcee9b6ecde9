"""Bulk loads on a real OpenSearch node: refreshes off while loading, the index's settings back after.

What a load changes is read back from the node (``GET _settings``) while the load runs and after
it, on success and after a failure injected part-way (a source that raises, a node that stops
answering a bulk chunk): the settings are what they were, and the records are searchable.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from analyzers.detect import LanguageDetector
from ingest.pipeline import Pipeline
from ingest.sources import SourceItem
from ingest.sources.files import read_path
from record_catalogue.settings import Settings, load_settings
from record_catalogue.store import Catalogue
from search_index.base import Document, IndexUnavailable, SearchQuery
from search_index.elastic.backend import ElasticBackend
from search_index.elastic.clients import encode_json
from search_index.elastic.loading import AUTO_EXPAND, REFRESH, REPLICAS, read_settings
from tests.conftest import SAMPLES
from tests.engines import CLUSTER_TESTS, make_doc
from tests.search_index.test_elastic_faults import Faulty

NAMES = (REFRESH, REPLICAS, AUTO_EXPAND)


@pytest.fixture
def node_settings(opensearch_node: str, tmp_path: Path) -> Settings:
    return load_settings(
        data_dir=tmp_path, es_url=opensearch_node, es_flavour="opensearch", index_name=f"chm-l-{uuid.uuid4().hex[:8]}"
    )


@pytest.fixture
def backend(node_settings: Settings) -> Iterator[ElasticBackend]:
    made = ElasticBackend(node_settings)
    made.bulk_chunk_size = made.writer.chunk_size = made.live_load.threshold = 20
    yield made
    made.destroy()
    made.close()


def held(backend: ElasticBackend, index: str | None = None) -> dict[str, str | None]:
    return read_settings(backend.client, index or backend.current_version() or "", NAMES)


def docs(count: int, prefix: str = "d") -> list[Document]:
    return [make_doc(f"{prefix}-{n}", "en", f"Wetland survey {n}") for n in range(count)]


def found(backend: ElasticBackend, text: str = "wetland") -> int:
    return backend.search(SearchQuery(text=text, size=1)).total


def set_refresh(backend: ElasticBackend, interval: str) -> None:
    """The live index, made, with its refresh interval set as an operator (or a killed load) left it."""
    backend.ensure_index()
    version = backend.current_version()
    backend.client.request("PUT", f"/{version}/_settings", body=encode_json({REFRESH: interval}), admin=True)


def test_a_load_into_the_live_index_turns_refreshes_off_then_puts_them_back(backend: ElasticBackend) -> None:
    backend.ensure_index()
    before = held(backend)
    seen: list[str | None] = []
    with backend.loading():
        for start in range(0, 100, 20):
            backend.bulk(docs(100)[start : start + 20])
            seen.append(held(backend)[REFRESH])
    assert seen[0] is None  # the first chunk: a small push never touches the settings
    assert seen[1:] == ["-1"] * 4
    assert held(backend) == before
    backend.refresh()
    assert found(backend) == 100


def test_a_setting_of_the_operators_own_is_put_back_as_it_was(backend: ElasticBackend) -> None:
    set_refresh(backend, "30s")
    with backend.loading():
        backend.bulk(docs(60))
        backend.bulk(docs(60, "e"))
        assert held(backend)[REFRESH] == "-1"
    assert held(backend)[REFRESH] == "30s"


def test_a_small_push_leaves_the_settings_alone(backend: ElasticBackend) -> None:
    backend.ensure_index()
    sent: list[tuple[str, str]] = []

    def note(method: str, path: str, body: bytes | None) -> None:
        sent.append((method, path))

    spy = Faulty(backend.client, note)
    backend.client = backend.live_load.client = spy
    with backend.loading():
        backend.bulk(docs(10))
    assert not any(path.endswith("/_settings") for _, path in sent)


def test_settings_are_put_back_when_the_load_fails(backend: ElasticBackend) -> None:
    backend.ensure_index()
    before = held(backend)
    with pytest.raises(RuntimeError, match="source broke"), backend.loading():
        backend.bulk(docs(40))
        backend.bulk(docs(40, "e"))
        assert held(backend)[REFRESH] == "-1"
        raise RuntimeError("source broke")
    assert held(backend) == before
    backend.refresh()
    assert found(backend) == 80  # what was sent before the failure is searchable


def test_a_refresh_left_off_by_a_killed_load_is_not_put_back_as_off(backend: ElasticBackend) -> None:
    set_refresh(backend, "-1")
    with backend.loading():
        backend.bulk(docs(60))
        backend.bulk(docs(60, "e"))
    assert held(backend)[REFRESH] is None  # the engine's default, as our index settings give


def test_loads_in_one_process_share_one_suspension(backend: ElasticBackend) -> None:
    backend.ensure_index()
    with backend.loading():
        backend.bulk(docs(40))
        with backend.loading():
            backend.bulk(docs(40, "e"))
        assert held(backend)[REFRESH] == "-1"  # the inner load's end does not undo the outer's
    assert held(backend)[REFRESH] is None


def test_a_rebuild_fills_its_version_without_refreshes_or_replicas_then_restores_them(
    backend: ElasticBackend,
) -> None:
    backend.ensure_index()
    backend.bulk(docs(5, "old"))
    backend.refresh()
    old = backend.current_version()
    old_settings = held(backend)
    during: list[dict[str, str | None]] = []

    def corpus() -> Iterator[Document]:
        yield from docs(30)
        during.append(held(backend, backend.list_versions()[-1]))
        yield from docs(30, "e")

    version, result = backend.rebuild(corpus())
    assert result.indexed == 60 and not result.errors
    assert during == [{REFRESH: "-1", REPLICAS: "0", AUTO_EXPAND: "false"}]
    assert held(backend, version) == {**old_settings, REPLICAS: held(backend, version)[REPLICAS]}
    assert held(backend, version)[AUTO_EXPAND] == "0-1" and held(backend, version)[REFRESH] is None
    assert backend.current_version() == version != old
    assert found(backend) == 60


def test_a_failed_rebuild_leaves_the_live_index_and_its_settings_as_they_were(backend: ElasticBackend) -> None:
    backend.ensure_index()
    backend.bulk(docs(5, "old"))
    backend.refresh()
    old = backend.current_version()
    old_settings = held(backend)

    def broken() -> Iterator[Document]:
        yield from docs(30)
        raise RuntimeError("catalogue went away")

    with pytest.raises(RuntimeError, match="catalogue went away"):
        backend.rebuild(broken())
    assert backend.list_versions() == [old] and backend.current_version() == old
    assert held(backend) == old_settings
    assert found(backend) == 5


@CLUSTER_TESTS
def test_a_rebuild_on_a_cluster_swaps_in_a_version_with_its_replica(opensearch_cluster: Any, tmp_path: Path) -> None:
    settings = load_settings(
        data_dir=tmp_path,
        es_url=str(opensearch_cluster.url),
        es_flavour="opensearch",
        index_name=f"chm-l-{uuid.uuid4().hex[:8]}",
    )
    backend = ElasticBackend(settings)
    try:
        backend.ensure_index()
        version, _ = backend.rebuild(docs(50))
        assert held(backend, version)[REPLICAS] == "1" and held(backend, version)[AUTO_EXPAND] == "0-1"
        health = backend.client.request("GET", f"/_cluster/health/{version}")
        assert health["status"] == "green"  # the replica was allocated before the swap
        assert found(backend) == 50
    finally:
        backend.destroy()
        backend.close()


# -- the ingest pipeline on the node ------------------------------------------------------------


def write_dump(path: Path, count: int) -> Path:
    """``count`` CBD-format records (the shared ABS permit sample, each with its own id and title)."""
    sample = json.loads((SAMPLES / "shared" / "abs-permit.json").read_text(encoding="utf-8"))
    with path.open("w", encoding="utf-8") as out:
        for n in range(count):
            record = {**sample, "header": {**sample["header"], "identifier": f"ABSCH-LOAD-{n}"}}
            record["title"] = {"en": f"Wetland survey number {n} in Brazil"}
            out.write(json.dumps(record) + "\n")
    return path


def ingest(
    settings: Settings, backend: ElasticBackend, items: Iterator[SourceItem] | list[SourceItem]
) -> tuple[Catalogue, Callable[[], Any]]:
    catalogue = Catalogue(settings.catalogue_dsn)
    pipeline = Pipeline(catalogue, backend, LanguageDetector(), settings.languages, batch_size=20)
    return catalogue, lambda: pipeline.run(items)


def test_an_ingest_run_loads_with_refreshes_off_and_leaves_the_index_as_it_was(
    backend: ElasticBackend, node_settings: Settings, tmp_path: Path
) -> None:
    backend.ensure_index()
    before = held(backend)
    during: list[str | None] = []

    def watched() -> Iterator[SourceItem]:
        for n, item in enumerate(read_path(write_dump(tmp_path / "dump.jsonl", 150))):
            if n == 120:
                during.append(held(backend)[REFRESH])
            yield item

    catalogue, run = ingest(node_settings, backend, watched())
    try:
        report = run()
    finally:
        catalogue.close()
    assert report.created == report.indexed == 150 and report.errors == 0
    assert during == ["-1"]
    assert held(backend) == before
    assert found(backend) == 150


def test_an_ingest_run_that_fails_part_way_leaves_the_index_as_it_was(
    backend: ElasticBackend, node_settings: Settings, tmp_path: Path
) -> None:
    backend.ensure_index()
    before = held(backend)
    failing = {"after": 3}
    during: list[str | None] = []

    def stop_answering(method: str, path: str, body: bytes | None) -> str | None:
        if path == "/_bulk":
            failing["after"] -= 1
            if failing["after"] < 0:
                during.append(held(backend)[REFRESH])
                raise IndexUnavailable("the node stopped answering (injected)")
        return None

    faulty = Faulty(backend.client, stop_answering)
    backend.client = backend.live_load.client = backend.writer.client = backend.versions.client = faulty
    catalogue, run = ingest(node_settings, backend, read_path(write_dump(tmp_path / "dump.jsonl", 150)))
    try:
        with pytest.raises(IndexUnavailable, match="stopped answering"):
            run()
    finally:
        catalogue.close()
    assert during == ["-1"]
    assert held(backend) == before
    backend.refresh()
    assert found(backend) == 60  # the three batches sent before the failure
