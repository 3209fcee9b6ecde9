"""The curators' review queue at the clearing-houses' scale: one page, in milliseconds.

    python bench/curation_queue.py [--sentences 25000] [--rounds 5] [--catalogue sqlite|postgresql]
    python bench/curation_queue.py --baseline REF      # ... and the same on an older commit

Builds a catalogue the shape of a translated clearing-house: ``--sentences`` distinct English
sentences (25,000: 50,000 queue items) translated into French and Spanish (segments of the translation memory, most
``machine``, some reviewed, rejected or failed), used by records of about five sentences each
(some sentences shared by many records, as boilerplate is), the records' original titles, and
readers' view events when the catalogue has the table (for ``order=impact``). Then asks
``translate.curation.Curation.queue`` for one page (20 items) as the curator page does: the
default queue, one language, a language pair, newest first, by impact, filtered by
clearing-house, record type, country (and two of them at once) and by text, and the reviewed,
rejected, stale and failed queues; each the median of ``--rounds`` after one warm-up.

Baseline, in the same run: the same page of segment rows read by primary key with no ranking,
filter or count (what reading 20 rows costs on this database); each variant prints its ratio to
it, and PASS/FAIL against the goal (200 ms a page at 50,000 sentences). ``--baseline REF`` also
runs this script, with the same arguments, on that commit (``git worktree``, removed afterwards),
so before and after are measured on the same machine in one run.
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import hashlib
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))

from sqlalchemy import Table, insert, inspect, select  # noqa: E402

GOAL_MS = 200.0
WORDS = [
    *[
        "forest",
        "river",
        "protected",
        "national",
        "strategy",
        "report",
        "genetic",
        "resources",
        "traditional",
        "knowledge",
        "local",
    ],
    *[
        "communities",
        "marine",
        "species",
        "ecosystems",
        "law",
        "permit",
        "conservation",
        "sustainable",
        "use",
        "biological",
    ],
    *[
        "diversity",
        "area",
        "water",
        "coast",
        "island",
        "government",
        "ministry",
        "measures",
        "adopted",
        "monitor",
        "restore",
    ],
    *["indigenous", "peoples", "research", "plan", "action"],
]
TARGETS = ("fr", "es")
SENTENCES_PER_RECORD = 5


def sentence(rng: random.Random, index: int) -> str:
    words = rng.sample(WORDS, rng.randint(5, 12))
    return f"{' '.join(words).capitalize()} {index}."


def digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def build(url: str, sentences: int, seed: int = 7) -> dict[str, int]:
    """Fill a fresh catalogue at ``url`` (migrated by ``Catalogue``); return what was written."""
    from record_catalogue.models import Base
    from record_catalogue.store import Catalogue

    catalogue = Catalogue(url)
    tables = Base.metadata.tables
    rng = random.Random(seed)
    now = datetime.now(UTC)
    texts = [sentence(rng, i) for i in range(sentences)]
    boiler = texts[: max(10, sentences // 100)]  # shared by many records
    records: list[dict[str, Any]] = []
    fields: list[dict[str, Any]] = []
    uses: list[dict[str, Any]] = []
    record_sentences: list[list[str]] = []
    position = 0
    while position < sentences:
        own = texts[position : position + SENTENCES_PER_RECORD]
        position += SENTENCES_PER_RECORD
        record_id = f"rec-{len(records):07d}"
        chosen = [*own, *(rng.sample(boiler, 1) if rng.random() < 0.5 else [])]
        record_sentences.append(chosen)
        realm = rng.choice(("CHM", "ABS", "BCH"))
        records.append(
            {
                "id": record_id,
                "realm": realm,
                "schema_name": {"CHM": "resource", "ABS": "absPermit", "BCH": "biosafetyLaw"}[realm],
                "government": rng.choice(("br", "mx", "pe", "ke", "in")),
                "original_language": "en",
                "declared_languages": ["en"],
                "source": "bench",
                "source_position": "",
                "content_hash": digest(record_id),
                "created_at": now,
                "updated_at": now,
                "needs_index": False,
                "links": [],
            }
        )
        fields.append(
            {
                "record_id": record_id,
                "field": "title",
                "language": "en",
                "text": " ".join(chosen),
                "provenance": "original",
                "status": "current",
                "version": 1,
                "created_at": now,
                "updated_at": now,
            }
        )
        for target in TARGETS:
            for text in chosen:
                uses.append(
                    {
                        "record_id": record_id,
                        "field": "title",
                        "source_language": "en",
                        "target_language": target,
                        "source_hash": digest(text),
                    }
                )
    segments: list[dict[str, Any]] = []
    for index, text in enumerate(texts):
        for target in TARGETS:
            roll = rng.random()
            provenance, status, actor = "machine", "current", None
            if roll < 0.05:
                provenance, status, actor = "reviewed", "current", "Ana"
            elif roll < 0.06:
                status, actor = "rejected", "Ben"
            elif roll < 0.08:
                status = "failed"
            stamp = now - timedelta(seconds=sentences - index)
            segments.append(
                {
                    "source_hash": digest(text),
                    "source_text": text,
                    "source_language": "en",
                    "target_language": target,
                    "engine": "segment",
                    "model_version": "",
                    "target_text": f"[{target}] {text}",
                    "provenance": provenance,
                    "status": status,
                    "status_reason": "repetition loop" if status == "failed" else None,
                    "actor": actor,
                    "machine_engine": "argos",
                    "machine_model": f"translate-en_{target} 1.0",
                    "version": 1,
                    "created_at": stamp,
                    "updated_at": stamp,
                }
            )
    events: list[dict[str, Any]] = []
    has_events = "reader_events" in inspect(catalogue.engine).get_table_names()
    if has_events:
        for _ in range(sentences):  # one view per sentence, skewed: a few records are read a lot
            record = min(int(rng.paretovariate(1.2)) - 1, len(records) - 1)
            events.append(
                {
                    "kind": "view",
                    "at": now - timedelta(hours=rng.randint(0, 24 * 60)),
                    "lang": rng.choice(TARGETS),
                    "record_id": records[record]["id"],
                    "source": "page",
                }
            )
    with catalogue.engine.begin() as connection:
        for name, rows in (
            ("records", records),
            ("field_texts", fields),
            ("translation_memory", segments),
            ("translation_uses", uses),
            ("reader_events", events),
        ):
            if not rows:
                continue
            table: Table = tables[name]
            for start in range(0, len(rows), 5000):
                connection.execute(insert(table), rows[start : start + 5000])
        if connection.dialect.name == "postgresql":  # what autovacuum does: the kept counts' plans use statistics
            connection.exec_driver_sql("ANALYZE")
        if "use_count" in tables["translation_memory"].c:  # what the writers of uses keep (segment_uses)
            from record_catalogue.memory_store import records_using

            memory = tables["translation_memory"]
            kept: dict[str, Any] = {"use_count": records_using()}
            if "record_realms" in memory.c:  # and their records' realms, types and countries (migration 0016)
                from record_catalogue.memory_store import record_facets

                kept.update(record_facets(connection.dialect.name))
            if "read_count" in memory.c:  # and their records' readers' views and clicks (migration 0017)
                from record_catalogue.memory_store import records_read

                kept["read_count"] = records_read()
            connection.execute(memory.update().where(memory.c.engine == "segment").values(**kept))
        if connection.dialect.name == "sqlite":
            connection.exec_driver_sql("ANALYZE")  # as a long-running catalogue has: plans use statistics
    if catalogue.engine.dialect.name == "postgresql":  # what autovacuum does (index-only scans need it)
        with catalogue.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.exec_driver_sql("VACUUM ANALYZE")
    catalogue.close()
    return {"records": len(records), "segments": len(segments), "uses": len(uses), "events": len(events)}


def server_cpu(postmaster: int | None) -> float:
    """Seconds of CPU the database server's processes (the postmaster's children) have used, read
    from /proc: the server's own work, which the client's clock cannot see. 0 without a server."""
    if postmaster is None:
        return 0.0
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == postmaster:  # ppid
            total += int(fields[11]) + int(fields[12])  # utime + stime
    return total / ticks


def timed(call: Callable[[], object], rounds: int, postmaster: int | None = None) -> tuple[float, float]:
    """Median wall and CPU milliseconds of ``call``. CPU is this process's time plus the database
    server's (PostgreSQL's backends; SQLite works in this process): the work itself, which other
    processes sharing the cores do not stretch as they stretch wall time."""
    call()  # warm-up: caches, prepared plans
    walls, cpus = [], []
    for _ in range(rounds):
        started, cpu, server = time.perf_counter(), time.process_time(), server_cpu(postmaster)
        call()
        walls.append((time.perf_counter() - started) * 1000)
        cpus.append((time.process_time() - cpu + server_cpu(postmaster) - server) * 1000)
    return statistics.median(walls), statistics.median(cpus)


def measure(url: str, rounds: int, postmaster: int | None = None) -> dict[str, tuple[float, float]]:
    """Median milliseconds of one queue page for each variant, and of the baseline read."""
    from record_catalogue.memory_models import TranslationMemoryEntry
    from record_catalogue.store import Catalogue
    from translate.curation import ORDERS, Curation, QueueFilter
    from translate.glossary import Glossary

    catalogue = Catalogue(url)
    curation = Curation(catalogue, None, Glossary.load())

    def baseline() -> None:
        with catalogue.sessions() as session:
            list(session.scalars(select(TranslationMemoryEntry).order_by(TranslationMemoryEntry.id).limit(20)))

    variants: dict[str, QueueFilter] = {
        "machine, most used": QueueFilter(),
        "machine fr, most used": QueueFilter(lang="fr"),
        "machine fr, page 50": QueueFilter(lang="fr", page=50),
        "machine, newest": QueueFilter(order="recent"),
        "machine ABS, most used": QueueFilter(realm="ABS"),
        "machine ABS fr, most used": QueueFilter(realm="ABS", lang="fr"),
        "machine ABS, newest": QueueFilter(realm="ABS", order="recent"),
        "machine absPermit": QueueFilter(schema="absPermit"),  # a record type
        "machine country br": QueueFilter(government="br"),
        "machine ABS + br": QueueFilter(realm="ABS", government="br"),  # two: must hold of one record
        "machine en->fr": QueueFilter(source_lang="en", lang="fr"),
        "machine, text 'forest'": QueueFilter(q="forest"),  # in a fifth of the sentences
        "machine, text '12345'": QueueFilter(q="12345"),  # in one sentence: what a curator's search often is
        "reviewed, newest": QueueFilter(status="reviewed", order="recent"),
        "reviewed ABS": QueueFilter(status="reviewed", realm="ABS"),
        "rejected": QueueFilter(status="rejected"),
        "stale": QueueFilter(status="stale"),
        "failed": QueueFilter(status="failed"),
    }
    if "impact" in ORDERS:
        variants["machine fr, impact"] = QueueFilter(lang="fr", order="impact")
        variants["machine ABS, impact"] = QueueFilter(realm="ABS", order="impact")
    results = {"baseline (20 rows by id)": timed(baseline, rounds, postmaster)}
    for name, wanted in variants.items():
        results[name] = timed(functools.partial(curation.queue, wanted), rounds, postmaster)
    catalogue.close()
    return results


@contextlib.contextmanager
def worktree(ref: str) -> Iterator[Path]:
    path = Path(tempfile.mkdtemp(prefix="chm-bench-queue-"))
    path.rmdir()
    subprocess.run(["git", "worktree", "add", "--detach", str(path), ref], cwd=ROOT, check=True, capture_output=True)
    try:
        yield path
    finally:
        subprocess.run(["git", "worktree", "remove", "--force", str(path)], cwd=ROOT, capture_output=True)
        subprocess.run(["git", "worktree", "prune"], cwd=ROOT, capture_output=True)


def run(sentences: int, rounds: int, kind: str) -> tuple[dict[str, int], dict[str, tuple[float, float]]]:
    """Build and measure on a fresh catalogue: SQLite in a temp dir, or a throwaway PostgreSQL server."""
    scratch = Path(tempfile.mkdtemp(prefix="chm-bench-queue-db-"))
    server = None
    postmaster = None
    try:
        if kind == "postgresql":
            from devservers.postgres import PostgresServer

            server = PostgresServer().start()
            target = server.create_database("bench_queue")
            postmaster = int((server.data_dir / "postmaster.pid").read_text().split()[0])
        else:
            target = f"sqlite:///{scratch / 'catalogue.sqlite3'}"
        built = build(target, sentences)
        return built, measure(target, rounds, postmaster)
    finally:
        if server is not None:
            server.stop()
        shutil.rmtree(scratch, ignore_errors=True)


def report(title: str, built: dict[str, int], results: dict[str, Any], sentences: int) -> None:
    print(
        f"\n{title}: {built['segments']} segments ({sentences} sentences x {len(TARGETS)} languages), "
        f"{built['records']} records, {built['uses']} uses, {built['events']} view events"
    )
    print(f"  {'page of 20':<28} {'wall ms':>9} {'cpu ms':>8} {'wall/baseline':>14}")
    base = results["baseline (20 rows by id)"][0]
    for name, (wall, cpu) in results.items():
        verdict = "" if name.startswith("baseline") else ("  PASS" if wall < GOAL_MS else "  FAIL")
        print(f"  {name:<28} {wall:9.1f} {cpu:8.1f} {wall / base:13.0f}x{verdict}")
    print(f"  (goal: a page in < {GOAL_MS:.0f} ms; cpu: this process's and the database server's CPU time)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sentences", type=int, default=25_000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--catalogue", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--baseline", metavar="REF", help="also run on this commit (git worktree)")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON only")
    args = parser.parse_args()
    built, results = run(args.sentences, args.rounds, args.catalogue)
    if args.json:
        print(json.dumps({"built": built, "results": results}))
        return
    if args.baseline:
        with worktree(args.baseline) as path:
            shutil.copy(Path(__file__), path / "bench" / "curation_queue.py")
            command = [sys.executable, str(path / "bench" / "curation_queue.py"), "--json"]
            command += ["--sentences", str(args.sentences), "--rounds", str(args.rounds), "--catalogue", args.catalogue]
            done = subprocess.run(command, cwd=path, capture_output=True, text=True, check=False)
            if done.returncode != 0:
                sys.exit(f"the baseline run failed:\n{done.stderr}")
            old = json.loads(done.stdout.strip().splitlines()[-1])
            report(f"baseline {args.baseline} ({args.catalogue})", old["built"], old["results"], args.sentences)
    report(f"working tree ({args.catalogue})", built, results, args.sentences)
    # other processes on the cores stretch wall times (not SQLite's CPU time): say how busy they were
    print(f"\nload average at the end: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")


if __name__ == "__main__":
    main()
