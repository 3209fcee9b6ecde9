"""An HTTP server run as a subprocess on a free loopback port: started, awaited until it answers,
and stopped (killed if it will not stop) whatever happens in between.

The suites that talk to ``chm-search serve`` over real HTTP (the CLI's, the LibreTranslate
clients', the limits shared between API processes, the browser tests) and bench/search.py all
start their server this one way. A server that exits while it is awaited is an error carrying
what it printed, not a timeout. Its output goes to a file, never to a pipe: a pipe nobody reads
fills up under load and then blocks the server.
"""

from __future__ import annotations

import contextlib
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from devtools.commands import CLI_ARGS

ROOT = Path(__file__).resolve().parent.parent
# ``chm-search serve --port``: the port is appended when the server starts.
SERVE = [sys.executable, *CLI_ARGS, "serve", "--port"]


def free_port() -> int:
    """A loopback port nothing listens on now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Server:
    """A running server: its base URL (``http://127.0.0.1:<port>``), its port and its process."""

    url: str
    port: int
    process: subprocess.Popen[bytes]


def _printed(output: IO[Any]) -> str:
    """The end of what the server printed, where ``output`` can be read back."""
    try:
        output.seek(0)
        printed = output.read()
    except (OSError, ValueError):  # a caller's write-only file
        return ""
    text = printed.decode(errors="replace") if isinstance(printed, bytes) else str(printed)
    return text[-4000:]


def _answers(server: Server, ready: str | None, any_answer: bool) -> bool:
    try:
        if ready is None:  # no path to ask: a connection is the answer
            socket.create_connection(("127.0.0.1", server.port), timeout=1).close()
            return True
        with urllib.request.urlopen(f"{server.url}{ready}", timeout=2) as response:
            return bool(response.status == 200)
    except urllib.error.HTTPError:
        return any_answer
    except OSError:
        return False


def await_answer(
    server: Server, ready: str | None, output: IO[Any], timeout: float = 60, any_answer: bool = False
) -> None:
    """Return once the path ``ready`` answers 200 (``any_answer``: any HTTP status, e.g. a degraded
    health's 503), or with ``ready=None`` once the server's port takes a connection."""
    deadline = time.monotonic() + timeout
    while True:
        if _answers(server, ready, any_answer):
            return
        if server.process.poll() is not None:
            raise RuntimeError(f"the server exited ({server.process.returncode}): {_printed(output)}")
        if time.monotonic() > deadline:
            raise RuntimeError(f"the server did not answer {ready} within {timeout:.0f} s: {_printed(output)}")
        time.sleep(0.2)


def stop(process: subprocess.Popen[bytes], timeout: float = 10) -> None:
    """Ask the process to end; kill it if it has not within ``timeout`` seconds."""
    process.terminate()
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@contextlib.contextmanager
def serving(
    command: Sequence[str],
    env: Mapping[str, str],
    ready: str | None = "/api/v1/health",
    *,
    timeout: float = 60,
    any_answer: bool = False,
    output: IO[Any] | None = None,
) -> Iterator[Server]:
    """``command`` with a free port appended, run from the repository root in ``env`` (the whole
    environment: nothing is inherited), until the block ends; entered once ``ready`` (a path)
    answers, or with ``ready=None`` once the port takes a connection (a server with no such path).
    What it prints goes to ``output`` (default: a temporary file, quoted if it fails)."""
    with contextlib.ExitStack() as stack:
        sink = output if output is not None else stack.enter_context(tempfile.TemporaryFile())
        port = free_port()
        process = subprocess.Popen(
            [*command, str(port)], env=dict(env), cwd=ROOT, stdout=sink, stderr=subprocess.STDOUT
        )
        stack.callback(stop, process)
        server = Server(f"http://127.0.0.1:{port}", port, process)
        await_answer(server, ready, sink, timeout=timeout, any_answer=any_answer)
        yield server
