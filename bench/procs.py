"""CPU time of processes, read from /proc (Linux), and what bench/ingest.py runs in ingest's workers.

The ingest pipeline's worker processes are children of multiprocessing's fork server, not of the
benchmark, so their CPU never reaches the benchmark's ``RUSAGE_CHILDREN``; nor does a database
server's or an OpenSearch node's. Their CPU is read from ``/proc/<pid>/stat`` instead.

``init_worker`` and ``wait_for_workers`` run in the pipeline's worker processes (the benchmark
hands them to the pool in place of ``ingest.prepare._init_worker``): each worker notes the CPU its
start-up cost (building the spaCy pipelines, loading the detector's tables), so that the
benchmark counts only the work done on records.
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

_TICKS = os.sysconf("SC_CLK_TCK")


def _stat(pid: int) -> list[str] | None:
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return text.rsplit(")", 1)[1].split()  # fields from the 3rd (state) on: the name may hold spaces


def process_cpu(pid: int) -> float:
    """CPU seconds (user + system, every thread) of a live process; 0 if it is gone."""
    fields = _stat(pid)
    return 0.0 if fields is None else (int(fields[11]) + int(fields[12])) / _TICKS


def tree_cpu(pid: int) -> float:
    """CPU seconds of a process and all its descendants, live or ended and reaped (a database
    server's connection processes come and go)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            fields = _stat(int(entry.name))
            if fields is not None:
                children.setdefault(int(fields[1]), []).append(int(entry.name))
    total = 0.0
    todo = [pid]
    while todo:
        current = todo.pop()
        fields = _stat(current)
        if fields is None:
            continue
        total += sum(int(value) for value in fields[11:15]) / _TICKS  # utime stime cutime cstime
        todo += children.get(current, [])
    return total


def init_worker(probe_dir: str, *args: Any) -> None:
    """ingest's worker initialiser, then a note of this worker's start-up CPU and when it ended."""
    from ingest.prepare import _init_worker

    _init_worker(*args)
    Path(probe_dir, f"{os.getpid()}.init").write_text(f"{time.process_time()!r} {time.time()!r}", encoding="utf-8")


def wait_for_workers(probe_dir: str, count: int, timeout: float = 600) -> int:
    """Return once ``count`` workers have started (a task that holds a worker until the others are up)."""
    deadline = time.monotonic() + timeout
    while len(list(Path(probe_dir).glob("*.init"))) < count:
        if time.monotonic() > deadline:
            raise TimeoutError(f"fewer than {count} ingest workers started in {timeout:.0f} s")
        time.sleep(0.02)
    return os.getpid()


def started_workers(probe_dir: str) -> dict[int, float]:
    """The workers started so far: pid -> CPU seconds their start-up took."""
    out: dict[int, float] = {}
    for path in Path(probe_dir).glob("*.init"):
        out[int(path.stem)] = float(path.read_text(encoding="utf-8").split()[0])
    return out


def machine_busy() -> float:
    """CPU seconds every core of the machine has spent busy since boot (all processes, and time
    the hypervisor gave to other machines: steal), from /proc/stat."""
    fields = Path("/proc/stat").read_text().splitlines()[0].split()[1:]
    user, nice, system, _idle, _iowait, irq, softirq, steal = (int(value) for value in fields[:8])
    return (user + nice + system + irq + softirq + steal) / _TICKS
