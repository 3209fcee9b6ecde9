"""Helper processes that end with the process they work for.

Ingest starts processes (the workers preparing batches, one process per document extracted); if
the ingest process is killed (``kill -9``, the OOM killer), nothing else tells them to stop, and
a worker holding spaCy's pipelines costs ~240 MB for as long as it lingers. Each helper therefore
watches its owner and exits as soon as it is gone.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import select
import signal
import threading
import time

PR_SET_PDEATHSIG = 1  # linux/prctl.h


def kill_me_with_parent() -> None:
    """Ask Linux to SIGKILL this process when its parent (the process that started it) dies.

    Where ``prctl`` is missing (not Linux), nothing happens: ``exit_when_gone`` still applies.
    """
    with contextlib.suppress(OSError, AttributeError):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)


def exit_when_gone(owner: int) -> None:
    """Exit (at once, without cleanup) when process ``owner`` has ended.

    For a process whose parent is not its owner (a worker started by a fork server, whose
    parent lives on when the owner dies): a daemon thread waits on a pidfd of the owner, or
    polls every second where pidfds are not available.
    """

    def watch() -> None:
        try:
            handle = os.pidfd_open(owner)
        except ProcessLookupError:
            os._exit(1)
        except (OSError, AttributeError):
            while alive(owner):
                time.sleep(1.0)
            os._exit(1)
        select.select([handle], [], [])
        os._exit(1)

    if not alive(owner):
        os._exit(1)
    threading.Thread(target=watch, name=f"exit-when-{owner}-gone", daemon=True).start()


def alive(pid: int) -> bool:
    """Whether process ``pid`` still runs (one that runs as another user counts: it exists)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
