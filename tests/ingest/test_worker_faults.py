"""A worker process that dies on a record costs that record only (issue 13: no input stops a run).

The pool, its worker processes, the catalogue and the index are the real ones; the one thing
replaced is what a worker does with a batch: the real preparation, except that a line holding
KILL-WORKER ends the worker process on the spot (``os._exit``), as a crash in a library or the
OOM killer would. The batch holding it breaks the pool; prepared again, it breaks the new pool
too; one record at a time, only that record is lost, and reported.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from unittest import mock

import ingest.pipeline
from analyzers.detect import LanguageDetector
from ingest.pipeline import Pipeline
from ingest.prepare import WORKER_DIED, PreparePool, _prepare_in_worker, _ShippedBatch
from ingest.sources import SourceItem, Unparsed
from ingest.sources.files import read_path
from record_catalogue.settings import Settings
from record_catalogue.store import Catalogue
from search_index.tantivy_backend import TantivyBackend

MARK = "KILL-WORKER"


def prepare_or_die(items: list[SourceItem]) -> _ShippedBatch:
    if any(isinstance(item, Unparsed) and MARK in item.line for item in items):
        os._exit(70)
    return _prepare_in_worker(items)


class DyingPool(PreparePool):
    task = staticmethod(prepare_or_die)


def record(n: int, title: str) -> str:
    header = {"identifier": f"W-{n}", "schema": "absPermit"}
    return json.dumps({"header": header, "title": {"en": title}, "government": {"identifier": "pe"}})


def test_a_record_that_kills_its_worker_is_that_records_error(
    settings: Settings, catalogue: Catalogue, tmp_path: Path
) -> None:
    lines = [record(n, f"Permit for genetic resources number {n}") for n in range(40)]
    lines[23] = record(23, f"Permit {MARK}")
    dump = tmp_path / "dump.jsonl"
    dump.write_text("\n".join(lines) + "\n")
    backend = TantivyBackend(settings.index_dir)
    pipe = Pipeline(catalogue, backend, LanguageDetector(), settings.languages, batch_size=10)
    with mock.patch.object(ingest.pipeline, "PreparePool", DyingPool):
        report = pipe.run(read_path(dump, defer=True), run_id="r1", workers=2)
    assert (report.read, report.created, report.errors) == (40, 39, 1)
    [error] = catalogue.errors(run_id="r1")
    assert (error.position, error.reason) == ("line 24", WORKER_DIED)
    assert catalogue.get("W-23") is None and catalogue.get("W-24") is not None
    assert pipe.backend.count() == 39
