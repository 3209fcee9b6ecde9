"""A real 3-node OpenSearch cluster loses a node: searches go on, health says degraded, nothing is lost.

The backend is given every node (``CHM_ES_URL`` comma-separated), as a deployment would; the
index has one replica (``auto_expand_replicas: 0-1`` on three nodes). The node that is stopped holds
the index's primary shard; the client spreads requests over the nodes it knows, so it has to
fail over.
"""

from __future__ import annotations

import time
import uuid
from pathlib import Path
from typing import Any

from record_catalogue.settings import load_settings
from search_index.base import SearchQuery
from search_index.elastic.backend import ElasticBackend
from tests.engines import CLUSTER_TESTS, make_doc, searching_meanwhile


def _wait(predicate: Any, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.5)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")


@CLUSTER_TESTS
def test_losing_a_node_fails_no_search_and_loses_no_write(opensearch_cluster: Any, tmp_path: Path) -> None:
    cluster = opensearch_cluster
    settings = load_settings(
        data_dir=tmp_path,
        es_url=",".join(cluster.urls),
        es_flavour="opensearch",
        index_name=f"chm-failover-{uuid.uuid4().hex[:8]}",
    )
    backend = ElasticBackend(settings)
    backend.ensure_index()
    before = [make_doc(f"before-{i}", "en", f"Protected area {i}", year=2000 + i % 20) for i in range(200)]
    assert backend.bulk(before).errors == []
    backend.refresh()
    _wait(lambda: backend.health().detail.find(" is green") > 0, 60, "a green cluster with the replica placed")

    # any failed search while a node is down breaks the promise
    with searching_meanwhile(backend, SearchQuery(text="protected area", size=5), pause=0.02) as searches:
        time.sleep(1)
        # The node holding the primary: its replica must take over while searches go on.
        shards = backend.client.request("GET", f"/_cat/shards/{settings.index_name}", params={"format": "json"})
        primary = next(row["node"] for row in shards if row["prirep"] == "p")
        victim = int(str(primary).rpartition("-")[2])
        cluster.stop_node(victim)
        _wait(lambda: backend.health().degraded, 60, "health to report the degraded cluster")
        health = backend.health()
        assert health.ok and health.degraded and "yellow" in health.detail

        # Ingest during the outage: every document lands.
        during = [make_doc(f"during-{i}", "en", f"Protected area during outage {i}") for i in range(100)]
        result = backend.bulk(during)
        assert result.errors == [] and result.indexed == len(during)
        backend.refresh()
        searched_while_down = len(searches.totals)
        time.sleep(2)
        assert len(searches.totals) > searched_while_down

        cluster.start_node(victim)
        _wait(lambda: " is green" in backend.health().detail, 120, "the cluster to heal (green)")
        assert not backend.health().degraded
    totals = searches.totals
    assert searches.failures == []
    # Searches see the outage's writes arrive (the engine refreshes every second), never fewer.
    assert totals and all(len(before) <= total <= len(before) + len(during) for total in totals)
    assert backend.count() == len(before) + len(during)
    backend.destroy()
    backend.close()
