"""Ingest throughput: the whole pipeline against the raw engine bulk rate, in the same run.

    python bench/ingest.py [--records 50000]

Baseline: the same records, already shaped as index documents (languages known, nothing
detected, nothing stored), written straight into a Tantivy index with its per-language
analyzers and committed — what the engine alone costs. Ours: `chm-search ingest` on the JSON-lines
dump (read, detect, tag, store in SQLite, index, commit). Prints records/s of each and the ratio
(goal: ours ≥ 0.5 of raw).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import tantivy  # noqa: E402

from analyzers.analysis import tantivy_analyzers  # noqa: E402
from analyzers.detect import LanguageDetector  # noqa: E402
from bench.corpus import write_jsonl  # noqa: E402
from ingest.html_text import html_to_text  # noqa: E402
from ingest.pipeline import Pipeline  # noqa: E402
from ingest.sources.files import read_path  # noqa: E402
from record_catalogue.languages import UN_LANGUAGES  # noqa: E402
from record_catalogue.store import Catalogue  # noqa: E402
from search_index.tantivy_backend import TantivyBackend, build_schema, to_tantivy  # noqa: E402


def index_documents(dump: Path) -> list[dict[str, object]]:
    """The dump as index documents, languages taken from the source (the baseline's input)."""
    docs = []
    for line in dump.read_text(encoding="utf-8").splitlines():
        record = json.loads(line)
        langs = record["header"]["languages"]
        docs.append(
            {
                "id": record["header"]["identifier"],
                "realm": record["header"]["realm"],
                "schema": record["header"]["schema"],
                "government": record["government"]["identifier"],
                "original_language": langs[0],
                "languages": langs,
                "title": record["title"],
                "summary": record["summary"],
                "text": {k: html_to_text(v) for k, v in record["relevantInformation"].items()},
                "status": {lang: ("original" if lang in langs else "pending") for lang in UN_LANGUAGES},
                "names": record["header"]["identifier"] + " " + " ".join(record["title"].values()),
                "entities": [],
                "date": record["updatedOn"],
                "year": int(record["updatedOn"][:4]),
                "url": None,
                "updated_at": record["updatedOn"],
            }
        )
    return docs


def raw_bulk(docs: list[dict[str, object]], directory: Path) -> float:
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


def pipeline(dump: Path, directory: Path, tagging: bool = True) -> tuple[float, int]:
    """Seconds for our whole pipeline on the dump, and how many records it stored."""
    catalogue = Catalogue(f"sqlite:///{directory / 'catalogue.sqlite3'}")
    backend = TantivyBackend(directory / "index")
    detector = LanguageDetector()
    detector.detect("warm up the detector's tables")
    from ingest.cli import make_tagger

    tagger = make_tagger(UN_LANGUAGES) if tagging else None
    runner = Pipeline(catalogue, backend, detector, UN_LANGUAGES, tagger=tagger)
    started = time.perf_counter()
    report = runner.run(read_path(dump), workers=(os.cpu_count() or 1) if tagging else 0)
    seconds = time.perf_counter() - started
    backend.close()
    return seconds, report.created


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--records", type=int, default=50_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        dump = write_jsonl(work / "corpus.jsonl", args.records)
        docs = index_documents(dump)
        for name in ("raw", "ours", "untagged"):
            (work / name).mkdir()
        raw_seconds = raw_bulk(docs, work / "raw")
        ours_seconds, stored = pipeline(dump, work / "ours")
        untagged_seconds, _ = pipeline(dump, work / "untagged", tagging=False)
    raw_rate = args.records / raw_seconds
    ours_rate = stored / ours_seconds
    print(f"records: {args.records:,} generated (bench/corpus.py), {stored:,} stored by the pipeline")
    print(f"raw Tantivy bulk (documents prepared, add + commit): {raw_rate:8.0f} records/s ({raw_seconds:.1f} s)")
    print(f"chm-search ingest (read, detect, tag, store, index): {ours_rate:8.0f} records/s ({ours_seconds:.1f} s)")
    print(f"ratio ours/raw: {ours_rate / raw_rate:.2f} (goal >= 0.5)")
    untagged_rate = stored / untagged_seconds
    print(
        f"breakdown: without entity tagging (one process) {untagged_rate:.0f} records/s, "
        f"ratio {untagged_rate / raw_rate:.2f}: spaCy tagging is most of the difference"
    )


if __name__ == "__main__":
    main()
