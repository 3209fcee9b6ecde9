"""A real OpenSearch 2.19 server on loopback, one JVM per node, built from Maven Central: for tests and developers.

    python -m devservers.opensearch                      # one node on a free port; prints CHM_ES_URL=...
    python -m devservers.opensearch --http-port 9200     # one node on 9200 (``make opensearch``)
    python -m devservers.opensearch --nodes 3            # a three-node cluster

The node is ``devservers/opensearch-launcher`` (a small Maven project: the server jar plus the module
plugins the project needs: language analyzers, ``search_as_you_type``, ``_reindex``, painless, on
Netty). ``build_launcher`` runs Maven only when the pom or the Java sources changed since the last
build (a hash stamp in ``target/.build-stamp``); a first build downloads about 90 MB of jars and plugins.

In a test::

    with start_cluster(tmp_path, nodes=3) as cluster:
        urlopen(cluster.url + "/_cluster/health")
        cluster.stop_node(1)      # SIGTERM (then SIGKILL): the node leaves, the cluster goes on with two
        cluster.start_node(1)     # the same data directory and ports: it rejoins and the cluster heals

Every node is started with a pipe as its standard input and stops when that pipe closes, so a test
process that dies (even by SIGKILL) leaves no JVM behind; a normal exit stops the nodes (``atexit``).
Standard library only (urllib for HTTP).
"""

from __future__ import annotations

import argparse
import atexit
import contextlib
import fcntl
import hashlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Sequence
from pathlib import Path
from types import TracebackType
from typing import Any

from devservers import log_tail

LAUNCHER_DIR = Path(__file__).resolve().parent / "opensearch-launcher"
TARGET_DIR = LAUNCHER_DIR / "target"
STAMP_FILE = TARGET_DIR / ".build-stamp"
MAIN_CLASS = "org.chmsearch.launcher.OpenSearchLauncher"
INSTALL_HINT = "run ./scripts/system-packages.sh (it installs openjdk-17-jdk-headless and maven)"
CLUSTER_NAME = "chm-dev"

# The distribution's system JVM options (its SystemJvmOptions for Java 17), less -XX:+AlwaysPreTouch, which
# slows the start and makes every node's resident size its whole heap at once.
JVM_OPTIONS = (
    "-Xss1m",
    "-Djava.awt.headless=true",
    "-Dfile.encoding=UTF-8",
    "-Djna.nosys=true",
    "-XX:-OmitStackTraceInFastThrow",
    "-XX:+ShowCodeDetailsInExceptionMessages",
    "-Dio.netty.noUnsafe=true",
    "-Dio.netty.noKeySetOptimization=true",
    "-Dio.netty.recycler.maxCapacityPerThread=0",
    "-Dio.netty.allocator.numDirectArenas=0",
    "-Dlog4j.shutdownHookEnabled=false",
    "-Dlog4j2.disable.jmx=true",
    "-Djava.locale.providers=SPI,COMPAT",
    "-Dopensearch.networkaddress.cache.ttl=60",
    "-Dopensearch.networkaddress.cache.negative.ttl=10",
)
# The distribution's collector, for a developer's server (fast_start=False).
SERVER_GC_OPTIONS = ("-XX:+UseG1GC",)
# Only the quick (C1) compiler: a node is up about a second sooner on a small machine and test-sized work
# does not miss the optimising compiler. And the serial collector: a test-sized heap needs no concurrent
# threads, and without them a node starts with ~15 % less CPU and idles with ~25 % less (the suite keeps
# nodes up for its whole run). The CLI turns both off (fast_start=False) for a developer's server.
FAST_START_OPTIONS = ("-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC")


class OpenSearchUnavailable(RuntimeError):
    """The launcher cannot be built, or a node cannot be started or reached; the message says what to try."""


# -- build -------------------------------------------------------------------------------------------


def _sources_hash() -> str:
    """A hash of what the build reads: the pom and everything under src/."""
    digest = hashlib.sha256()
    files = [LAUNCHER_DIR / "pom.xml", *sorted(p for p in (LAUNCHER_DIR / "src").rglob("*") if p.is_file())]
    for path in files:
        digest.update(str(path.relative_to(LAUNCHER_DIR)).encode())
        digest.update(b"\0")
        digest.update(path.read_bytes())
        digest.update(b"\0")
    return digest.hexdigest()


def _built(expected: str) -> bool:
    try:
        stamp = STAMP_FILE.read_text(encoding="utf-8").strip()
    except OSError:
        return False
    main_class = TARGET_DIR / "classes" / (MAIN_CLASS.replace(".", "/") + ".class")
    lib = TARGET_DIR / "lib"
    return stamp == expected and main_class.is_file() and lib.is_dir() and any(lib.glob("*.jar"))


def _tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise OpenSearchUnavailable(f"{name!r} is not on the PATH: {INSTALL_HINT}")
    return found


def build_launcher() -> Path:
    """Build the launcher if its pom or Java sources changed since the last build; returns its target directory
    (the node's classpath is ``target/classes`` plus ``target/lib/*``).

    Maven runs under an exclusive lock, so processes that start at once build it once.
    """
    _tool("java")
    expected = _sources_hash()
    if _built(expected):
        return TARGET_DIR
    mvn = _tool("mvn")
    TARGET_DIR.mkdir(exist_ok=True)
    with (TARGET_DIR / ".build-lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if _built(expected):  # another process built it while this one waited
            return TARGET_DIR
        print(
            "devservers: building the OpenSearch launcher with Maven"
            " (a first build downloads about 90 MB of jars and plugins into ~/.m2)...",
            file=sys.stderr,
            flush=True,
        )
        started = time.monotonic()
        STAMP_FILE.unlink(missing_ok=True)
        # The jars go to a new directory that then replaces lib/: no jar of an older version stays on the
        # classpath, and nodes that start meanwhile (other processes) still find a whole lib/.
        fresh, old = TARGET_DIR / "lib.new", TARGET_DIR / "lib.old"
        shutil.rmtree(fresh, ignore_errors=True)
        done = subprocess.run(
            [mvn, "-B", "-q", f"-Dlauncher.lib={fresh}", "package"],
            cwd=LAUNCHER_DIR,
            capture_output=True,
            text=True,
            check=False,
        )
        if done.returncode == 0:
            shutil.rmtree(old, ignore_errors=True)
            with contextlib.suppress(FileNotFoundError):
                (TARGET_DIR / "lib").rename(old)
            fresh.rename(TARGET_DIR / "lib")
            shutil.rmtree(old, ignore_errors=True)
        else:
            output = (done.stdout + done.stderr).strip().splitlines()
            raise OpenSearchUnavailable(
                f"building the OpenSearch launcher failed (mvn package, exit {done.returncode}):\n"
                + "\n".join(output[-30:])
            )
        STAMP_FILE.write_text(expected + "\n", encoding="utf-8")
        print(f"devservers: launcher built in {time.monotonic() - started:.1f}s", file=sys.stderr, flush=True)
    return TARGET_DIR


# -- HTTP ----------------------------------------------------------------------------------------------


def request(method: str, url: str, body: Any = None, timeout: float = 30) -> tuple[int, Any]:
    """One HTTP request with a JSON body (if any): the status and the parsed JSON answer (error answers too;
    None for an empty one). Connection errors raise OSError."""
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(url, data=data, method=method)
    if data is not None:
        req.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(req, timeout=timeout) as answer:
            status, raw = answer.status, answer.read()
    except urllib.error.HTTPError as exc:
        status, raw = exc.code, exc.read()
    return status, (json.loads(raw) if raw.strip() else None)


def free_ports(count: int) -> list[int]:
    """``count`` distinct TCP ports on loopback that nothing listens on right now."""
    probes: list[socket.socket] = []
    try:
        for _ in range(count):
            probe = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            probes.append(probe)
            probe.bind(("127.0.0.1", 0))
        return [int(probe.getsockname()[1]) for probe in probes]
    finally:
        for probe in probes:
            probe.close()


def _tail(path: Path, lines: int = 25) -> str:
    return log_tail(path, lines, "(no log)")


# -- nodes and clusters --------------------------------------------------------------------------------


class _Node:
    """One node: its home directory, ports and (while it runs) its JVM."""

    def __init__(self, home: Path, name: str, http_port: int, transport_port: int) -> None:
        self.home = home
        self.name = name
        self.http_port = http_port
        self.transport_port = transport_port
        self.process: subprocess.Popen[bytes] | None = None
        self.log_offset = 0  # the size of the log when the node was last started

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.http_port}"

    @property
    def log_file(self) -> Path:
        return self.home / "logs" / "opensearch.log"

    @property
    def console_file(self) -> Path:
        return self.home / "console.log"

    def bind_failed(self) -> bool:
        """Whether this node's last start failed because one of its ports was taken."""
        try:
            with self.log_file.open("rb") as log:
                log.seek(self.log_offset)
                return b"Address already in use" in log.read()
        except OSError:
            return False

    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def describe_failure(self, what: str) -> str:
        parts = [f"{what}: node {self.name} ({self.url}, home {self.home})"]
        if self.process is not None and self.process.poll() is not None:
            parts.append(f"its JVM exited with code {self.process.returncode}")
        errors = [line for line in _tail(self.log_file, 400).splitlines() if "][ERROR]" in line]
        if errors:
            parts.append("errors in its log:\n" + "\n".join(errors[-3:]))
        parts.append(f"last lines of {self.log_file}:\n{_tail(self.log_file)}")
        console = _tail(self.console_file, 15)
        if console.strip() and console != "(no log)":
            parts.append(f"last lines of {self.console_file}:\n{console}")
        return "\n".join(parts)


class OpenSearchCluster:
    """Nodes of one cluster on loopback, each in its own JVM; a context manager that stops them all on exit.

    ``urls`` has every node's HTTP address (node ``i`` at ``urls[i]``, also while it is stopped); ``url`` is
    the address of the first node that runs. Start one with ``start_cluster``.
    """

    def __init__(
        self,
        base_dir: Path,
        nodes: int = 1,
        heap: str = "512m",
        http_port: int | None = None,
        fast_start: bool = True,
        timeout: float = 120,
    ) -> None:
        if nodes < 1:
            raise ValueError("a cluster has at least one node")
        self.base_dir = Path(base_dir).resolve()
        self.heap = heap
        self.fast_start = fast_start
        self.timeout = timeout
        self.http_port = http_port
        self._nodes = [_Node(self.base_dir / f"node-{i}", f"node-{i}", 0, 0) for i in range(nodes)]
        self._assign_ports()
        self._lock = threading.RLock()
        self._target: Path | None = None

    def _assign_ports(self) -> None:
        nodes = len(self._nodes)
        if self.http_port is None:
            ports = free_ports(2 * nodes)
            http_ports, transport_ports = ports[:nodes], ports[nodes:]
        else:
            http_ports = [self.http_port + i for i in range(nodes)]
            transport_ports = free_ports(nodes)
        for node, http, transport in zip(self._nodes, http_ports, transport_ports, strict=True):
            node.http_port, node.transport_port = http, transport

    # -- addresses ---------------------------------------------------------------------------------
    @property
    def urls(self) -> list[str]:
        return [node.url for node in self._nodes]

    @property
    def url(self) -> str:
        for node in self._nodes:
            if node.running():
                return node.url
        return self._nodes[0].url

    @property
    def size(self) -> int:
        return len(self._nodes)

    def log_file(self, i: int) -> Path:
        """Node ``i``'s OpenSearch log."""
        return self._nodes[i].log_file

    def pid(self, i: int) -> int | None:
        """The process id of node ``i``'s JVM, None while it is stopped."""
        process = self._nodes[i].process
        return process.pid if process is not None and process.poll() is None else None

    # -- life --------------------------------------------------------------------------------------
    def start(self) -> OpenSearchCluster:
        """Build the launcher if needed, start every node, wait until the cluster is up (green; yellow for one node)."""
        with self._lock:
            self._target = build_launcher()
            # Ports picked here may be taken by another process before a node binds them: then try new ones.
            attempts = 3 if self.http_port is None else 1
            for attempt in range(1, attempts + 1):
                _live_clusters.add(self)
                try:
                    for i in range(self.size):
                        self._spawn(i)
                    self.wait_until_healthy()
                    return self
                except OpenSearchUnavailable:
                    bind_failed = any(node.bind_failed() for node in self._nodes)
                    self.stop()
                    if not bind_failed or attempt == attempts:
                        raise
                    self._assign_ports()
                except BaseException:
                    self.stop()
                    raise
        return self

    def _argv(self, node: _Node) -> list[str]:
        assert self._target is not None
        classpath = os.pathsep.join([str(self._target / "classes"), str(self._target / "lib" / "*")])
        argv = [
            _tool("java"),
            f"-Xms{self.heap}",
            f"-Xmx{self.heap}",
            *JVM_OPTIONS,
            *(FAST_START_OPTIONS if self.fast_start else SERVER_GC_OPTIONS),
            f"-Djava.io.tmpdir={node.home / 'tmp'}",
            f"-XX:ErrorFile={node.home / 'logs' / 'hs_err_pid%p.log'}",
            f"-Dopensearch.path.home={node.home}",
            "-cp",
            classpath,
            MAIN_CLASS,
            "--home",
            str(node.home),
            "--node-name",
            node.name,
            "--cluster-name",
            CLUSTER_NAME,
            "--http-port",
            str(node.http_port),
            "--transport-port",
            str(node.transport_port),
            "--exit-on-stdin-eof",
            "true",
        ]
        if self.size > 1:
            seeds = ",".join(f"127.0.0.1:{other.transport_port}" for other in self._nodes)
            managers = ",".join(other.name for other in self._nodes)
            argv += ["--seed-hosts", seeds, "--initial-managers", managers]
        return argv

    def _spawn(self, i: int) -> None:
        node = self._nodes[i]
        if node.running():
            return
        (node.home / "tmp").mkdir(parents=True, exist_ok=True)
        (node.home / "logs").mkdir(parents=True, exist_ok=True)
        node.log_offset = node.log_file.stat().st_size if node.log_file.exists() else 0
        with node.console_file.open("ab") as console:
            node.process = subprocess.Popen(
                self._argv(node),
                stdin=subprocess.PIPE,  # the node stops when this pipe closes: when this process dies
                stdout=console,
                stderr=subprocess.STDOUT,
                cwd=node.home,
                start_new_session=True,  # a Ctrl-C in the terminal reaches this process, which stops the nodes in order
            )

    def wait_until_healthy(self, timeout: float | None = None) -> None:
        """Wait until every running node answers and the cluster has them all, green (yellow for one node)."""
        deadline = time.monotonic() + (self.timeout if timeout is None else timeout)
        running = [node for node in self._nodes if node.process is not None]
        expected = len(running)
        status = "yellow" if self.size == 1 else "green"
        query = f"/_cluster/health?wait_for_status={status}&wait_for_nodes={expected}&timeout=2s"
        for node in running:
            last = ""
            while True:
                if not node.running():
                    raise OpenSearchUnavailable(node.describe_failure("the node stopped while starting"))
                try:
                    code, answer = request("GET", node.url + query, timeout=10)
                    if code == 200 and isinstance(answer, dict) and not answer.get("timed_out"):
                        break
                    last = f"HTTP {code}: {answer}"
                except (OSError, ValueError) as exc:
                    last = str(exc)
                if time.monotonic() > deadline:
                    raise OpenSearchUnavailable(
                        node.describe_failure(
                            f"the cluster was not {status} with {expected} node(s) after "
                            f"{self.timeout if timeout is None else timeout:.0f}s (last answer: {last})"
                        )
                    )
                time.sleep(0.25)

    def stop_node(self, i: int, grace: float = 30) -> None:
        """Stop node ``i`` (SIGTERM, SIGKILL after ``grace`` seconds); its data directory stays for start_node."""
        with self._lock:
            node = self._nodes[i]
            process = node.process
            if process is None:
                return
            if process.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    process.send_signal(signal.SIGTERM)
                try:
                    process.wait(grace)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()
            if process.stdin is not None:
                with contextlib.suppress(OSError):
                    process.stdin.close()
            node.process = None

    def start_node(self, i: int, timeout: float | None = None) -> None:
        """Start node ``i`` again (same data directory and ports) and wait until the cluster has healed."""
        with self._lock:
            if self._target is None:
                raise OpenSearchUnavailable("start the cluster first")
            self._spawn(i)
            self.wait_until_healthy(timeout)

    def stop(self) -> None:
        """Stop every node (all are sent SIGTERM at once). Data directories stay under base_dir."""
        with self._lock:
            for node in self._nodes:
                if node.running() and node.process is not None:
                    with contextlib.suppress(ProcessLookupError):
                        node.process.send_signal(signal.SIGTERM)
            for i in range(self.size):
                self.stop_node(i)
            _live_clusters.discard(self)

    def __enter__(self) -> OpenSearchCluster:
        if self._target is None:
            self.start()
        return self

    def __exit__(
        self, _type: type[BaseException] | None, _value: BaseException | None, _traceback: TracebackType | None
    ) -> None:
        self.stop()


_live_clusters: set[OpenSearchCluster] = set()


@atexit.register
def _stop_live_clusters() -> None:
    for cluster in list(_live_clusters):
        cluster.stop()


def start_cluster(
    base_dir: Path,
    nodes: int = 1,
    heap: str = "512m",
    *,
    http_port: int | None = None,
    fast_start: bool = True,
    timeout: float = 120,
) -> OpenSearchCluster:
    """Start ``nodes`` nodes (each in its own JVM with ``heap`` of heap) with their homes under ``base_dir``;
    returns once the cluster is up. Ports are free loopback ports, unless ``http_port`` is given: then node
    ``i`` serves HTTP on ``http_port + i``."""
    return OpenSearchCluster(
        base_dir, nodes=nodes, heap=heap, http_port=http_port, fast_start=fast_start, timeout=timeout
    ).start()


# -- command line --------------------------------------------------------------------------------------


@contextlib.contextmanager
def _directory(requested: str | None) -> Iterator[Path]:
    if requested:
        path = Path(requested)
        path.mkdir(parents=True, exist_ok=True)
        yield path
    else:
        with tempfile.TemporaryDirectory(prefix="chm-opensearch-") as temporary:
            yield Path(temporary)


def _interrupt(signum: int, _frame: object) -> None:
    raise KeyboardInterrupt(signal.Signals(signum).name)


def main(argv: Sequence[str] | None = None) -> int:
    """Build, start a node or a cluster for a developer, print how to point the project at it, stop on Ctrl-C."""
    parser = argparse.ArgumentParser(prog="python -m devservers.opensearch", description=main.__doc__)
    parser.add_argument("--nodes", type=int, choices=(1, 3), default=1, help="1 node, or a 3-node cluster")
    parser.add_argument("--http-port", type=int, default=None, help="HTTP port of the first node (default: a free one)")
    parser.add_argument("--dir", default=None, help="keep the nodes' data here (default: a temporary directory)")
    parser.add_argument("--heap", default="512m", help="heap of each node (default 512m)")
    args = parser.parse_args(argv)
    # Ctrl-C, a SIGTERM or a closed terminal all stop the nodes in order and remove the temporary directory
    # (SIGINT too when a non-interactive shell started this in the background with SIGINT ignored).
    for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, _interrupt)
    try:
        with _directory(args.dir) as base:
            started = time.monotonic()
            cluster = start_cluster(base, nodes=args.nodes, heap=args.heap, http_port=args.http_port, fast_start=False)
            with cluster:
                print(f"OpenSearch {args.nodes} node(s) up in {time.monotonic() - started:.1f}s, data in {base}:")
                for i, url in enumerate(cluster.urls):
                    print(f"  node-{i}: {url}  (log: {cluster.log_file(i)})")
                print(f"CHM_ES_URL={cluster.urls[0]} CHM_ES_FLAVOUR=opensearch")
                print("Ctrl-C stops it.", flush=True)
                with contextlib.suppress(KeyboardInterrupt):
                    while all(cluster.pid(i) is not None for i in range(cluster.size)):
                        time.sleep(1)
                    print("a node stopped by itself; stopping the others", file=sys.stderr)
    except OpenSearchUnavailable as exc:
        print(f"devservers.opensearch: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:  # while starting: the nodes started so far have been stopped
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
