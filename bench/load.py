"""Load with writes: searches from 16 clients while records are pushed, and while the index is rebuilt.

    python bench/load.py [--records 3000] [--clients 16] [--seconds 20] [--push-batch 50]

A generated corpus (devtools/corpus.py) is ingested with ``chm-search ingest`` into a fresh data
directory (the embedded engine, a SQLite catalogue), then ``chm-search serve`` runs on loopback
and three phases follow, each ``--seconds`` long at least, in the same run:

1. **baseline**: ``--clients`` threads search (reader-like queries in six languages, some
   filtered or browsing, ``bench/search.py``'s mix) on keep-alive connections, nothing else;
2. **push**: the same, while one more client pushes new records through ``POST /api/v1/records``
   (``--push-batch`` a request, an ingest key), back to back;
3. **rebuild**: the same searches and pushes while ``chm-search reindex`` rebuilds the index
   into a new version and swaps it in, again and again until the phase has lasted its time.

Every answer that is not a 200 is an error (a 503 too: a reader or a partner would see it). After
the last phase every pushed record must be in the catalogue and in the live index (``health``
compares them): a record pushed while a rebuild read the catalogue must not be lost by the swap.
Prints, per phase, requests, throughput and p50/p95/p99 latency of the searches (and of the
pushes), errors, and the ratios of each search figure to the baseline measured in this run.
Exits 1 on any error.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.search import api_path, api_server, percentiles, query_mix  # noqa: E402
from devtools.commands import CLI_ARGS, clean_environment  # noqa: E402
from devtools.corpus import generate, write_jsonl  # noqa: E402

CLI = [sys.executable, *CLI_ARGS]


@dataclass
class Tally:
    """Latencies (ms) of one kind of request in one phase, and what went wrong."""

    latencies: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, started: float, error: str | None) -> None:
        elapsed = (time.perf_counter() - started) * 1000
        with self.lock:
            self.latencies.append(elapsed)
            if error is not None:
                self.errors.append(error)


@dataclass
class Phase:
    name: str
    searches: Tally
    pushes: Tally
    seconds: float
    pushed: int = 0
    rebuilds: int = 0


class Client:
    """One keep-alive connection; ``call`` answers the status and body (reconnecting if dropped)."""

    def __init__(self, port: int, headers: dict[str, str] | None = None) -> None:
        self.port = port
        self.headers = headers or {}
        self.connection: http.client.HTTPConnection | None = None

    def call(self, method: str, path: str, body: bytes | None = None) -> tuple[int, bytes]:
        """One request; on a kept-alive connection the server has meanwhile closed as idle (its
        keep-alive timeout), the request is sent once more on a new one, as HTTP clients do."""
        reused = self.connection is not None
        try:
            return self._call(method, path, body)
        except (BrokenPipeError, ConnectionResetError, http.client.RemoteDisconnected):
            if not reused:
                raise
        return self._call(method, path, body)

    def _call(self, method: str, path: str, body: bytes | None) -> tuple[int, bytes]:
        if self.connection is None:
            self.connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=120)
        headers = dict(self.headers)
        if body is not None:
            headers["Content-Type"] = "application/json"
        try:
            self.connection.request(method, path, body=body, headers=headers)
            response = self.connection.getresponse()
            return response.status, response.read()
        except (OSError, http.client.HTTPException):
            self.connection.close()
            self.connection = None
            raise


def chm(data_dir: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    environment = clean_environment(CHM_DATA_DIR=str(data_dir))
    done = subprocess.run([*CLI, *args], capture_output=True, text=True, env=environment, cwd=ROOT, check=False)
    if check and done.returncode != 0:
        raise RuntimeError(f"chm-search {' '.join(args)} failed ({done.returncode}): {done.stderr[-2000:]}")
    return done


def searcher(port: int, paths: list[str], offset: int, stop: threading.Event, tally: Tally) -> None:
    client = Client(port)
    n = offset
    while not stop.is_set():
        path = paths[n % len(paths)]
        n += 1
        started = time.perf_counter()
        try:
            status, body = client.call("GET", path)
        except (OSError, http.client.HTTPException) as exc:
            tally.add(started, f"GET {path}: {exc.__class__.__name__}: {exc}")
            continue
        tally.add(started, None if status == 200 else f"GET {path}: HTTP {status}: {body[:200]!r}")


class Pusher:
    """Pushes batches of new records (ids unique to this run) until stopped."""

    def __init__(self, port: int, key: str, batch: int) -> None:
        self.client = Client(port, {"X-API-Key": key})
        self.batch = batch
        self.records = generate(10_000_000, seed=20261206)
        self.pushed_ids: list[str] = []
        self.lock = threading.Lock()

    def warm(self) -> None:
        """One small push before the clock starts: the server builds its detector and taggers."""
        warm = Phase("warm-up", Tally(), Tally(), 0.0)
        self.push(warm, 5)
        if warm.pushes.errors:
            raise RuntimeError(f"the first push failed: {warm.pushes.errors[0]}")

    def run(self, stop: threading.Event, phase: Phase) -> None:
        while not stop.is_set():
            self.push(phase, self.batch)

    def push(self, phase: Phase, size: int) -> None:
        batch = [next(self.records) for _ in range(size)]
        for record in batch:
            record["header"]["identifier"] = "PUSH-" + record["header"]["identifier"]
        body = json.dumps(batch, ensure_ascii=False).encode("utf-8")
        started = time.perf_counter()
        try:
            status, answer = self.client.call("POST", "/api/v1/records", body)
        except (OSError, http.client.HTTPException) as exc:
            phase.pushes.add(started, f"POST: {exc.__class__.__name__}: {exc}")
            return
        if status != 200:
            phase.pushes.add(started, f"POST: HTTP {status}: {answer[:300]!r}")
            return
        result = json.loads(answer)
        problems = result["errors"]
        phase.pushes.add(started, f"POST: {len(problems)} records refused, e.g. {problems[0]}" if problems else None)
        with self.lock:
            phase.pushed += result["created"]
            self.pushed_ids += [str(r["header"]["identifier"]) for r in batch]


def rebuilder(data_dir: Path, stop: threading.Event, phase: Phase) -> None:
    """``chm-search reindex`` again and again; the phase ends after a rebuild, never during one."""
    while True:
        done = chm(data_dir, "reindex", check=False)
        if done.returncode != 0:
            phase.searches.errors.append(f"reindex failed ({done.returncode}): {done.stderr.strip()[-300:]}")
        phase.rebuilds += 1
        if stop.is_set():
            return


def run_phase(
    name: str,
    port: int,
    paths: list[str],
    clients: int,
    seconds: float,
    extras: list[Callable[[threading.Event, Phase], None]],
) -> Phase:
    phase = Phase(name, Tally(), Tally(), 0.0)
    stop = threading.Event()
    threads = [
        threading.Thread(target=searcher, args=(port, paths, n * 997, stop, phase.searches)) for n in range(clients)
    ]
    helpers = [threading.Thread(target=extra, args=(stop, phase)) for extra in extras]
    started = time.perf_counter()
    for thread in threads + helpers:
        thread.start()
    time.sleep(seconds)
    stop.set()
    for helper in helpers:  # a rebuild under way is finished, searched against, before the phase ends
        while helper.is_alive():
            helper.join(0.1)
    phase.seconds = time.perf_counter() - started
    for thread in threads:
        thread.join()
    return phase


def figures(tally: Tally, seconds: float) -> tuple[float, float, float, float]:
    if len(tally.latencies) < 2:
        return (len(tally.latencies) / seconds, float("nan"), float("nan"), float("nan"))
    p50, p95, p99 = percentiles(tally.latencies)
    return len(tally.latencies) / seconds, p50, p95, p99


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--records", type=int, default=3000, help="records ingested before the phases")
    parser.add_argument("--clients", type=int, default=16, help="concurrent searching clients")
    parser.add_argument("--seconds", type=float, default=20.0, help="length of each phase (at least)")
    parser.add_argument("--push-batch", type=int, default=50, help="records per push")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="chm-load-") as scratch:
        data_dir = Path(scratch) / "data"
        dump = write_jsonl(Path(scratch) / "corpus.jsonl", args.records)
        chm(data_dir, "ingest", str(dump))
        key = chm(data_dir, "keys", "create", "--role", "ingest", "--name", "load bench").stdout.strip()
        paths = [api_path(params) for params in query_mix(2000)]
        with api_server({"CHM_DATA_DIR": str(data_dir)}) as server:
            port = server.port
            Client(port).call("GET", paths[0])  # warm: the first search opens the index
            pusher = Pusher(port, key, args.push_batch)
            pusher.warm()
            phases = [
                run_phase("baseline (searches only)", port, paths, args.clients, args.seconds, []),
                run_phase("searches + push ingest", port, paths, args.clients, args.seconds, [pusher.run]),
                run_phase(
                    "searches + push + reindex",
                    port,
                    paths,
                    args.clients,
                    args.seconds,
                    [pusher.run, lambda stop, phase: rebuilder(data_dir, stop, phase)],
                ),
            ]
            lost = check_nothing_lost(data_dir, port, pusher.pushed_ids, args.records)
        print_report(phases, args, lost)
    errors = sum(len(p.searches.errors) + len(p.pushes.errors) for p in phases) + len(lost)
    return 1 if errors else 0


def check_nothing_lost(data_dir: Path, port: int, pushed: list[str], ingested: int) -> list[str]:
    """Problems if any pushed record is missing from the catalogue or the live index."""
    problems: list[str] = []
    health = chm(data_dir, "health", check=False)
    expected = ingested + len(pushed)
    if f"ok ({expected} records)" not in health.stdout or f"{expected} documents" not in health.stdout:
        problems.append(f"health after the phases (expected {expected} records and documents): {health.stdout!r}")
    client = Client(port)
    for record_id in pushed[:: max(1, len(pushed) // 200)]:  # a sample, spread over every phase
        status, _ = client.call("GET", f"/api/v1/records/{record_id}")
        if status != 200:
            problems.append(f"pushed record {record_id}: HTTP {status}")
    return problems


def print_report(phases: list[Phase], args: argparse.Namespace, lost: list[str]) -> None:
    base = figures(phases[0].searches, phases[0].seconds)
    print(
        f"{args.clients} searching clients on loopback, {args.records:,} records ingested first, "
        f"embedded engine, SQLite catalogue, {os.cpu_count()} cores; pushes of {args.push_batch} records"
    )
    header = f"{'phase':28s} {'searches':>8s} {'req/s':>7s} {'p50 ms':>7s} {'p95 ms':>7s} {'p99 ms':>7s} {'errors':>6s}"
    print(header)
    for phase in phases:
        rate, p50, p95, p99 = figures(phase.searches, phase.seconds)
        print(
            f"{phase.name:28s} {len(phase.searches.latencies):8d} {rate:7.1f} {p50:7.1f} {p95:7.1f} {p99:7.1f} "
            f"{len(phase.searches.errors):6d}"
        )
    print("ratios to the baseline (throughput; p50, p95, p99 latency):")
    for phase in phases[1:]:
        rate, p50, p95, p99 = figures(phase.searches, phase.seconds)
        print(
            f"  {phase.name:26s} throughput x{rate / base[0]:.2f}; latency x{p50 / base[1]:.2f}, "
            f"x{p95 / base[2]:.2f}, x{p99 / base[3]:.2f}"
        )
    for phase in phases[1:]:
        rate, p50, p95, p99 = figures(phase.pushes, phase.seconds)
        rebuilt = f", {phase.rebuilds} index rebuilds" if phase.rebuilds else ""
        print(
            f"  pushes during '{phase.name}': {len(phase.pushes.latencies)} requests, {phase.pushed} records "
            f"({phase.pushed / phase.seconds:.0f} records/s), p50 {p50:.0f} ms, p95 {p95:.0f} ms, "
            f"p99 {p99:.0f} ms, {len(phase.pushes.errors)} errors{rebuilt}"
        )
    for phase in phases:
        for error in (phase.searches.errors + phase.pushes.errors)[:5]:
            print(f"  error in '{phase.name}': {error}")
    for problem in lost:
        print(f"  lost: {problem}")
    total = sum(len(p.searches.errors) + len(p.pushes.errors) for p in phases) + len(lost)
    print(f"errors: {total}")


if __name__ == "__main__":
    sys.exit(main())
