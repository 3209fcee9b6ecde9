"""Search latency and throughput: our HTTP API against the same queries sent straight to the engine.

    python bench/search.py [--records 100000] [--requests 2000] [--concurrency 8]

A generated corpus (bench/corpus.py: three realms, six languages) is indexed into the embedded
engine; then the same mix of queries (words in each language, filters, browsing, newest-first)
runs (a) directly against the engine in this process, and (b) through `chm-search serve` over
loopback HTTP with keep-alive connections, both with the same number of concurrent clients.
Prints p50/p95/p99 latency and requests/s of each, and the ratios (goals: p95 of ours ≤ 1.5×
direct; p95 under 100 ms at 100,000 records).
"""

from __future__ import annotations

import argparse
import http.client
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.corpus import (  # noqa: E402
    VOCAB,
    index_documents,
    write_jsonl,
)
from search_index.base import SearchQuery  # noqa: E402
from search_index.tantivy_backend import TantivyBackend  # noqa: E402


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


def to_query(params: dict[str, object]) -> SearchQuery:
    filters = {"realm": params["realm"]} if "realm" in params else {}
    return SearchQuery(
        text=str(params["q"]),
        lang=str(params["lang"]),
        filters=filters,  # type: ignore[arg-type]
        sort=str(params.get("sort", "relevance")),
        size=10,
    )  # type: ignore[arg-type]


def run_load(
    mix: list[dict[str, object]], concurrency: int, call: Callable[[dict[str, object]], None]
) -> tuple[list[float], float]:
    """Latencies (ms) of every request and the wall time, ``concurrency`` clients at once."""
    latencies: list[float] = []
    lock = threading.Lock()
    cursor = iter(range(len(mix)))

    def client() -> None:
        while True:
            with lock:
                n = next(cursor, None)
            if n is None:
                return
            started = time.perf_counter()
            call(mix[n])
            elapsed = (time.perf_counter() - started) * 1000
            with lock:
                latencies.append(elapsed)

    threads = [threading.Thread(target=client) for _ in range(concurrency)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return latencies, time.perf_counter() - started


def percentiles(values: list[float]) -> tuple[float, float, float]:
    q = statistics.quantiles(values, n=100, method="inclusive")
    return q[49], q[94], q[98]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=8)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "data"
        backend = TantivyBackend(data / "index")
        backend.ensure_index()
        started = time.perf_counter()
        result = backend.bulk(index_documents(write_jsonl(Path(tmp) / "corpus.jsonl", args.records)))
        backend.refresh()
        print(f"indexed {result.indexed:,} generated records in {time.perf_counter() - started:.0f} s")
        mix = query_mix(args.requests)
        run_load(mix[:200], args.concurrency, lambda p: backend.search(to_query(p)))  # warm up
        direct, direct_wall = run_load(mix, args.concurrency, lambda p: backend.search(to_query(p)))
        backend.close()

        port = free_port()
        env = {**os.environ, "CHM_DATA_DIR": str(data), "CHM_RATE_LIMIT_ANONYMOUS": "100000000"}
        server = subprocess.Popen(
            [sys.executable, "-c", "from search_api.cli import main; main()", "serve", "--port", str(port)],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            cwd=ROOT,
        )
        try:
            deadline = time.monotonic() + 60
            while True:
                try:
                    socket.create_connection(("127.0.0.1", port), timeout=1).close()
                    break
                except OSError:
                    if time.monotonic() > deadline:
                        raise
                    time.sleep(0.2)
            local = threading.local()

            def http_call(params: dict[str, object]) -> None:
                connection = getattr(local, "connection", None)
                if connection is None:
                    connection = local.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
                connection.request("GET", "/api/v1/search?" + urllib.parse.urlencode(params, doseq=True))
                response = connection.getresponse()
                response.read()
                if response.status != 200:
                    raise RuntimeError(f"HTTP {response.status}")

            run_load(mix[:200], args.concurrency, http_call)  # warm up
            ours, ours_wall = run_load(mix, args.concurrency, http_call)
        finally:
            server.terminate()
            server.wait(timeout=10)

    d50, d95, d99 = percentiles(direct)
    o50, o95, o99 = percentiles(ours)
    print(f"{args.requests} searches, {args.concurrency} concurrent clients, {args.records:,} records, 2 cores")
    print(
        f"direct engine (in process): p50 {d50:6.1f} ms  p95 {d95:6.1f} ms  p99 {d99:6.1f} ms  "
        f"{len(direct) / direct_wall:7.0f} req/s"
    )
    print(
        f"our /api/v1/search (HTTP):  p50 {o50:6.1f} ms  p95 {o95:6.1f} ms  p99 {o99:6.1f} ms  "
        f"{len(ours) / ours_wall:7.0f} req/s"
    )
    print(f"ratio p95 ours/direct: {o95 / d95:.2f} (goal <= 1.5); p95 ours {o95:.0f} ms (goal < 100 ms)")


if __name__ == "__main__":
    main()
