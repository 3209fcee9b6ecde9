"""Ingest: the whole pipeline's CPU per record against the library calls it must make, and its scaling.

    python bench/ingest.py [--engine tantivy|opensearch] [--catalogue sqlite|postgresql] [--records 20000]
    python bench/ingest.py --engine opensearch [--es-url http://127.0.0.1:9200]

On a generated JSON-lines dump (devtools/corpus.py: three realms, six languages), in one run:

1. **The whole pipeline** (``ingest.pipeline.Pipeline.run``, as ``chm-search ingest`` runs it: read,
   parse, screen, detect, tag entities, store, index, commit), into a fresh catalogue and index,
   with 1 worker (``--workers 1``: everything in this process) and with 2 (two worker processes
   prepare batches, this process stores and indexes). Start-up is not counted: the spaCy pipelines
   are built before the clock starts (1 worker), or the clock starts once both worker processes
   are up (2 workers); how long start-up took is printed beside. ``--rounds`` pairs (default 2),
   alternating which goes first. Prints records/s of each, the ratio 2 workers / 1 worker per
   round and over all rounds (goal >= 1.8), how many cores the rest of the machine used during
   each run, and the CPU per record of all our processes (this one, all threads, and the
   workers, from /proc), with the machine's load average at the start and end of each run, so
   that a reader can judge what the other work on the machine left to us; and, since CPU time is
   what load moves least, the speed-up that CPU alone allows 2 workers on idle cores when the
   1-worker run is CPU-bound, from the CPU each run cost.
2. **The library calls the pipeline must make, each measured alone** on the same records, with
   everything not part of the call prepared beforehand: reading (``json.loads`` of each line of
   the dump, ``hashlib.sha256`` of each record's content, the bytes made beforehand), the language
   detector (``LanguageDetector.detect`` on every text version), spaCy (``nlp.pipe`` and the
   gazetteer's two ``PhraseMatcher``s on the texts the tagger feeds it), the catalogue driver
   (``sqlite3`` ``executemany`` of every row the pipeline inserts: records, texts, entities, audit
   entries and document keys, a commit per 500-record batch; on PostgreSQL, psycopg ``COPY`` of
   the same rows), and the engine (Tantivy: ``delete_documents_by_term`` + ``add_document`` of the
   same documents, its upsert, made into Tantivy documents before the clock starts, a commit every
   ``COMMIT_EVERY`` and at the end; OpenSearch: the same documents as NDJSON, POSTed to ``_bulk``
   in 500-document chunks with ``http.client``, a refresh every ``COMMIT_EVERY`` and at the end).
   Their sum is the floor; the goal is our CPU per record <= 1.25x that sum.
3. Beside each call, the same stage of our code, run in this process on the same records, so that
   the gap can be placed; and the raw engine bulk rate (information: what the engine alone takes).

CPU is of our processes only (user + system, every thread). An OpenSearch node or a PostgreSQL
server is another process: its CPU, read from /proc, is printed beside for the pipeline and for the
raw calls (it does the same work in both, less or more), never added in. A node and a database
server are started here (devservers/), unless ``--es-url`` names a node.
"""

from __future__ import annotations

import argparse
import functools
import gc
import hashlib
import http.client
import json
import os
import shutil
import sqlite3
import sys
import tempfile
import time
import urllib.parse
from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple
from unittest import mock

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
# The pipeline's worker processes import bench.procs (their initialiser): they start from
# multiprocessing's fork server, which does not take this process's sys.path.
os.environ["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH")) if p)

import ingest.pipeline  # noqa: E402
from analyzers.detect import LanguageDetector  # noqa: E402
from bench import procs  # noqa: E402
from devtools.corpus import index_documents, write_jsonl  # noqa: E402
from ingest.cli import make_tagger  # noqa: E402
from ingest.languages import ResolvedLanguages, resolve_languages  # noqa: E402
from ingest.pipeline import BATCH_SIZE, COMMIT_EVERY, Pipeline  # noqa: E402
from ingest.prepare import PreparePool  # noqa: E402
from ingest.sources.files import read_path  # noqa: E402
from record_catalogue.languages import UN_LANGUAGES  # noqa: E402
from record_catalogue.models import AuditEntry, DocumentKey, FieldText, RecordEntity, RecordRow, utcnow  # noqa: E402
from record_catalogue.record import Record  # noqa: E402
from record_catalogue.store import (  # noqa: E402
    _AUDIT_COLUMNS,
    _ENTITY_COLUMNS,
    _RECORD_COLUMNS,
    _TEXT_COLUMNS,
    Catalogue,
    NewRecord,
    Upsert,
    _table,
    stored_record,
)
from search_index.base import Document, Indexable, IndexDocument, SearchBackend  # noqa: E402
from search_index.documents import build_document  # noqa: E402

_KEY_COLUMNS = ("record_id", "key")  # as store._insert_records inserts a new record's document keys


class TableSpec(NamedTuple):
    name: str
    columns: tuple[str, ...]
    json_positions: list[int]  # columns of type JSON

    @property
    def quoted(self) -> str:
        """The column names, quoted ("end" is a keyword)."""
        return ", ".join(f'"{name}"' for name in self.columns)


def table_specs() -> list[TableSpec]:
    """The five tables a new record's rows go to, with the columns the pipeline's rows fill, in
    the order ``NewRecord`` holds them: records, field texts, entities, audit, document keys."""
    from sqlalchemy import JSON

    out = []
    for model, columns in (
        (RecordRow, _RECORD_COLUMNS),
        (FieldText, _TEXT_COLUMNS),
        (RecordEntity, _ENTITY_COLUMNS),
        (AuditEntry, _AUDIT_COLUMNS),
        (DocumentKey, _KEY_COLUMNS),
    ):
        table = _table(model)
        positions = [n for n, name in enumerate(columns) if isinstance(table.c[name].type, JSON)]
        out.append(TableSpec(table.name, tuple(columns), positions))
    return out


def table_rows(batch: Sequence[NewRecord]) -> list[list[tuple[Any, ...]]]:
    """A batch of new records as the rows of each table, in ``table_specs`` order."""
    return [
        [new.record_row for new in batch],
        [row for new in batch for row in new.text_rows],
        [row for new in batch for row in new.entity_rows],
        [new.audit_row for new in batch],
        [row for new in batch for row in new.key_rows],
    ]


def batches(items: Sequence[Any], size: int = BATCH_SIZE) -> Iterator[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def whole_documents(docs: Sequence[Document]) -> list[IndexDocument]:
    """The documents as the raw calls index them: the bench's records are never grouped as
    duplicates, so none is a marker (which the pipeline turns into a delete, and the raw calls
    do not send)."""
    whole: list[IndexDocument] = []
    for doc in docs:
        if "merged_into" in doc:
            raise ValueError(f"{doc['id']} is a duplicate group's marker: the raw calls index whole documents")
        whole.append(doc)
    return whole


# -- measuring -----------------------------------------------------------------------------------


Servers = dict[str, int]  # name -> pid of the servers beside us (an OpenSearch node, PostgreSQL)


@dataclass
class Cost:
    """What one measured piece of work took: wall seconds, our CPU seconds, each server's CPU seconds."""

    wall: float = 0.0
    cpu: float = 0.0
    servers: dict[str, float] = field(default_factory=dict)


def servers_cpu(servers: Servers) -> dict[str, float]:
    return {name: procs.tree_cpu(pid) for name, pid in servers.items()}


@contextmanager
def measured(servers: Servers | None = None) -> Iterator[Cost]:
    """Time the block: wall clock, this process's CPU (all threads) and the servers' CPU."""
    cost = Cost()
    gc.collect()
    before = servers_cpu(servers or {})
    wall, cpu = time.perf_counter(), time.process_time()
    yield cost
    cost.wall, cost.cpu = time.perf_counter() - wall, time.process_time() - cpu
    after = servers_cpu(servers or {})
    cost.servers = {name: after[name] - before[name] for name in before}


def per_record(seconds: float | None, count: int) -> float | None:
    return None if seconds is None else seconds * 1000 / count


# -- engines ---------------------------------------------------------------------------------------


class Engine:
    """A fresh index per use, and the engine's raw bulk of ready documents."""

    name = ""
    raw_call = ""
    servers: Servers  # set by each kind

    def backend(self, label: str) -> SearchBackend:
        raise NotImplementedError

    def drop(self, backend: SearchBackend) -> None:
        backend.close()

    def raw_bulk(self, docs: Sequence[IndexDocument], label: str) -> Cost:
        raise NotImplementedError

    def warm_up(self, docs: Sequence[IndexDocument]) -> None:
        """Bring a server that compiles as it runs (a JVM) to speed before anything is measured."""


class TantivyEngine(Engine):
    name = "Tantivy (embedded)"
    raw_call = "Tantivy delete + add_document, commit"

    def __init__(self, tmp: Path) -> None:
        self.tmp = tmp
        self.servers = {}

    def backend(self, label: str) -> SearchBackend:
        from search_index.tantivy_backend import TantivyBackend

        return TantivyBackend(self.tmp / label / "index")

    def raw_bulk(self, docs: Sequence[IndexDocument], label: str) -> Cost:
        """Tantivy alone: the same documents into an index with the same schema and analyzers, each
        as the pipeline must send it (delete by id, then add: Tantivy's upsert), committed every
        ``COMMIT_EVERY`` documents and at the end, as the pipeline commits."""
        import tantivy

        from analyzers.analysis import tantivy_analyzers
        from search_index.tantivy_backend import WRITER_HEAP, build_schema, to_tantivy

        directory = self.tmp / label
        directory.mkdir(parents=True)
        index = tantivy.Index(build_schema(), path=str(directory))
        for name, analyzer in tantivy_analyzers().items():
            index.register_tokenizer(name, analyzer)
        # The Tantivy documents are made before the clock starts: making them (Arabic analysed in
        # Python, the stored JSON) is our code, counted in our index stage, not the library's.
        prepared = [(str(doc["id"]), to_tantivy(doc)) for doc in docs]
        with measured() as cost:
            for chunk in batches(prepared, COMMIT_EVERY):
                writer = index.writer(heap_size=WRITER_HEAP, num_threads=1)
                for doc_id, tdoc in chunk:
                    writer.delete_documents_by_term("id", doc_id)
                    writer.add_document(tdoc)
                writer.commit()
                writer.wait_merging_threads()
        return cost


class OpenSearchEngine(Engine):
    name = "OpenSearch"
    raw_call = "_bulk over http.client, refresh"

    def __init__(self, url: str, tmp: Path, server_pid: int | None) -> None:
        self.url = url.rstrip("/")
        self.tmp = tmp
        self.servers = {"OpenSearch node": server_pid} if server_pid else {}
        parts = urllib.parse.urlsplit(self.url)
        self.host, self.port = parts.hostname or "127.0.0.1", parts.port or 9200

    def backend(self, label: str) -> SearchBackend:
        from record_catalogue.settings import load_settings
        from search_index.elastic.backend import ElasticBackend

        settings = load_settings(
            es_url=self.url, es_flavour="opensearch", index_name=f"chm-bench-{label}-{os.getpid()}", data_dir=self.tmp
        )
        return ElasticBackend(settings)

    def drop(self, backend: SearchBackend) -> None:
        try:
            backend.destroy()
        finally:
            backend.close()

    def warm_up(self, docs: Sequence[IndexDocument]) -> None:
        started = time.perf_counter()
        self.raw_bulk(docs, "warm-up")
        seconds = time.perf_counter() - started
        print(f"OpenSearch warmed up: {len(docs):,} documents indexed (not measured) in {seconds:.0f} s", flush=True)

    def raw_bulk(self, docs: Sequence[IndexDocument], label: str) -> Cost:
        """The same documents as NDJSON, POSTed to ``_bulk`` in chunks of 500, a refresh every
        ``COMMIT_EVERY`` documents and at the end (as the pipeline refreshes): what a client that
        does nothing else must do. The index is made by our backend (same mapping)."""
        import orjson

        backend = self.backend(label)
        backend.ensure_index()
        target = backend.current_version()
        connection = http.client.HTTPConnection(self.host, self.port, timeout=120)
        headers = {"content-type": "application/x-ndjson"}
        try:
            with measured(self.servers) as cost:
                sent = 0
                for chunk in batches(docs, backend.bulk_chunk_size):
                    body = b"".join(
                        orjson.dumps({"index": {"_index": target, "_id": doc["id"]}})
                        + b"\n"
                        + orjson.dumps(doc)
                        + b"\n"
                        for doc in chunk
                    )
                    connection.request("POST", "/_bulk", body=body, headers=headers)
                    response = connection.getresponse()
                    answer = orjson.loads(response.read())
                    if response.status != 200 or answer.get("errors"):
                        raise RuntimeError(f"raw _bulk failed: HTTP {response.status}")
                    sent += len(chunk)
                    if sent % COMMIT_EVERY == 0 and sent < len(docs):
                        connection.request("POST", f"/{target}/_refresh")
                        connection.getresponse().read()
                connection.request("POST", f"/{target}/_refresh")
                response = connection.getresponse()
                response.read()
        finally:
            connection.close()
            self.drop(backend)
        return cost


@contextmanager
def open_engine(args: argparse.Namespace, tmp: Path) -> Iterator[Engine]:
    if args.engine == "tantivy":
        yield TantivyEngine(tmp)
        return
    if args.es_url:
        yield OpenSearchEngine(args.es_url, tmp, None)
        return
    from devservers.opensearch import start_cluster

    started = time.perf_counter()
    cluster = start_cluster(tmp / "opensearch", nodes=1, heap=args.heap, fast_start=False)
    try:
        print(f"OpenSearch node started in {time.perf_counter() - started:.0f} s (heap {args.heap})", flush=True)
        yield OpenSearchEngine(cluster.url, tmp, cluster.pid(0))
    finally:
        cluster.stop()


# -- catalogues ------------------------------------------------------------------------------------


class CatalogueKind:
    """A fresh catalogue database per use, and the driver's raw writes of ready rows."""

    name = ""
    raw_call = ""
    servers: Servers  # set by each kind

    def new_dsn(self, label: str) -> str:
        raise NotImplementedError

    def raw_insert(self, rows: list[NewRecord], label: str) -> Cost:
        raise NotImplementedError


class SqliteCatalogues(CatalogueKind):
    name = "SQLite"
    raw_call = "sqlite3 executemany + commit"

    def __init__(self, tmp: Path) -> None:
        self.tmp = tmp
        self.servers = {}

    def new_dsn(self, label: str) -> str:
        return f"sqlite:///{self.tmp / f'{label}.sqlite3'}"

    def raw_insert(self, rows: list[NewRecord], label: str) -> Cost:
        """sqlite3 alone: the rows the pipeline makes, one executemany per table and a commit per batch,
        into a migrated catalogue, with the pragmas the catalogue sets."""
        dsn = self.new_dsn(label)
        Catalogue(dsn).close()
        connection = sqlite3.connect(str(self.tmp / f"{label}.sqlite3"), timeout=30)
        for pragma in ("journal_mode=WAL", "foreign_keys=ON", "synchronous=NORMAL"):
            connection.execute(f"PRAGMA {pragma}")
        statements = [
            f"INSERT INTO {spec.name} ({spec.quoted}) VALUES ({', '.join('?' for _ in spec.columns)})"
            for spec in table_specs()
        ]
        prepared = [table_rows(batch) for batch in batches(rows)]
        try:
            with measured() as cost:
                for tables in prepared:
                    connection.execute("BEGIN")
                    for statement, values in zip(statements, tables, strict=True):
                        connection.executemany(statement, values)
                    connection.commit()
        finally:
            connection.close()
        return cost


class PostgresCatalogues(CatalogueKind):
    name = "PostgreSQL"
    raw_call = "psycopg COPY + commit"

    def __init__(self, tmp: Path) -> None:
        from devservers.postgres import PostgresServer, TemplateDatabases

        self.server = PostgresServer().start()  # in the system temp dir: as root, its owner must reach it
        self.templates = TemplateDatabases(self.server)
        self.servers = {"PostgreSQL server": int((self.server.data_dir / "postmaster.pid").read_text().split()[0])}
        self.version = self.server.bindir.parent.name

    def new_dsn(self, label: str) -> str:
        return self.templates.create(label.replace("-", "_"))[1]

    def raw_insert(self, rows: list[NewRecord], label: str) -> Cost:
        """psycopg alone: COPY of the rows the pipeline makes into each table, a commit per batch."""
        import psycopg
        from psycopg.types.json import Json, Jsonb
        from sqlalchemy import make_url

        dsn = self.new_dsn(label)
        conninfo = make_url(dsn).set(drivername="postgresql").render_as_string(hide_password=False)
        specs = table_specs()
        statements = [f"COPY {spec.name} ({spec.quoted}) FROM STDIN" for spec in specs]

        def adapt(row: tuple[Any, ...], positions: list[int]) -> tuple[Any, ...]:
            """JSON values marked as such for psycopg (serialised as it copies: timed), unless the
            catalogue's row encoder has marked them already."""
            if not positions:
                return row
            values = list(row)
            for n in positions:
                if not isinstance(values[n], Json | Jsonb):
                    values[n] = Json(values[n])
            return tuple(values)

        # The rows as psycopg takes them (JSON columns marked), made before the clock starts.
        prepared = [
            [
                [adapt(row, spec.json_positions) for row in values]
                for spec, values in zip(specs, table_rows(batch), strict=True)
            ]
            for batch in batches(rows)
        ]
        with psycopg.connect(conninfo) as connection, measured(self.servers) as cost:
            for tables in prepared:
                with connection.cursor() as cursor:
                    for statement, copied in zip(statements, tables, strict=True):
                        with cursor.copy(statement) as copy:
                            for row in copied:
                                copy.write_row(row)
                connection.commit()
        return cost

    def close(self) -> None:
        self.server.stop()


@contextmanager
def open_catalogues(args: argparse.Namespace, tmp: Path) -> Iterator[CatalogueKind]:
    if args.catalogue == "sqlite":
        yield SqliteCatalogues(tmp)
        return
    started = time.perf_counter()
    catalogues = PostgresCatalogues(tmp)
    try:
        print(
            f"PostgreSQL {catalogues.version} started in {time.perf_counter() - started:.0f} s (durability off, "
            "as devservers/postgres.py runs it)",
            flush=True,
        )
        yield catalogues
    finally:
        catalogues.close()


# -- the whole pipeline ------------------------------------------------------------------------------


class PipelineRun(NamedTuple):
    workers: int
    stored: int
    seconds: float  # wall, start-up excluded
    startup: float  # wall seconds of start-up (spaCy pipelines, worker processes), not counted
    writer_cpu: float  # this process, every thread
    main_cpu: float  # this process's main thread (the rest: Tantivy's indexing and merging threads)
    workers_cpu: float  # the worker processes, their start-up excluded
    servers_cpu: dict[str, float]
    others_cpu: float  # CPU seconds the rest of the machine used meanwhile (other work, steal)
    load: tuple[float, float]  # the machine's 1-minute load average when the run started and ended

    @property
    def rate(self) -> float:
        return self.stored / self.seconds

    @property
    def cpu_ms(self) -> float:
        return (self.writer_cpu + self.workers_cpu) * 1000 / self.stored

    @property
    def main_ms(self) -> float:
        return self.main_cpu * 1000 / self.stored

    @property
    def servers_ms(self) -> float:
        return sum(self.servers_cpu.values()) * 1000 / self.stored


def run_pipeline(
    dump: Path, workers: int, engine: Engine, catalogues: CatalogueKind, expected: int, round_number: int
) -> PipelineRun:
    """``Pipeline.run`` on the dump with ``workers`` (1: in this process), into a fresh catalogue and index."""
    label = f"w{workers}-r{round_number}"
    catalogue = Catalogue(catalogues.new_dsn(label))
    backend = engine.backend(label)
    servers = {**engine.servers, **catalogues.servers}
    probe = tempfile.mkdtemp(prefix="chm-bench-workers-")
    marks: dict[str, Any] = {}

    class MeasuredPool(PreparePool):
        """ingest's pool, with workers that note their start-up CPU; returns once they are all up."""

        initializer = staticmethod(functools.partial(procs.init_worker, probe))

        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            count = self.workers
            waits = [self.executor.submit(procs.wait_for_workers, probe, count) for _ in range(count)]
            for wait in waits:
                wait.result()
            marks["ready"] = (
                time.perf_counter(),
                time.process_time(),
                time.thread_time(),
                servers_cpu(servers),
                procs.machine_busy(),
                os.getloadavg()[0],
            )

        def close(self) -> None:
            workers_cpu = {pid: procs.process_cpu(pid) - init for pid, init in procs.started_workers(probe).items()}
            marks["workers"] = sum(workers_cpu.values())
            super().close()

    detector = LanguageDetector(UN_LANGUAGES)
    detector.detect("warm up the detector's tables")
    tagger = make_tagger(UN_LANGUAGES)
    started = time.perf_counter()
    runner = Pipeline(catalogue, backend, detector, UN_LANGUAGES, tagger=tagger)
    if workers <= 1:
        runner.settle()  # what chm-search ingest does before a long in-process run; not counted
    try:
        gc.collect()
        startup = time.perf_counter() - started
        with mock.patch.object(ingest.pipeline, "PreparePool", MeasuredPool):
            wall, cpu, main, server = time.perf_counter(), time.process_time(), time.thread_time(), servers_cpu(servers)
            busy = procs.machine_busy()
            load = os.getloadavg()[0]
            report = runner.run(read_path(dump, defer=True), workers=workers)
            end_wall, end_cpu, end_main = time.perf_counter(), time.process_time(), time.thread_time()
            end_server = servers_cpu(servers)
            end_busy = procs.machine_busy()
            end_load = os.getloadavg()[0]
    finally:
        catalogue.close()
        engine.drop(backend)
        shutil.rmtree(probe, ignore_errors=True)
    if "ready" in marks:
        ready_wall, cpu, main, server, busy, load = marks["ready"]
        startup += ready_wall - wall
        wall = ready_wall
    if report.created != expected or report.errors or report.indexed != expected:
        raise RuntimeError(f"the pipeline did not store and index every record: {report.summary()}")
    writer_cpu = end_cpu - cpu
    workers_cpu = float(marks.get("workers", 0.0))
    servers_used = {name: end_server[name] - server[name] for name in server}
    others = end_busy - busy - writer_cpu - workers_cpu - sum(servers_used.values())
    return PipelineRun(
        workers,
        report.created,
        end_wall - wall,
        startup,
        writer_cpu,
        end_main - main,
        workers_cpu,
        servers_used,
        max(others, 0.0),
        (load, end_load),
    )


# -- the library calls alone, and the same stages of our code ---------------------------------------


@dataclass
class Stage:
    name: str
    library_call: str = ""
    library: Cost | None = None
    ours: Cost = field(default_factory=Cost)


def content_bytes(record: Record) -> bytes:
    """What ``Record.content_hash`` hashes (made here, untimed, for the library call alone:
    ``stages`` checks that both agree)."""
    exclude = {"source", "source_position"} | {
        name for name in ("symbol", "unique_identifier") if getattr(record, name) is None
    }
    payload = record.model_dump(mode="json", exclude=exclude)
    return json.dumps(payload, sort_keys=True, ensure_ascii=False).encode("utf-8", "surrogatepass")


def fresh_spacy_pipelines() -> None:
    """Forget the process's spaCy pipelines and build them again (untimed): a tokenizer's cache
    warmed by an earlier measurement would make the next one look cheaper."""
    import analyzers.entities

    analyzers.entities._PIPELINES.clear()
    for lang in UN_LANGUAGES:
        analyzers.entities._pipeline(lang)


def stages(dump: Path, engine: Engine, catalogues: CatalogueKind) -> tuple[list[Stage], int, Cost]:
    """Each stage of ingest on every record of the dump, in this process: the library call alone,
    then our code doing the same stage. Returns the stages, the record count and the raw bulk's cost."""
    from analyzers.entities import _PIPELINES
    from analyzers.entities.normalise import _fold, _primary

    out: list[Stage] = []

    read = Stage("read (parse JSON, strip HTML, hash)", "json.loads + hashlib.sha256")
    with measured() as read.ours:
        records = [item for item in read_path(dump) if isinstance(item, Record)]
        for record in records:
            record.content_hash()
    count = len(records)
    lines = dump.read_text(encoding="utf-8").splitlines()
    hashed = [content_bytes(record) for record in records]
    if hashlib.sha256(hashed[0]).hexdigest() != records[0].content_hash():
        raise RuntimeError("content_bytes no longer makes what Record.content_hash hashes: update it")
    with measured() as read.library:
        for line in lines:
            json.loads(line)
        for content in hashed:
            hashlib.sha256(content).hexdigest()
    del lines, hashed
    out.append(read)

    detect = Stage("detect languages", "LanguageDetector.detect")
    texts = [text for record in records for versions in record.texts().values() for text in versions.values()]
    detector = LanguageDetector(UN_LANGUAGES)
    detector.detect("warm up")
    with measured() as cost:
        for text in texts:
            detector.detect(text)
    detect.library = cost
    detector = LanguageDetector(UN_LANGUAGES)
    detector.detect("warm up")
    with measured() as detect.ours:
        resolved: list[ResolvedLanguages] = [resolve_languages(r, detector, UN_LANGUAGES) for r in records]
    out.append(detect)

    tag = Stage("tag entities", "spaCy nlp.pipe + 2 PhraseMatchers")
    items = [
        (record, [(t.field, t.language, t.text) for t in found.texts])
        for record, found in zip(records, resolved, strict=True)
    ]
    # What the tagger hands spaCy, batch by batch: the folded texts of each language.
    spacy_input: list[list[tuple[str, list[str]]]] = []
    for batch in batches(items):
        by_language: dict[str, list[str]] = {}
        for _record, versions in batch:
            for _field, lang, text in versions:
                if text and not text.isspace():
                    by_language.setdefault(_primary(lang), []).append(_fold(text))
        spacy_input.append(list(by_language.items()))
    fresh_spacy_pipelines()
    with measured() as cost:
        for languages in spacy_input:
            for lang, folded in languages:
                pipeline = _PIPELINES[lang]
                for doc in pipeline.nlp.pipe(folded, batch_size=64):
                    pipeline.norm_matcher(doc)
                    pipeline.exact_matcher(doc)
    tag.library = cost
    del spacy_input
    fresh_spacy_pipelines()
    tagger = make_tagger(UN_LANGUAGES)
    entities = []
    with measured() as tag.ours:
        for batch in batches(items):
            entities += tagger.mentions_many(batch)
    out.append(tag)

    rows_stage = Stage("rows, document in the index's form")
    upserts = [
        Upsert(r, found.texts, found.original_language, mentions)
        for r, found, mentions in zip(records, resolved, entities, strict=True)
    ]
    now = utcnow()
    catalogue = Catalogue(catalogues.new_dsn("stages"))
    backend = engine.backend("stages")
    encode = backend.document_encoder()
    with measured() as rows_stage.ours:
        rows = [catalogue.rows.new_record(u, "bench", now) for u in upserts]
        documents = [build_document(stored_record(u, now)) for u in upserts]
        # As the pipeline's workers hand them to the writer: in the index's wire form.
        encoded: list[Indexable] = [(encode(doc) if encode else None) or doc for doc in documents]
    out.append(rows_stage)

    store = Stage("store", catalogues.raw_call)
    store.library = catalogues.raw_insert(rows, "raw")
    with measured(catalogues.servers) as store.ours:
        for batch in batches(rows):
            catalogue.store_batch(batch, [])
    catalogue.close()
    out.append(store)

    index = Stage("index", engine.raw_call)
    raw = index.library = engine.raw_bulk(whole_documents(documents), "raw")
    backend.ensure_index()
    try:
        with measured(engine.servers) as index.ours:
            sent = 0
            for batch in batches(encoded):
                result = backend.bulk(batch)
                if result.errors:
                    raise RuntimeError(f"not indexed: {result.errors[0]}")
                sent += len(batch)
                if sent % COMMIT_EVERY == 0:
                    backend.refresh()
            backend.refresh()
    finally:
        engine.drop(backend)
    out.append(index)
    return out, count, raw


# -- report ------------------------------------------------------------------------------------------


def show(value: float | None, width: int = 6) -> str:
    return f"{value:{width}.3f}" if value is not None else " " * (width - 1) + "-"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--engine", choices=("tantivy", "opensearch"), default="tantivy")
    parser.add_argument("--catalogue", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--records", type=int, default=20_000)
    parser.add_argument("--es-url", default=None, help="an OpenSearch node to use instead of starting one")
    parser.add_argument("--heap", default="1g", help="heap of the OpenSearch node started here (default 1g)")
    parser.add_argument(
        "--rounds",
        type=int,
        default=2,
        help="pipeline runs with 1 and with 2 workers, alternating which goes first (default 2: 1,2 then 2,1)",
    )
    args = parser.parse_args()
    args.load_at_start = os.getloadavg()[0]
    with tempfile.TemporaryDirectory() as tmp, ExitStack() as stack:
        work = Path(tmp)
        dump = write_jsonl(work / "corpus.jsonl", args.records)
        engine = stack.enter_context(open_engine(args, work))
        catalogues = stack.enter_context(open_catalogues(args, work))
        engine.warm_up(index_documents(dump))
        # The pipeline first, while this process holds little (a heap full of the stages' records
        # would make every garbage collection of the in-process run walk them).
        # Alternating the order (1, 2, then 2, 1, ...) so that a drift in what the rest of the
        # machine does, or a node warming up, does not favour one side.
        order = [(n, workers) for n in range(max(args.rounds, 1)) for workers in ((1, 2) if n % 2 == 0 else (2, 1))]
        runs = [run_pipeline(dump, workers, engine, catalogues, args.records, n) for n, workers in order]
        measured_stages, count, raw = stages(dump, engine, catalogues)
    print_report(args, engine, catalogues, runs, measured_stages, count, raw)


def servers_note(cost: Cost | None, count: int) -> str:
    if cost is None or not cost.servers:
        return ""
    return ", ".join(f"{name} {seconds * 1000 / count:.3f}" for name, seconds in cost.servers.items())


def print_report(
    args: argparse.Namespace,
    engine: Engine,
    catalogues: CatalogueKind,
    runs: list[PipelineRun],
    measured_stages: list[Stage],
    count: int,
    raw: Cost,
) -> None:
    where = "started here" if not args.es_url else "at --es-url"
    engine_name = engine.name + (f" (1 node, {where})" if isinstance(engine, OpenSearchEngine) else "")
    print()
    print(
        f"{count:,} generated records (devtools/corpus.py); engine {engine_name}; catalogue {catalogues.name}; "
        f"{os.cpu_count()} cores; load average {args.load_at_start:.1f} at the start, "
        f"{os.getloadavg()[0]:.1f} at the end (1 min)"
    )
    print("CPU per record (ms) of our processes; each stage on every record, in this process:")
    print(f"  {'stage':36s} {'library call alone':>18s}  {'':38s} {'our stage':>9s}")
    library_sum = 0.0
    ours_sum = 0.0
    for stage in measured_stages:
        library = per_record(stage.library.cpu, count) if stage.library else None
        ours = per_record(stage.ours.cpu, count) or 0.0
        library_sum += library or 0.0
        ours_sum += ours
        extra = ""
        if stage.library is not None and stage.library.servers:
            extra = f"   [server CPU: {servers_note(stage.library, count)} vs {servers_note(stage.ours, count)}]"
        print(f"  {stage.name:36s} {show(library, 18)}  {stage.library_call:38s} {show(ours, 9)}{extra}")
    print(f"  {'sum':36s} {library_sum:18.3f}  {'':38s} {ours_sum:9.3f}")
    print("the whole pipeline (Pipeline.run as chm-search ingest runs it; start-up not counted, its time beside):")
    for run in runs:
        who = "1 worker (in this process)" if run.workers == 1 else f"{run.workers} workers + the writer"
        split = (
            f" (workers {run.workers_cpu * 1000 / run.stored:.3f}, writer {run.writer_cpu * 1000 / run.stored:.3f})"
            if run.workers > 1
            else ""
        )
        goal = "met" if run.cpu_ms <= 1.25 * library_sum else "NOT met"
        print(
            f"  {who:28s} {run.rate:6.0f} records/s ({run.seconds:.1f} s, start-up {run.startup:.1f} s); "
            f"CPU {run.cpu_ms:.3f} ms/record{split} = {run.cpu_ms / library_sum:.2f}x the library calls "
            f"(goal <= 1.25: {goal})"
        )
        if run.servers_cpu:
            note = ", ".join(f"{name} {seconds * 1000 / run.stored:.3f}" for name, seconds in run.servers_cpu.items())
            print(f"  {'':28s} server CPU per record (ms, not ours, not in the ratio): {note}")
        print(
            f"  {'':28s} meanwhile the rest of the machine used {run.others_cpu / run.seconds:.2f} of its "
            f"{os.cpu_count()} cores (other work, hypervisor steal); load average (1 min) "
            f"{run.load[0]:.1f} at the start, {run.load[1]:.1f} at the end"
        )
    ones = [run for run in runs if run.workers == 1]
    twos = [run for run in runs if run.workers == 2]
    for number, (one, two) in enumerate(zip(ones, twos, strict=True), start=1):
        print(
            f"  round {number}: {one.rate:,.0f} -> {two.rate:,.0f} records/s = {two.rate / one.rate:.2f}x "
            f"(the rest of the machine used {one.others_cpu / one.seconds:.2f} and {two.others_cpu / two.seconds:.2f} "
            f"cores meanwhile; load average {max(one.load):.1f} and {max(two.load):.1f})"
        )
    one_rate = sum(run.stored for run in ones) / sum(run.seconds for run in ones)
    two_rate = sum(run.stored for run in twos) / sum(run.seconds for run in twos)
    scaling = two_rate / one_rate
    print(
        f"  throughput 2 workers / 1 worker, all rounds: {scaling:.2f} "
        f"(goal >= 1.8: {'met' if scaling >= 1.8 else 'NOT met'})"
    )

    def mean(runs: list[PipelineRun], per_record: Callable[[PipelineRun], float]) -> float:
        return sum(per_record(run) * run.stored for run in runs) / sum(run.stored for run in runs)

    one_cpu, two_cpu = mean(ones, lambda run: run.cpu_ms), mean(twos, lambda run: run.cpu_ms)
    one_main, two_main = mean(ones, lambda run: run.main_ms), mean(twos, lambda run: run.main_ms)
    one_servers, two_servers = mean(ones, lambda run: run.servers_ms), mean(twos, lambda run: run.servers_ms)
    cores = os.cpu_count() or 1
    # What idle cores would allow. A 1-worker run goes at the pace of its main thread, plus the
    # time it waits for a server (the servers' CPU stands for it): its other threads (Tantivy's
    # indexing) run beside it. A 2-worker run at most at the pace the cores allow for all the CPU it
    # costs, ours and the servers', and no faster than the writer's main thread with its waits.
    one_pace = one_main + one_servers
    two_pace = max((two_cpu + two_servers) / cores, two_main + two_servers)
    print(
        f"  CPU per record, 2 workers / 1 worker: {two_cpu:.3f} / {one_cpu:.3f} ms = {two_cpu / one_cpu:.2f}; "
        f"main thread: 1 worker {one_main:.3f} ms (its other threads {one_cpu - one_main:.3f}: Tantivy's indexing "
        f"and merging, beside it), the writer of 2 workers {two_main:.3f}"
        + (f"; servers {one_servers:.3f} and {two_servers:.3f} ms" if one_servers or two_servers else "")
    )
    print(
        f"  on {cores} idle cores that caps the speed-up at {one_pace / two_pace:.2f}x (1 worker at its main "
        f"thread's pace{' plus the servers' if one_servers else ''}: {one_pace:.3f} ms a record; 2 workers at "
        f"most at {two_pace:.3f}: all the CPU over {cores} cores, or the writer's main thread"
        f"{' plus the servers' if two_servers else ''})"
    )
    busiest = max(run.others_cpu / run.seconds for run in runs)
    if busiest > 0.25:
        print(
            f"  note: other work held up to {busiest:.2f} of the {os.cpu_count()} cores during these runs; "
            "2 workers cannot use cores another process holds, so this ratio is a floor, not the pipeline's scaling"
        )
    raw_rate = count / raw.wall
    print(
        f"raw engine bulk (information): {raw_rate:,.0f} records/s ({engine.raw_call}, the same documents, "
        f"{raw.wall:.1f} s); the pipeline with 2 workers reaches {two_rate / raw_rate:.2f} of it"
    )


if __name__ == "__main__":
    main()
