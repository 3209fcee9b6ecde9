"""Ingest throughput: the whole pipeline against the raw engine bulk rate, in the same run.

    python bench/ingest.py [--records 50000] [--sample 5000]

Ours: `chm-search ingest`'s pipeline on a generated JSON-lines dump (read, detect, tag entities,
store in SQLite, index, commit), with one worker process per core as the CLI runs it.
Baseline: the very documents our run indexed (read back from its catalogue), written straight
into a fresh Tantivy index with the same schema and analyzers, and committed: what the engine
alone costs. Prints records/s of each and the ratio (goal: ours >= 0.5 of raw).

Then, on a sample of the corpus in one process, what each stage costs per record (CPU ms), so
that the ratio can be read against the machine: the pipeline spreads its stages over the cores
(worker processes parse, detect, tag and prepare rows and documents; one writer process stores
and indexes), the raw baseline is one writer thread, so the ratio a machine can reach grows with
its cores. The writer's own cost, measured in the run, says how far that goes: its main thread
is the one part that cannot be spread.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, NamedTuple

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import tantivy  # noqa: E402

from analyzers.analysis import tantivy_analyzers  # noqa: E402
from analyzers.detect import LanguageDetector  # noqa: E402
from bench.corpus import write_jsonl  # noqa: E402
from ingest.cli import make_tagger  # noqa: E402
from ingest.languages import resolve_languages  # noqa: E402
from ingest.pipeline import Pipeline  # noqa: E402
from ingest.sources.files import read_path  # noqa: E402
from record_catalogue.languages import UN_LANGUAGES  # noqa: E402
from record_catalogue.models import utcnow  # noqa: E402
from record_catalogue.record import Record  # noqa: E402
from record_catalogue.store import Catalogue, Upsert, stored_record  # noqa: E402
from search_index.base import Document  # noqa: E402
from search_index.documents import build_document  # noqa: E402
from search_index.tantivy_backend import TantivyBackend, build_schema, to_tantivy  # noqa: E402


def raw_bulk(docs: list[Document], directory: Path) -> float:
    """Seconds for Tantivy alone to take the documents and commit them."""
    index = tantivy.Index(build_schema(), path=str(directory))
    for name, analyzer in tantivy_analyzers().items():
        index.register_tokenizer(name, analyzer)
    started = time.perf_counter()
    writer = index.writer(heap_size=64_000_000, num_threads=1)
    for doc in docs:
        writer.add_document(to_tantivy(doc))
    writer.commit()
    writer.wait_merging_threads()
    return time.perf_counter() - started


class Run(NamedTuple):
    seconds: float
    stored: int
    documents: list[Document]
    writer_ms: float  # CPU of the writer process per record (all its threads: Python, Tantivy's)
    writer_thread_ms: float  # CPU of its main thread per record


def pipeline(dump: Path, directory: Path) -> Run:
    """Our whole pipeline on the dump: time, records stored, their documents, the writer's CPU."""
    catalogue = Catalogue(f"sqlite:///{directory / 'catalogue.sqlite3'}")
    backend = TantivyBackend(directory / "index")
    detector = LanguageDetector()
    detector.detect("warm up the detector's tables")
    runner = Pipeline(catalogue, backend, detector, UN_LANGUAGES, tagger=make_tagger(UN_LANGUAGES))
    started, cpu, thread = time.perf_counter(), time.process_time(), time.thread_time()
    report = runner.run(read_path(dump, defer=True), workers=os.cpu_count() or 1)
    seconds = time.perf_counter() - started
    cpu, thread = time.process_time() - cpu, time.thread_time() - thread
    backend.close()
    docs = [build_document(row) for row in catalogue.iter_records()]
    catalogue.close()
    per_record = 1000 / max(report.created, 1)
    thread = max(thread, time.get_clock_info("thread_time").resolution)  # never divide by zero
    return Run(seconds, report.created, docs, cpu * per_record, thread * per_record)


WORKER_STAGES = ("read", "detect", "tag", "rows")


def stage_costs(dump: Path, directory: Path, sample: int) -> dict[str, float]:
    """CPU milliseconds per record of each stage, run one after the other in this process."""
    costs: dict[str, float] = {}

    def timed(name: str, work: Callable[[], Any]) -> Any:
        started = time.process_time()
        result = work()
        costs[name] = (time.process_time() - started) * 1000 / sample
        return result

    lines = dump.read_text(encoding="utf-8").splitlines()[:sample]
    part = directory / "sample.jsonl"
    part.write_text("\n".join(lines) + "\n", encoding="utf-8")
    records: list[Record] = timed("read", lambda: _read(part))
    detector = LanguageDetector()
    detector.detect("warm up")
    resolved = timed("detect", lambda: [resolve_languages(r, detector, UN_LANGUAGES) for r in records])
    tagger = make_tagger(UN_LANGUAGES)
    # spaCy pipelines are built on first use of each language: build them before timing
    tagger.mentions_many([(records[0], [("title", lang, "Brazil") for lang in UN_LANGUAGES])])
    entities = timed(
        "tag",
        lambda: tagger.mentions_many(
            [
                (r, [(t.field, t.language, t.text) for t in found.texts])
                for r, found in zip(records, resolved, strict=True)
            ]
        ),
    )
    upserts = [
        Upsert(r, found.texts, found.original_language, mentions)
        for r, found, mentions in zip(records, resolved, entities, strict=True)
    ]
    now = utcnow()
    catalogue = Catalogue(f"sqlite:///{directory / 'sample.sqlite3'}")
    rows, documents = timed(
        "rows",
        lambda: (
            [catalogue.rows.new_record(u, "bench", now) for u in upserts],
            [build_document(stored_record(u, now)) for u in upserts],
        ),
    )
    timed("store", lambda: [catalogue.store_batch(rows[start : start + 500], []) for start in range(0, sample, 500)])
    backend = TantivyBackend(directory / "sample-index")
    backend.ensure_index()

    def index() -> None:
        backend.bulk(documents)
        backend.refresh()

    timed("index", index)
    backend.close()
    catalogue.close()
    return costs


STAGE_NAMES = {
    "read": "read (parse JSON, strip HTML, hash)",
    "detect": "detect languages",
    "tag": "tag entities (spaCy)",
    "rows": "rows to insert, document to index",
    "store": "store (SQLite inserts, commit)",
    "index": "index (add to Tantivy, commit)",
}


def _read(path: Path) -> list[Record]:
    records = [item for item in read_path(path) if isinstance(item, Record)]
    for record in records:
        record.content_hash()
    return records


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--records", type=int, default=50_000)
    parser.add_argument("--sample", type=int, default=5_000, help="records for the per-stage breakdown")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        dump = write_jsonl(work / "corpus.jsonl", args.records)
        for name in ("raw", "ours", "stages"):
            (work / name).mkdir()
        sample = min(args.sample, args.records)
        # Stages first, while this process holds little: with the run's documents in memory,
        # every garbage collection walks them, and allocation-heavy stages (tagging) would pay
        # for it as no worker does. The least of three runs: one varies by half on a shared machine.
        runs = []
        for repeat in range(3):
            (work / "stages" / str(repeat)).mkdir()
            runs.append(stage_costs(dump, work / "stages" / str(repeat), sample))
        costs = {name: min(run[name] for run in runs) for name in runs[0]}
        ours = pipeline(dump, work / "ours")
        raw_seconds = raw_bulk(ours.documents, work / "raw")
    raw_rate = len(ours.documents) / raw_seconds
    ours_rate = ours.stored / ours.seconds
    cores = os.cpu_count() or 1
    print(f"records: {args.records:,} generated (bench/corpus.py), {ours.stored:,} stored and indexed by the pipeline")
    print(f"raw Tantivy bulk (the same documents, add + commit): {raw_rate:8.0f} records/s ({raw_seconds:.1f} s)")
    print(f"chm-search ingest ({cores} worker processes):       {ours_rate:8.0f} records/s ({ours.seconds:.1f} s)")
    print(f"ratio ours/raw: {ours_rate / raw_rate:.2f} (goal >= 0.5)")
    print(f"CPU per record by stage (one process, {sample:,} records, least of 3 runs):")
    for name, cost in costs.items():
        side = "worker" if name in WORKER_STAGES else "writer"
        print(f"  {side} {STAGE_NAMES[name]:38s} {cost:6.3f} ms")
    workers = sum(cost for name, cost in costs.items() if name in WORKER_STAGES)
    total = workers + ours.writer_ms
    print(f"  worker stages {workers:.3f} ms; raw engine {1000 / raw_rate:.3f} ms")
    print(
        f"the writer process in the run: {ours.writer_ms:.3f} ms CPU per record, "
        f"{ours.writer_thread_ms:.3f} ms of it in its main thread"
    )
    print(
        f"ceiling on {cores} cores if every core were busy all the time: {cores * 1000 / total:.0f} records/s, "
        f"ratio {cores * 1000 / total / raw_rate:.2f}"
    )
    goal = raw_rate / 2
    print(
        f"the goal ({goal:.0f} records/s) needs about {goal * total / 1000:.1f} cores of work; the writer's main "
        f"thread alone allows up to {1000 / ours.writer_thread_ms:.0f} records/s, "
        f"ratio {1000 / ours.writer_thread_ms / raw_rate:.2f}"
    )


if __name__ == "__main__":
    main()
