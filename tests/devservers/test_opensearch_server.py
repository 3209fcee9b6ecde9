"""The OpenSearch test server (devservers/opensearch.py) really is what the suite needs: one node with the
language analyzers, search_as_you_type, _reindex, painless and point in time, refusing wildcard deletes as
Elasticsearch 8+ does; and a three-node cluster that survives losing a node and heals when it comes back."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest

from devservers.opensearch import OpenSearchCluster, request, start_cluster

# The module-scoped `node` is set up once: under pytest-xdist this module's tests share a worker.
pytestmark = pytest.mark.xdist_group(__name__)


def ok(method: str, url: str, body: Any = None) -> Any:
    status, answer = request(method, url, body)
    assert status in (200, 201), f"{method} {url}: HTTP {status} {answer}"
    return answer


@pytest.fixture(scope="module")
def node(tmp_path_factory: pytest.TempPathFactory) -> Iterator[OpenSearchCluster]:
    with start_cluster(tmp_path_factory.mktemp("opensearch-1")) as cluster:
        yield cluster


FRENCH_INDEX = {
    "settings": {
        "number_of_shards": 1,
        "number_of_replicas": 0,
        "analysis": {"analyzer": {"fr": {"type": "french", "stem_exclusion": ["biodiversité"]}}},
    },
    "mappings": {
        "properties": {
            "title": {"type": "search_as_you_type", "analyzer": "fr"},
            "n": {"type": "integer"},
        }
    },
}


def test_one_node_serves_what_the_index_uses(node: OpenSearchCluster) -> None:
    url = node.url
    assert ok("GET", url)["version"]["distribution"] == "opensearch"
    ok("PUT", f"{url}/chm-x-v1", FRENCH_INDEX)

    tokens = ok("POST", f"{url}/chm-x-v1/_analyze", {"analyzer": "fr", "text": "conservation biodiversité"})
    assert [t["token"] for t in tokens["tokens"]] == ["conserv", "biodiversité"]  # stemmed, and excluded

    ok("PUT", f"{url}/chm-x-v1/_doc/1?refresh=true", {"title": "Conservation de la biodiversité marine", "n": 1})
    fields = ["title", "title._2gram", "title._3gram"]
    query = {"query": {"multi_match": {"query": "conservations biodiv", "type": "bool_prefix", "fields": fields}}}
    hits = ok("POST", f"{url}/chm-x-v1/_search", query)["hits"]["hits"]
    assert [hit["_id"] for hit in hits] == ["1"]

    # action.destructive_requires_name: a wildcard delete is refused (as by Elasticsearch 8+), a named one is not
    status, answer = request("DELETE", f"{url}/chm-x-v*")
    assert status == 400 and "Wildcard expressions" in answer["error"]["reason"]
    assert request("HEAD", f"{url}/chm-x-v1")[0] == 200
    ok("DELETE", f"{url}/chm-x-v1")


def test_reindex_painless_and_point_in_time(node: OpenSearchCluster) -> None:
    url = node.url
    ok("PUT", f"{url}/chm-y-v1", FRENCH_INDEX)
    ok("PUT", f"{url}/chm-y-v1/_doc/1?refresh=true", {"title": "Aires protégées", "n": 2})
    script = {"lang": "painless", "source": "ctx._source.n = ctx._source.n * params.k", "params": {"k": 10}}
    reindex = {"source": {"index": "chm-y-v1"}, "dest": {"index": "chm-y-v2"}, "script": script}
    done = ok("POST", f"{url}/_reindex?refresh=true", reindex)
    assert done["created"] == 1 and not done["failures"]
    assert ok("GET", f"{url}/chm-y-v2/_doc/1")["_source"]["n"] == 20

    pit = ok("POST", f"{url}/chm-y-v2/_search/point_in_time?keep_alive=1m")["pit_id"]
    page = ok("POST", f"{url}/_search", {"pit": {"id": pit, "keep_alive": "1m"}, "sort": [{"n": "asc"}]})
    assert [hit["sort"] for hit in page["hits"]["hits"]] == [[20]]
    ok("DELETE", f"{url}/_search/point_in_time", {"pit_id": [pit]})
    ok("DELETE", f"{url}/chm-y-v1,chm-y-v2")


def wait_for(check: Any, timeout: float = 60) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(0.25)


def test_three_nodes_survive_losing_one(tmp_path_factory: pytest.TempPathFactory) -> None:
    with start_cluster(tmp_path_factory.mktemp("opensearch-3"), nodes=3) as cluster:
        health = ok("GET", f"{cluster.url}/_cluster/health")
        assert health["number_of_nodes"] == 3 and health["status"] == "green"
        index = {"settings": {"number_of_shards": 1, "number_of_replicas": 1}}
        ok("PUT", f"{cluster.url}/heal", index)
        for i in range(5):
            ok("PUT", f"{cluster.url}/heal/_doc/{i}", {"n": i})
        ok("POST", f"{cluster.url}/heal/_refresh")
        ok("GET", f"{cluster.url}/_cluster/health/heal?wait_for_status=green&timeout=30s")

        # stop the node that holds the primary: the replica must take over
        shards = ok("GET", f"{cluster.url}/_cat/shards/heal?format=json&h=prirep,node")
        primary = next(shard["node"] for shard in shards if shard["prirep"] == "p")
        stopped = int(primary.removeprefix("node-"))
        cluster.stop_node(stopped)
        assert cluster.pid(stopped) is None

        def two_nodes() -> bool:
            status, health = request("GET", f"{cluster.url}/_cluster/health?wait_for_nodes=2&timeout=5s")
            return status == 200 and health["number_of_nodes"] == 2

        assert wait_for(two_nodes), "the cluster did not settle on two nodes"
        for i, url in enumerate(cluster.urls):
            if i != stopped:
                assert ok("POST", f"{url}/heal/_search", {"size": 0})["hits"]["total"]["value"] == 5

        cluster.start_node(stopped)  # waits for three nodes and green
        health = ok("GET", f"{cluster.urls[stopped]}/_cluster/health")
        assert health["number_of_nodes"] == 3 and health["status"] == "green"
        assert ok("POST", f"{cluster.urls[stopped]}/heal/_search", {"size": 0})["hits"]["total"]["value"] == 5
