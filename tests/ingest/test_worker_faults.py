"""A worker process that dies on a record costs that record only (issue 13: no input stops a run).

The pool, its worker processes, the catalogue and the index are the real ones; the one thing
replaced is what a worker does with a batch: the real preparation, except that a line holding
KILL-WORKER ends the worker process on the spot (``os._exit``), as a crash in a library or the
OOM killer would. The batch holding it breaks the pool; prepared again, it breaks the new pool
too; one record at a time, only that record is lost, and reported. Further down: a worker
killed while its result is on the way back, and a worker's own exception.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any
from unittest import mock

import pytest

import ingest.pipeline
from analyzers.detect import LanguageDetector
from devtools.commands import clean_environment
from ingest.pipeline import Pipeline
from ingest.prepare import WORKER_DIED, PreparePool, WorkerFailure, _prepare_in_worker, _ShippedBatch
from ingest.sources import SourceError, SourceItem, Unparsed
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


# A worker killed while its result is on the way back. The pool's workers share one pipe to send
# results; a worker killed halfway through sending a big one left half a message there, which
# the pool's manager thread waited on for ever: the run hung (CI, 2026-12-07) instead of preparing
# the batch again. The scenario runs in a child process so that a hang fails this test (timeout)
# instead of holding up the suite: a thread blocked in the pool cannot be freed.
BALLAST = 48  # errors of a million characters each: a result that takes a while to deliver
KILL_AFTER = 1_000_000  # bytes written after the task returned: the delivery is under way


def _written() -> int:
    with open("/proc/self/io", encoding="ascii") as io:
        return next(int(line.split()[1]) for line in io if line.startswith("wchar:"))


def _waiting_on_a_pipe(thread: int) -> bool:
    """Whether ``thread`` is blocked writing into a full pipe (Linux's wait channel says so)."""
    try:
        with open(f"/proc/self/task/{thread}/wchan", encoding="ascii") as wchan:
            return "pipe_write" in wchan.read()
    except OSError:  # no wait channels here: the written bytes decide alone
        return False


def _kill_me_once_delivering() -> None:
    """SIGKILL this process mid-delivery of the result the task is about to return: once its main
    thread waits to write more into the result pipe (as the pool delivered results before), or
    has written KILL_AFTER more bytes (into a file, as it does now). Once: the marker file in
    $CHM_TEST_KILL_MARK says it was done."""

    try:
        os.close(os.open(os.environ["CHM_TEST_KILL_MARK"], os.O_CREAT | os.O_EXCL))
    except FileExistsError:
        return
    start, main = _written(), threading.get_native_id()

    def kill() -> None:
        while _written() - start < KILL_AFTER and not _waiting_on_a_pipe(main):
            time.sleep(0.0005)
        os.kill(os.getpid(), signal.SIGKILL)

    threading.Thread(target=kill, daemon=True).start()


def prepare_then_die_delivering(items: list[SourceItem]) -> _ShippedBatch:
    errors, unchanged, records, shipped, new = _prepare_in_worker(items)
    if not os.path.exists(os.environ["CHM_TEST_KILL_MARK"]):
        _kill_me_once_delivering()
        errors = [*errors, *(SourceError("ballast", str(n), "x" * 1_000_000) for n in range(BALLAST))]
    return errors, unchanged, records, shipped, new


class DeliveryKillingPool(PreparePool):
    task = staticmethod(prepare_then_die_delivering)


def killed_while_delivering(mark: str) -> None:
    """The scenario (in a child process): prints what the batch came back as."""
    os.environ["CHM_TEST_KILL_MARK"] = mark  # before the pool's fork server starts: its workers see it
    lines = [record(n, f"Permit for genetic resources number {n}") for n in range(12)]
    items: list[SourceItem] = [Unparsed("dump.jsonl", f"line {n + 1}", line) for n, line in enumerate(lines)]
    pool = DeliveryKillingPool(2, ["en"], False, "sqlite://")
    try:
        batch = pool.submit(items).result()
        left = sum(len(os.listdir(outbox)) for outbox in pool.outboxes)  # the half result the killed worker was writing
    finally:
        pool.close()
    print(len(batch.new), len(batch.errors), os.path.exists(mark), left, any(map(os.path.exists, pool.outboxes)))


def test_a_worker_killed_while_delivering_its_batch_costs_nothing(tmp_path: Path) -> None:

    mark = tmp_path / "killed"
    script = (
        f"from tests.ingest.test_worker_faults import killed_while_delivering; killed_while_delivering({str(mark)!r})"
    )
    try:
        done = subprocess.run(
            [sys.executable, "-c", script], capture_output=True, text=True, timeout=120, env=clean_environment()
        )
    except subprocess.TimeoutExpired:
        raise AssertionError("the pool hung on a worker killed while delivering its batch") from None
    assert done.returncode == 0, done.stderr[-3000:]
    # Killed once (the mark) halfway through writing its result (the half file left), the batch
    # prepared again: all 12 records new, no error, no ballast; the pool's files removed with it.
    assert done.stdout.split() == ["12", "0", "True", "1", "False"]


def prepare_or_fail(items: list[SourceItem]) -> _ShippedBatch:
    raise ValueError(f"a bug met on {len(items)} items")


class FailingPool(PreparePool):
    task = staticmethod(prepare_or_fail)


def test_a_bug_in_a_worker_is_raised_with_its_traceback() -> None:
    """Failures come back through the pool's files too (a traceback can be long): raised again
    in the writer, the worker's traceback as their cause, the file removed."""
    pool = FailingPool(1, ["en"], False, "sqlite://")
    try:
        with pytest.raises(ValueError, match="a bug met on 2 items") as raised:
            pool.submit([Unparsed("dump.jsonl", "line 1", "{}"), Unparsed("dump.jsonl", "line 2", "{}")]).result()
        assert [os.listdir(outbox) for outbox in pool.outboxes] == [[]] * len(pool.outboxes)
    finally:
        pool.close()
    cause = raised.value.__cause__
    assert isinstance(cause, WorkerFailure) and "in prepare_or_fail" in str(cause)


def test_a_full_outbox_sends_the_result_to_the_next(tmp_path: Path) -> None:
    """A small /dev/shm (64 MB in many containers) fills up: the result goes to the next outbox,
    nothing is left of the attempt."""
    import errno

    import ingest.prepare

    memory, disk = tmp_path / "memory", tmp_path / "disk"
    memory.mkdir()
    disk.mkdir()
    real, full = ingest.prepare._dump, OSError(errno.ENOSPC, "No space left on device")
    fills: list[Exception] = [full]  # the first write only

    def dump_or_fill(*args: Any) -> None:
        if fills:
            raise fills.pop()
        real(*args)

    with mock.patch.object(ingest.prepare, "_dump", side_effect=dump_or_fill) as dump:
        path = ingest.prepare._deliver(lambda items: ([], [], [], [], []), [], [str(memory), str(disk)])
    assert dump.call_count == 2 and os.listdir(memory) == []
    assert Path(path).parent == disk and ingest.prepare._collect(path) == ([], [], [], [], [])
    assert os.listdir(disk) == []
    with mock.patch.object(ingest.prepare, "_dump", side_effect=full), pytest.raises(OSError, match="No space"):
        ingest.prepare._deliver(lambda items: ([], [], [], [], []), [], [str(memory), str(disk)])
    assert os.listdir(memory) == os.listdir(disk) == []


def test_outboxes_left_by_a_killed_ingest_are_removed(tmp_path: Path) -> None:
    """An ingest killed with kill -9 leaves its outboxes (in tmpfs, they hold memory): the next
    pool removes those of processes that no longer run once untouched for an hour, and no other
    (a recent one may belong to a process of another pid namespace sharing /dev/shm)."""
    import tempfile

    import ingest.prepare

    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    dead, prefix = int(gone.stdout), ingest.prepare.OUTBOX_PREFIX
    old = time.time() - ingest.prepare.STALE_OUTBOX_SECONDS - 60
    with mock.patch.object(tempfile, "tempdir", str(tmp_path)):
        left = tmp_path / f"{prefix}{dead}-x1"
        recent = tmp_path / f"{prefix}{dead}-x2"
        mine = tmp_path / f"{prefix}{os.getpid()}-x3"
        other = tmp_path / f"{prefix}notes"
        for folder in (left, recent, mine, other):
            folder.mkdir()
            (folder / "half.pickle").write_bytes(b"half")
        for folder in (left, mine, other):
            os.utime(folder, (old, old))
        made = ingest.prepare._outboxes()
    try:
        assert not left.exists() and recent.exists() and mine.exists() and other.exists()
        assert str(tmp_path) in {os.path.dirname(outbox) for outbox in made}
    finally:
        for outbox in made:
            os.rmdir(outbox)
