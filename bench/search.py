"""Search latency and throughput: our HTTP API against the same queries sent straight to the engine.

    python bench/search.py [--engine tantivy|opensearch] [--records 100000] [--requests 2000] [--concurrency 8]
                           [--workers 1]
    python bench/search.py --engine opensearch [--es-url http://127.0.0.1:9200]

A generated corpus (devtools/corpus.py: three realms, six languages) is indexed through our backend;
then the same mix of queries (words in each language, filters, browsing, newest-first) runs
(a) directly against the engine, and (b) through `chm-search serve` over loopback HTTP with
keep-alive connections, both with the same number of concurrent clients, in the same run.

Both sides run the query the API makes of the parameters (parsed, widened by the multilingual
vocabulary: ``search_api.understanding``), built before the clock starts:

- ``--engine tantivy`` (the embedded engine): two baselines. "direct (in process)" is
  ``TantivyBackend.search`` of that query in this process: no HTTP at all, and its callers cost
  nothing. "direct over HTTP" is the same call behind the thinnest server on the stack ``chm-search
  serve`` runs on (``bench/direct_server.py``: uvicorn, the search in a worker thread), sent by
  the same client threads over the same keep-alive connections as ours: the clients' CPU (this
  process, on the same two cores as the servers) and the HTTP server's fall on both sides alike,
  so what remains between it and ours is our application.
- ``--engine opensearch``: "direct" is the very request body our query compiler builds for it
  (``build_search_body``), POSTed with a plain ``http.client`` connection to ``/<alias>/_search``
  on the node (bodies encoded beforehand; answers read, not parsed). A node is started with
  ``devservers.opensearch`` unless ``--es-url`` names one (the benchmark then uses, and afterwards
  deletes, an index of its own).

The API's totals and result ids are checked against the direct answers first (same query, same
answer). An API request also makes, for its ``interpretation``, one small search per vocabulary
widening (how many records it finds alone): part of our cost, printed beside.

Direct and ours run in alternating rounds (``--rounds``), so that load from elsewhere on a shared
machine falls on both alike.

The API server runs without translation models (an empty ``CHM_MODELS_DIR``), so its query
carries no translations, as "direct"'s does not: query translation is measured by bench/translate.py.
``--workers N`` serves ours with ``chm-search serve --workers N`` (N API processes; default: the
cores, as the command's); the first line printed says which, with the load average at the start
and end.
A server's CPU is that of its whole process tree.
Prints p50/p95/p99 latency and requests/s of each, the CPU each request cost, and ours against
each baseline (goals: p95 of ours <= 1.5x direct, requests/s >= 0.8x; p95 under 100 ms at 100,000
records).
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import statistics
import sys
import tempfile
import threading
import time
import urllib.parse
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import procs  # noqa: E402
from devtools.corpus import (  # noqa: E402
    VOCAB,
    index_documents,
    iter_index_documents,
    write_jsonl,
)
from devtools.served import SERVE, serving  # noqa: E402
from record_catalogue.settings import Settings, load_settings  # noqa: E402
from search_index.base import SearchQuery  # noqa: E402

Call = Callable[[dict[str, object]], object]


def query_mix(count: int, seed: int = 11) -> list[dict[str, object]]:
    """Reader-like searches: one or two words in a language, sometimes filtered or browsing."""
    rng = random.Random(seed)
    mix: list[dict[str, object]] = []
    for _ in range(count):
        lang = rng.choice(list(VOCAB))
        words = rng.choice(VOCAB[lang]["topic"]).split()
        params: dict[str, object] = {"lang": lang, "q": " ".join(words[: rng.randint(1, min(2, len(words)))])}
        roll = rng.random()
        if roll < 0.15:
            params["q"] = ""
        if roll < 0.35:
            params["realm"] = [rng.choice(["ABS", "BCH", "CHM"])]
        if rng.random() < 0.2:
            params["sort"] = "newest"
        mix.append(params)
    return mix


class Queries:
    """The query ``/api/v1/search`` sends the engine for each set of parameters, made the way the
    API makes it (``search_api.understanding.understand``: parsed, widened by the vocabulary; no
    translation models installed, so no translations), before any clock starts.

    The API also asks the engine, for its ``interpretation``, how many records each widening finds
    alone (a search of one hit, no facets) and, when nothing is found, each filter left out:
    ``probes`` counts the first kind, so that "one API request" can be read in engine searches.
    """

    def __init__(self, mix: list[dict[str, object]], settings: Settings) -> None:
        from search_api.services import Services
        from search_api.understanding import understand

        services = Services(settings)
        self.queries: dict[int, SearchQuery] = {}
        probes = 0
        for params in mix:
            understood = understand(services, str(params["q"]), str(params["lang"]), False)
            probes += sum(1 for expansion in understood.expansions if expansion.added)
            filters = {"realm": params["realm"]} if "realm" in params else {}
            self.queries[id(params)] = SearchQuery(
                text=str(params["q"]),
                lang=str(params["lang"]),
                parsed=understood.parsed,
                filters=filters,  # type: ignore[arg-type]
                # As the API: browsing (no words) is newest first unless a sort is asked for.
                sort=str(params.get("sort") or ("relevance" if str(params["q"]).strip() else "newest")),  # type: ignore[arg-type]
                size=10,
            )
        self.probes = probes / len(mix)

    def __call__(self, params: dict[str, object]) -> SearchQuery:
        return self.queries[id(params)]


def run_load(mix: list[dict[str, object]], concurrency: int, call: Call) -> tuple[list[float], float]:
    """Latencies (ms) of every request and the wall time, ``concurrency`` clients at once."""
    latencies: list[float] = []
    lock = threading.Lock()
    cursor = iter(range(len(mix)))
    failures: list[BaseException] = []

    def client() -> None:
        while True:
            with lock:
                n = next(cursor, None)
            if n is None:
                return
            started = time.perf_counter()
            try:
                call(mix[n])
            except BaseException as exc:  # reported after the threads end
                failures.append(exc)
                return
            elapsed = (time.perf_counter() - started) * 1000
            with lock:
                latencies.append(elapsed)

    threads = [threading.Thread(target=client) for _ in range(concurrency)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if failures:
        raise RuntimeError(f"{len(failures)} client(s) failed, e.g. {failures[0]!r}")
    return latencies, time.perf_counter() - started


def percentiles(values: list[float]) -> tuple[float, float, float]:
    q = statistics.quantiles(values, n=100, method="inclusive")
    return q[49], q[94], q[98]


class KeepAlive:
    """One keep-alive HTTP connection per client thread to ``host:port``."""

    def __init__(self, host: str, port: int, pid: int | None = None) -> None:
        self.host, self.port, self.pid = host, port, pid
        self.local = threading.local()

    def request(self, method: str, path: str, body: bytes | None = None) -> bytes:
        connection = getattr(self.local, "connection", None)
        if connection is None:
            connection = self.local.connection = http.client.HTTPConnection(self.host, self.port, timeout=60)
        headers = {"content-type": "application/json"} if body is not None else {}
        connection.request(method, path, body=body, headers=headers)
        response = connection.getresponse()
        data = response.read()
        if response.status != 200:
            raise RuntimeError(f"{method} {path}: HTTP {response.status}: {data[:300]!r}")
        return data


def api_path(params: dict[str, object]) -> str:
    return "/api/v1/search?" + urllib.parse.urlencode(params, doseq=True)


@contextmanager
def served(command: list[str], env: dict[str, str]) -> Iterator[KeepAlive]:
    """A server (``command``, its port appended) on a free loopback port in a subprocess, until the
    block ends (``devtools.served``: its log goes to a file, never a pipe that fills up under load)."""
    with serving(command, {**os.environ, **env}, ready=None, timeout=120) as server:
        yield KeepAlive("127.0.0.1", server.port, server.process.pid)


@contextmanager
def api_server(env: dict[str, str], workers: int = 1) -> Iterator[KeepAlive]:
    """``chm-search serve --workers N`` in a subprocess on a free loopback port, until the block ends."""
    # No translation models: no query translation. The server logs a line per request.
    with tempfile.TemporaryDirectory() as models:
        full_env = {**env, "CHM_RATE_LIMIT_ANONYMOUS": "100000000", "CHM_MODELS_DIR": models}
        with served([*SERVE[:-1], "--workers", str(workers), "--port"], full_env) as api:
            yield api


@dataclass
class Side:
    """One way of sending the mix: its label, the call made per request, and the process whose
    CPU is its cost (None: this one, where the embedded engine runs in process)."""

    label: str
    call: Call
    pid: int | None
    latencies: list[float] = field(default_factory=list)
    wall: float = 0.0
    cpu: float = 0.0  # seconds, of ``pid`` (or this process) during this side's rounds
    client_cpu: float = 0.0  # seconds of this process (the clients) during this side's rounds

    @property
    def rate(self) -> float:
        return len(self.latencies) / self.wall


def report(engine: str, sides: list[Side], args: argparse.Namespace, probes: float) -> None:
    """Each side's latency and rate, and ours (the last side) against each baseline."""
    print(
        f"{len(sides[-1].latencies)} searches each, {args.concurrency} concurrent clients, {args.records:,} records, "
        f"{engine}, {os.cpu_count()} cores; ours: chm-search serve --workers {args.workers} "
        f"({args.workers} API process{'es' if args.workers > 1 else ''}), load average at the start "
        f"{args.load_at_start:.2f}, at the end {os.getloadavg()[0]:.2f}"
    )
    print(
        f"an API request sends the engine the query and, for its interpretation, asks how many records "
        f"each vocabulary widening finds ({probes:.2f} a request on average; counted once per index "
        "snapshot, search_api/match_counts.py): counted in ours, not in direct"
    )
    figures = {side.label: (percentiles(side.latencies), side.rate) for side in sides}
    for side in sides:
        (p50, p95, p99), rate = figures[side.label]
        print(f"{side.label:40s} p50 {p50:6.1f} ms  p95 {p95:6.1f} ms  p99 {p99:6.1f} ms  {rate:7.0f} req/s")
    ours = sides[-1]
    (o50, o95, _o99), o_rate = figures[ours.label]
    for base in sides[:-1]:
        (d50, d95, _d99), d_rate = figures[base.label]
        ratio_goal = "met" if o95 <= 1.5 * d95 else "NOT met"
        rate_goal = "met" if o_rate >= 0.8 * d_rate else "NOT met"
        print(
            f"ours / {base.label.strip(': ')}: p50 {o50 / d50:.2f}, p95 {o95 / d95:.2f} (goal <= 1.5: {ratio_goal}), "
            f"req/s {o_rate / d_rate:.3f} (goal >= 0.8: {rate_goal})"
        )
    latency_goal = "met" if o95 < 100 else "NOT met"
    print(f"p95 ours {o95:.0f} ms (goal < 100 ms: {latency_goal})")


def alternate(mix: list[dict[str, object]], args: argparse.Namespace, sides: list[Side], engine_cpu: bool) -> None:
    """Every side warmed up, then all run in alternating rounds over the mix, so that a burst of
    load from elsewhere on a shared machine falls on each alike; fills each side's latencies,
    wall time and CPU.

    Also prints the CPU each request cost, which other load on the machine hardly changes (unlike
    latency, when the rest of the machine takes most of its cores): a server's CPU in its side's
    rounds, or this process's for the embedded engine run in process (the client threads' share is
    small there); and this process's CPU in each HTTP side's rounds, the clients' cost, which
    competes with the servers for the same cores. With ``engine_cpu`` False (a node's engine) the
    engine's CPU is in no process measured here and nothing is printed."""
    for side in sides:
        run_load(mix[:200], args.concurrency, side.call)  # warm up
    busy, tree, started = procs.machine_busy(), procs.tree_cpu(os.getpid()), time.perf_counter()
    step = max(1, len(mix) // args.rounds)
    for start in range(0, len(mix), step):
        part = mix[start : start + step]
        for side in sides:
            pid = side.pid if side.pid is not None else os.getpid()
            # A server's whole process tree: with --workers the requests are served by its children.
            cpu = procs.process_cpu if side.pid is None else procs.tree_cpu
            before, before_here = cpu(pid), procs.process_cpu(os.getpid())
            latencies, wall = run_load(part, args.concurrency, side.call)
            side.cpu += cpu(pid) - before
            side.client_cpu += procs.process_cpu(os.getpid()) - before_here
            side.latencies += latencies
            side.wall += wall
    if engine_cpu:
        parts = []
        for side in sides:
            where = "this process" if side.pid is None else "its server"
            clients = "" if side.pid is None else f", clients {side.client_cpu * 1000 / len(side.latencies):.1f} ms"
            parts.append(f"{side.label.strip(': ')} {side.cpu * 1000 / len(side.latencies):.1f} ms ({where}{clients})")
        print("CPU per request: " + "; ".join(parts))
    # This process and its children (the servers; the node when started here) against the machine.
    others = procs.machine_busy() - busy - (procs.tree_cpu(os.getpid()) - tree)
    print(
        f"meanwhile the rest of the machine used {max(others, 0.0) / (time.perf_counter() - started):.2f} "
        f"of its {os.cpu_count()} cores (other work, hypervisor steal)"
    )


def check_same_answers(
    mix: list[dict[str, object]], api: KeepAlive, direct: Callable[[dict[str, object]], tuple[int, list[str]]]
) -> None:
    """The API and the direct request find the same records: same totals, same ids in order."""
    for params in mix:
        ours = json.loads(api.request("GET", api_path(params)))
        ours_answer = (ours["total"], [hit["id"] for hit in ours["results"]])
        direct_answer = direct(params)
        if ours_answer != direct_answer:
            raise RuntimeError(f"the API and the direct request disagree on {params}: {ours_answer} vs {direct_answer}")
    print(f"checked: the API and the direct request give the same totals and ids for {len(mix)} queries")


# -- Tantivy -----------------------------------------------------------------------------------


def bench_tantivy(args: argparse.Namespace, tmp: Path) -> None:
    from search_index.tantivy_backend import TantivyBackend

    data = Path(args.data_dir) if args.data_dir else tmp / "data"
    backend = TantivyBackend(data / "index")
    if args.data_dir and backend.current_version() is not None and backend.count() == args.records:
        # Indexed by an earlier run (the corpus is generated the same way every time).
        print(f"using the {args.records:,} generated records already indexed under {data}")
    else:
        backend.ensure_index()
        started = time.perf_counter()
        result = backend.bulk(iter_index_documents(write_jsonl(tmp / "corpus.jsonl", args.records)))
        backend.refresh()
        print(f"indexed {result.indexed:,} generated records into Tantivy in {time.perf_counter() - started:.0f} s")
    backend.close()  # its writer too: the API server opens the index for reading, as this process does now
    reader = TantivyBackend(data / "index")
    mix = query_mix(args.requests)
    to_query = Queries(mix, load_settings(data_dir=data))
    position = {id(params): n for n, params in enumerate(mix)}
    direct_argv = [
        sys.executable,
        str(ROOT / "bench" / "direct_server.py"),
        *("--data-dir", str(data), "--requests", str(args.requests), "--port"),
    ]
    try:
        with api_server({"CHM_DATA_DIR": str(data)}, args.workers) as api, served(direct_argv, {}) as direct:

            def api_call(params: dict[str, object]) -> None:
                api.request("GET", api_path(params))

            def direct_http_call(params: dict[str, object]) -> None:
                direct.request("GET", f"/q/{position[id(params)]}")

            def direct_answer(params: dict[str, object]) -> tuple[int, list[str]]:
                results = reader.search(to_query(params))
                return results.total, [hit.id for hit in results.hits]

            def direct_http_answer(params: dict[str, object]) -> tuple[int, list[str]]:
                answer = json.loads(direct.request("GET", f"/q/{position[id(params)]}"))
                return answer["total"], answer["ids"]

            check_same_answers(mix[:50], api, direct_answer)
            check_same_answers(mix[:50], api, direct_http_answer)
            sides = [
                Side("direct engine (in process):", lambda p: reader.search(to_query(p)), None),
                Side("direct engine over HTTP (same server):", direct_http_call, direct.pid),
                Side("our /api/v1/search (HTTP):", api_call, api.pid),
            ]
            alternate(mix, args, sides, engine_cpu=True)
    finally:
        reader.close()
    report("Tantivy (embedded)", sides, args, to_query.probes)


# -- OpenSearch --------------------------------------------------------------------------------


@contextmanager
def opensearch_node(args: argparse.Namespace, tmp: Path) -> Iterator[str]:
    """The node's URL: ``--es-url``, or a node started here (stopped when the block ends)."""
    if args.es_url:
        yield args.es_url.rstrip("/")
        return
    from devservers.opensearch import start_cluster

    started = time.perf_counter()
    # The optimising JIT on (fast_start=False), as a developer's or a production node runs.
    cluster = start_cluster(tmp / "opensearch", nodes=1, heap=args.heap, fast_start=False)
    try:
        print(f"OpenSearch node started in {time.perf_counter() - started:.0f} s (heap {args.heap})")
        yield cluster.url
    finally:
        cluster.stop()


def bench_opensearch(args: argparse.Namespace, tmp: Path) -> None:
    from search_index.elastic.backend import ElasticBackend
    from search_index.elastic.clients import encode_json
    from search_index.elastic.query_compiler import build_search_body

    data = tmp / "data"
    alias = f"chm-bench-{os.getpid()}"
    docs = index_documents(write_jsonl(tmp / "corpus.jsonl", args.records))
    with opensearch_node(args, tmp) as url:
        settings = load_settings(es_url=url, es_flavour="opensearch", index_name=alias, data_dir=data)
        backend = ElasticBackend(settings)
        try:
            backend.ensure_index()
            started = time.perf_counter()
            result = backend.bulk(docs)
            backend.refresh()
            if result.errors:
                raise RuntimeError(f"{len(result.errors)} documents not indexed, e.g. {result.errors[0]}")
            print(
                f"indexed {result.indexed:,} generated records into OpenSearch through our backend "
                f"in {time.perf_counter() - started:.0f} s"
            )
            del docs
            parts = urllib.parse.urlsplit(url)
            node = KeepAlive(parts.hostname or "127.0.0.1", parts.port or 9200)
            mix = query_mix(args.requests)
            to_query = Queries(mix, settings)
            bodies = {id(p): encode_json(build_search_body(to_query(p))) for p in mix}
            path = f"/{alias}/_search"

            def direct_call(params: dict[str, object]) -> None:
                node.request("POST", path, bodies[id(params)])

            env = {
                "CHM_DATA_DIR": str(data),
                "CHM_ES_URL": url,
                "CHM_ES_FLAVOUR": "opensearch",
                "CHM_INDEX_NAME": alias,
            }
            with api_server(env, args.workers) as api:

                def api_call(params: dict[str, object]) -> None:
                    api.request("GET", api_path(params))

                def direct_answer(params: dict[str, object]) -> tuple[int, list[str]]:
                    answer = json.loads(node.request("POST", path, bodies[id(params)]))
                    return answer["hits"]["total"]["value"], [hit["_id"] for hit in answer["hits"]["hits"]]

                check_same_answers(mix[:50], api, direct_answer)
                sides = [
                    Side("same body POSTed to the node:", direct_call, None),
                    Side("our /api/v1/search (HTTP):", api_call, api.pid),
                ]
                alternate(mix, args, sides, engine_cpu=False)
        finally:
            try:
                backend.destroy()
            finally:
                backend.close()
    report("OpenSearch 1 node", sides, args, to_query.probes)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--engine", choices=("tantivy", "opensearch"), default="tantivy")
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--es-url", default=None, help="an OpenSearch node to use instead of starting one")
    parser.add_argument("--heap", default="1g", help="heap of the OpenSearch node started here (default 1g)")
    parser.add_argument("--rounds", type=int, default=4, help="alternating rounds of direct and API")
    parser.add_argument(
        "--data-dir",
        help="Tantivy: keep the generated index here and reuse it on the next run with the same --records "
        "(e.g. to compare two commits on one index; its analysis version must match theirs)",
    )
    parser.add_argument(
        "--workers",
        type=int,
        help="API processes: chm-search serve --workers (default: the cores this process may use, as serve's)",
    )
    args: Any = parser.parse_args()
    args.workers = args.workers or len(os.sched_getaffinity(0))
    args.load_at_start = os.getloadavg()[0]
    with tempfile.TemporaryDirectory() as tmp:
        if args.engine == "tantivy":
            bench_tantivy(args, Path(tmp))
        else:
            bench_opensearch(args, Path(tmp))


if __name__ == "__main__":
    main()
