"""Ingest throughput: the whole pipeline against the raw engine bulk rate, in the same run.

    python bench/ingest.py [--records 50000] [--sample 5000]

Ours: `chm-search ingest`'s pipeline on a generated JSON-lines dump (read, detect, tag entities,
store in SQLite, index, commit), with one worker process per core as the CLI runs it.
Baseline: the very documents our run indexed (read back from its catalogue), written straight
into a fresh Tantivy index with the same schema and analyzers, and committed: what the engine
alone costs. Prints records/s of each and the ratio (goal: ours >= 0.5 of raw).

Then, on a sample of the corpus in one process, what each stage costs per record (CPU ms), so
that the ratio can be read against the machine: the pipeline spreads its stages over the cores,
the raw baseline is one writer thread, so the ratio a machine can reach grows with its cores.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

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
from record_catalogue.record import Record  # noqa: E402
from record_catalogue.store import Catalogue, Upsert  # noqa: E402
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


def pipeline(dump: Path, directory: Path) -> tuple[float, int, list[Document]]:
    """Seconds for our whole pipeline on the dump, how many records it stored, and its documents."""
    catalogue = Catalogue(f"sqlite:///{directory / 'catalogue.sqlite3'}")
    backend = TantivyBackend(directory / "index")
    detector = LanguageDetector()
    detector.detect("warm up the detector's tables")
    runner = Pipeline(catalogue, backend, detector, UN_LANGUAGES, tagger=make_tagger(UN_LANGUAGES))
    started = time.perf_counter()
    report = runner.run(read_path(dump, defer=True), workers=os.cpu_count() or 1)
    seconds = time.perf_counter() - started
    backend.close()
    docs = [build_document(row) for row in catalogue.iter_records()]
    catalogue.close()
    return seconds, report.created, docs


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
    records: list[Record] = timed("read (parse JSON, strip HTML, hash)", lambda: _read(part))
    detector = LanguageDetector()
    detector.detect("warm up")
    resolved = timed("detect languages", lambda: [resolve_languages(r, detector, UN_LANGUAGES) for r in records])
    tagger = make_tagger(UN_LANGUAGES)
    # spaCy pipelines are built on first use of each language: build them before timing
    tagger.mentions_many([(records[0], [("title", lang, "Brazil") for lang in UN_LANGUAGES])])
    entities = timed(
        "tag entities (spaCy)",
        lambda: tagger.mentions_many(
            [
                (r, [(t.field, t.language, t.text) for t in found.texts])
                for r, found in zip(records, resolved, strict=True)
            ]
        ),
    )
    catalogue = Catalogue(f"sqlite:///{directory / 'sample.sqlite3'}")
    upserts = [
        Upsert(r, found.texts, found.original_language, mentions)
        for r, found, mentions in zip(records, resolved, entities, strict=True)
    ]
    stored = timed(
        "store (SQLite)",
        lambda: [
            row for start in range(0, sample, 500) for _, _, row in catalogue.upsert_many(upserts[start : start + 500])
        ],
    )
    backend = TantivyBackend(directory / "sample-index")
    backend.ensure_index()

    def index() -> None:
        backend.bulk(build_document(row) for row in stored)
        backend.refresh()

    timed("index (build document, add, commit)", index)
    backend.close()
    catalogue.close()
    return costs


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
        ours_seconds, stored, docs = pipeline(dump, work / "ours")
        raw_seconds = raw_bulk(docs, work / "raw")
        costs = stage_costs(dump, work / "stages", min(args.sample, args.records))
    raw_rate = len(docs) / raw_seconds
    ours_rate = stored / ours_seconds
    cores = os.cpu_count() or 1
    print(f"records: {args.records:,} generated (bench/corpus.py), {stored:,} stored and indexed by the pipeline")
    print(f"raw Tantivy bulk (the same documents, add + commit): {raw_rate:8.0f} records/s ({raw_seconds:.1f} s)")
    print(f"chm-search ingest ({cores} worker processes):       {ours_rate:8.0f} records/s ({ours_seconds:.1f} s)")
    print(f"ratio ours/raw: {ours_rate / raw_rate:.2f} (goal >= 0.5)")
    total = sum(costs.values())
    print(f"CPU per record by stage (one process, {min(args.sample, args.records):,} records):")
    for name, cost in costs.items():
        print(f"  {name:40s} {cost:6.3f} ms  ({cost / total:4.0%})")
    print(f"  {'all stages':40s} {total:6.3f} ms; raw engine {1000 / raw_rate:.3f} ms")
    print(
        f"ceiling on {cores} cores if every core were busy all the time: {cores * 1000 / total:.0f} records/s, "
        f"ratio {cores * 1000 / total / raw_rate:.2f}"
    )


if __name__ == "__main__":
    main()
