"""``bench/translate.py --workers 1,2``: how translate workers scale on one machine, against raw CTranslate2.

For each worker count N, on a fresh PostgreSQL catalogue (a throwaway server started by
``devservers/postgres.py``, as the test suite does):

- N ``chm-search translate --follow`` processes are started (one CTranslate2 thread each,
  ``CHM_TRANSLATE_INTRA_THREADS=1``), and warmed up on one record (imports, model loading);
- the records are written in one transaction; the clock runs from its commit (the triggers queue
  the records and ``NOTIFY`` the waiting workers) until every record's French version is stored
  and re-indexed (the embedded index, shared by the workers of the machine);
- baseline, in the same run and alternated with the workers' rounds:
  ``ctranslate2.Translator(inter_threads=N, intra_threads=1)``'s ``translate_batch`` over the same
  distinct segments, already tokenised: what N cores of raw batching give.

Printed per N: segments/s of the workers and of raw CTranslate2, their ratio (goal ≥ 0.8), and
each side's scaling over N = 1. The workers pay what production pays: segmentation, memory
lookups and writes on PostgreSQL, sentence claims, leases, the gate, storing, re-indexing.
"""

from __future__ import annotations

import os
import signal
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import func, select

from devtools.commands import CLI_ARGS, clean_environment

ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Scaling:
    workers: int
    segments: int
    ours: float  # segments/s
    raw: float  # segments/s

    @property
    def ratio(self) -> float:
        return self.ours / self.raw


def raw_parallel_rate(model_dir: Path, tokens: list[list[str]], threads: int, batch: int, beam: int) -> float:
    """Segments/s of translate_batch with ``threads`` batches in parallel (one thread each)."""
    import ctranslate2  # type: ignore[import-untyped]

    translator = ctranslate2.Translator(str(model_dir), device="cpu", inter_threads=threads, intra_threads=1)
    translator.translate_batch(tokens[:8], max_batch_size=batch, beam_size=beam)  # warm-up
    started = time.perf_counter()
    translator.translate_batch(
        tokens, max_batch_size=batch, beam_size=beam, num_hypotheses=1, replace_unknowns=True, length_penalty=0.2
    )
    return len(tokens) / (time.perf_counter() - started)


def run_workers(count: int, texts: list[str], packages: Path, dsn: str, workdir: Path, batch: int) -> float:
    """Seconds for ``count`` following workers to translate and index ``texts`` (one record each)."""
    from record_catalogue.codes import Realm
    from record_catalogue.models import FieldText
    from record_catalogue.record import Record
    from record_catalogue.store import Catalogue, TextVersion, Upsert

    catalogue = Catalogue(dsn)
    env = clean_environment(
        CHM_CATALOGUE_URL=dsn,
        CHM_DATA_DIR=str(workdir / f"data-{count}"),
        CHM_MODELS_DIR=str(packages),
        CHM_LANGUAGES="en,fr",
        CHM_TRANSLATE_INTRA_THREADS="1",
        CHM_TRANSLATE_POLL_SECONDS="30",
        PYTHONPATH=str(ROOT),
    )
    processes = [
        subprocess.Popen(
            [
                sys.executable,
                *CLI_ARGS,
                "translate",
                "--follow",
                "--batch",
                str(batch),
            ],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(count)
    ]

    def fields_done() -> int:
        with catalogue.sessions() as session:
            stmt = select(func.count()).where(
                FieldText.provenance == "machine", FieldText.language == "fr", FieldText.status == "current"
            )
            return int(session.scalar(stmt) or 0)

    def wait_for(total: int, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while fields_done() < total:
            for process in processes:
                if process.poll() is not None:
                    raise RuntimeError(f"a worker stopped: {process.communicate()[1][-2000:]}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"workers did not finish in {timeout:.0f}s")
            time.sleep(0.2)

    def record(n: int, text: str) -> Upsert:
        item = Record(id=f"w{count}-{n:05d}", realm=Realm.CHM, schema_name="resource", summary={"en": text})
        return Upsert(item, [TextVersion("summary", "en", text)], "en")

    try:
        catalogue.upsert_many([record(99999, "The forest is protected by the national government.")])
        wait_for(1, 300)  # every worker imported; the first batch loaded the model in one of them
        time.sleep(1.0)
        started = time.perf_counter()
        catalogue.upsert_many([record(n, text) for n, text in enumerate(texts)])
        wait_for(len(texts) + 1, 1800)
        return time.perf_counter() - started
    finally:
        for process in processes:
            process.send_signal(signal.SIGTERM)
        for process in processes:
            try:
                process.communicate(timeout=60)
            except subprocess.TimeoutExpired:
                process.kill()
                process.communicate()
        catalogue.close()


def scaling(
    counts: list[int],
    texts: list[str],
    segments: list[str],
    packages: Path,
    workdir: Path,
    beam: int,
    batch: int,
    rounds: int = 3,
) -> list[Scaling]:
    """Ours and raw CTranslate2 for each worker count, alternated ``rounds`` times (medians), on a
    throwaway PostgreSQL server: a machine busy with other work slows both sides alike."""
    from devservers.postgres import PostgresServer, TemplateDatabases
    from translate.argos_engine import ArgosEngine

    engine = ArgosEngine(packages)
    tokens = engine.tokenize("en", "fr", segments)
    model_dir = engine.packages()["en", "fr"].path / "model"
    engine.close()
    server = PostgresServer().start()
    templates = TemplateDatabases(server)
    results = []
    try:
        for count in counts:
            ours: list[float] = []
            raw: list[float] = []
            for round_number in range(rounds):
                raw.append(raw_parallel_rate(model_dir, tokens, count, 32, beam))
                with templates.database() as dsn:
                    seconds = run_workers(count, texts, packages, dsn, workdir / f"r{round_number}", batch)
                ours.append(len(segments) / seconds)
            print(f"  {count} worker(s): ours {_fmt(ours)} segments/s, raw {_fmt(raw)}", flush=True)
            results.append(Scaling(count, len(segments), statistics.median(ours), statistics.median(raw)))
    finally:
        server.stop()
    return results


def _fmt(values: list[float]) -> str:
    return ", ".join(f"{value:.1f}" for value in values)


def report(results: list[Scaling]) -> None:
    base = results[0]
    print(
        f"workers on one machine ({os.cpu_count()} cores), PostgreSQL catalogue, one CTranslate2 thread each (medians):"
    )
    print(f"{'workers':>8} {'ours seg/s':>11} {'raw seg/s':>10} {'ours/raw':>9} {'ours ×N=1':>10} {'raw ×N=1':>9}")
    for r in results:
        print(
            f"{r.workers:>8} {r.ours:>11.1f} {r.raw:>10.1f} {r.ratio:>9.2f} "
            f"{r.ours / base.ours:>10.2f} {r.raw / base.raw:>9.2f}"
        )
    worst = min(r.ratio for r in results)
    print(f"lowest ours/raw: {worst:.2f} (goal ≥ 0.8: {'met' if worst >= 0.8 else 'NOT met'})")
