"""The search engines every suite that touches the index runs on, started by the suite itself.

Tantivy (embedded) always; OpenSearch always, as a real single node and a real 3-node cluster that
this session starts from ``devservers/opensearch.py`` (built from Maven Central); Elasticsearch 9
when ``CHM_ES_URL`` names a node (no registry here carries its modules, so it cannot be started).
A test asks for ``engine_url(kind, request)``, or takes the ``engine`` fixture parameter.
"""

from __future__ import annotations

import os
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from record_catalogue.settings import Settings, load_settings
from search_index.base import SearchBackend, SearchQuery

ES_URL = os.environ.get("CHM_ES_URL")
ES_SKIP_REASON = "CHM_ES_URL is not set: no Elasticsearch node to run this suite against"
# The engines of the suites that touch the index; Elasticsearch only where a node is given.
ENGINES: tuple[str, ...] = ("tantivy", "opensearch", *(("elasticsearch",) if ES_URL else ()))
# Every test that takes the 3-node cluster carries this mark: `make test` runs the suite on several
# pytest-xdist workers (``--dist loadgroup``) and each worker starts the session servers it uses,
# so the cluster's tests all go to one worker and only that worker starts the cluster's three JVMs.
CLUSTER_TESTS = pytest.mark.xdist_group("opensearch-cluster")


def _started(tmp_path_factory: pytest.TempPathFactory, nodes: int) -> Iterator[Any]:
    """A real OpenSearch cluster of ``nodes`` nodes, stopped afterwards; the suite fails (never skips)
    when it cannot start."""
    from devservers.opensearch import OpenSearchUnavailable, start_cluster

    try:
        cluster = start_cluster(tmp_path_factory.mktemp(f"opensearch-{nodes}"), nodes=nodes)
    except OpenSearchUnavailable as exc:
        pytest.fail(f"the OpenSearch tests cannot start {nodes} node(s): {exc}", pytrace=False)
    try:
        yield cluster
    finally:
        cluster.stop()


@pytest.fixture(scope="session")
def opensearch_node(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real single OpenSearch node for the session; its URL."""
    for cluster in _started(tmp_path_factory, 1):
        yield str(cluster.url)


@pytest.fixture(scope="session")
def opensearch_cluster(tmp_path_factory: pytest.TempPathFactory, pytestconfig: pytest.Config) -> Iterator[Any]:
    """A real 3-node OpenSearch cluster (``devservers.opensearch.OpenSearchCluster``), stopped once
    the last test of this process that uses it has run (``pytest_runtest_teardown``)."""
    for cluster in _started(tmp_path_factory, 3):
        pytestconfig.stash[_CLUSTER] = cluster
        yield cluster


# The cluster's three JVMs would otherwise idle until the session ends (about 10 ms of CPU a second
# each, for most of the run): the tests that use them, counted when collection finishes, all run on
# one worker (CLUSTER_TESTS), so when this process has run its count of them none is left to come.
_CLUSTER = pytest.StashKey[Any]()
_CLUSTER_TESTS_LEFT = pytest.StashKey[int]()


def _uses_cluster(item: pytest.Item) -> bool:
    marked = any(mark.args[:1] == ("opensearch-cluster",) for mark in item.iter_markers("xdist_group"))
    return marked or "opensearch_cluster" in getattr(item, "fixturenames", ())


def pytest_collection_finish(session: pytest.Session) -> None:
    session.config.stash[_CLUSTER_TESTS_LEFT] = sum(1 for item in session.items if _uses_cluster(item))


@pytest.hookimpl(wrapper=True)
def pytest_runtest_teardown(item: pytest.Item, nextitem: pytest.Item | None) -> Iterator[None]:
    try:
        return (yield)
    finally:
        config = item.config
        if _uses_cluster(item) and _CLUSTER_TESTS_LEFT in config.stash:
            config.stash[_CLUSTER_TESTS_LEFT] -= 1
            cluster = config.stash.get(_CLUSTER, None)
            if config.stash[_CLUSTER_TESTS_LEFT] <= 0 and cluster is not None:
                cluster.stop()


@pytest.fixture
def stack(request: pytest.FixtureRequest, catalogue_url: str | None) -> dict[str, Any]:
    """The catalogue and the index a test runs on, as ``load_settings`` arguments: the embedded
    engine with SQLite (the one-machine shape), the suite's OpenSearch node with PostgreSQL (the
    production shape), so suites parameterised by catalogue run on both engines too; a server
    index gets a name of its own."""
    url, flavour = engine_url("opensearch" if catalogue_url else "tantivy", request)
    return {
        "catalogue_url": catalogue_url,
        "es_url": url,
        "es_flavour": flavour,
        "index_name": f"chm-test-{uuid.uuid4().hex[:12]}",
    }


def engine_url(kind: str, request: pytest.FixtureRequest) -> tuple[str | None, str]:
    """``(CHM_ES_URL, CHM_ES_FLAVOUR)`` for an engine kind (None: the embedded engine)."""
    if kind == "tantivy":
        return None, "auto"
    if kind == "opensearch":
        return str(request.getfixturevalue("opensearch_node")), "opensearch"
    if kind == "opensearch-cluster":
        if not _uses_cluster(request.node):
            pytest.fail("a test on the 3-node cluster needs the CLUSTER_TESTS mark (tests/engines.py)", pytrace=False)
        return str(request.getfixturevalue("opensearch_cluster").url), "opensearch"
    if kind == "elasticsearch":
        if not ES_URL:
            pytest.skip(ES_SKIP_REASON)
        return ES_URL, "elasticsearch"
    raise ValueError(f"unknown engine {kind!r}")


def backend_on(kind: str, request: pytest.FixtureRequest, tmp_path: Path) -> SearchBackend:
    """A backend of ``kind`` on an index name no other test uses."""
    from search_index.factory import get_backend

    url, flavour = engine_url(kind, request)
    settings = load_settings(
        data_dir=tmp_path, es_url=url, es_flavour=flavour, index_name=f"chm-test-{uuid.uuid4().hex[:12]}"
    )
    if url is None:
        from search_index.tantivy_backend import TantivyBackend

        return TantivyBackend(tmp_path / "index")
    return get_backend(settings)


def engine_environment(settings: Settings) -> dict[str, str]:
    """The ``CHM_*`` variables that point a CLI subprocess at the same index as ``settings``."""
    if not settings.es_url:
        return {}
    return {"CHM_ES_URL": settings.es_url, "CHM_ES_FLAVOUR": settings.es_flavour, "CHM_INDEX_NAME": settings.index_name}


def drop_server_index(settings: Settings) -> None:
    """Delete a test's index from the suite's server (the embedded one goes with its directory)."""
    if settings.es_url:
        from search_index.factory import get_backend

        backend = get_backend(settings)
        backend.destroy()
        backend.close()


def drop_all(backend: SearchBackend) -> None:
    """Remove every version a test created (server indices outlive the test otherwise)."""
    backend.destroy()
    assert backend.list_versions() == [] and backend.current_version() is None


@dataclass
class Searches:
    """What a thread searching meanwhile saw: each search's total, and each failure, in order."""

    totals: list[int] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)


@contextmanager
def searching_meanwhile(backend: SearchBackend, query: SearchQuery, pause: float = 0.0) -> Iterator[Searches]:
    """Search ``backend`` for ``query`` in another thread, again and again (``pause`` seconds apart)
    while the block runs; any exception a search raises is a failure (a swap or a lost node must
    fail no search)."""
    searches = Searches()
    stop = threading.Event()

    def searching() -> None:
        while not stop.is_set():
            try:
                searches.totals.append(backend.search(query).total)
            except Exception as exc:
                searches.failures.append(repr(exc))
            if pause:
                time.sleep(pause)

    reader = threading.Thread(target=searching)
    reader.start()
    try:
        yield searches
    finally:
        stop.set()
        reader.join()


def make_doc(doc_id: str, lang: str, title: str, text: str = "", **extra: Any) -> dict[str, Any]:
    """An index document in one language, with sensible defaults for the keyword fields."""
    year = extra.pop("year", 2020)
    doc: dict[str, Any] = {
        "id": doc_id,
        "realm": "CHM",
        "schema": "nationalTarget",
        "government": "br",
        "original_language": lang,
        "languages": [lang],
        "title": {lang: title},
        "summary": {},
        "text": {lang: text} if text else {},
        "status": {lang: "original"},
        "names": f"{doc_id} {title}",
        "entities": [],
        "date": f"{year}-06-01" if year else None,
        "year": year,
        "url": None,
        "updated_at": "2026-01-01T00:00:00+00:00",
    }
    doc.update(extra)
    return doc
