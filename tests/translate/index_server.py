"""A local Argos package index on the loopback interface, in the index's real JSON format.

The real index (``argospm-index``'s ``index.json``) is a JSON list of packages, each with
``package_version``, ``argos_version``, ``from_code``, ``from_name``, ``to_code``, ``to_name``,
``links`` (HTTP links first; some entries add an ``ipfs://`` one, which a client cannot fetch over
HTTP) and ``code`` (``translate-en_fr``). It carries no checksum; a private index or mirror may add
``sha256``, which the project verifies when present. This server replays that format for the
tests' tiny real packages, and can serve a package cut short or corrupted (the faults a download
meets).
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

NAMES = {"ar": "Arabic", "en": "English", "es": "Spanish", "fr": "French", "ru": "Russian", "zh": "Chinese"}


@dataclass
class FixtureIndex:
    """What the server offers: ``index.json`` entries and the files their links point to."""

    base: str
    files: dict[str, bytes] = field(default_factory=dict)
    entries: list[dict[str, Any]] = field(default_factory=list)
    truncate: set[str] = field(default_factory=set)  # files served cut in half
    requests: list[str] = field(default_factory=list)

    @property
    def url(self) -> str:
        return self.base + "index.json"

    def offer(
        self, archive: Path, source: str, target: str, version: str = "1.0", *, checksum: bool = True, ipfs: bool = True
    ) -> str:
        """Publish a package as the real index does; returns its file name."""
        name = f"translate-{source}_{target}-{version.replace('.', '_')}.argosmodel"
        data = archive.read_bytes()
        self.files[name] = data
        links = [self.base + name]
        if ipfs:
            links.append("ipfs://QmFixtureOnlyNotFetchable")
        entry: dict[str, Any] = {
            "package_version": version,
            "argos_version": "1.9.0",
            "from_code": source,
            "from_name": NAMES[source],
            "to_code": target,
            "to_name": NAMES[target],
            "links": links,
            "code": f"translate-{source}_{target}",
        }
        if checksum:
            entry["sha256"] = hashlib.sha256(data).hexdigest()
        self.entries.append(entry)
        return name


@contextmanager
def serve_index() -> Iterator[FixtureIndex]:
    """A running index server on 127.0.0.1 (a free port), stopped afterwards."""
    state: list[FixtureIndex] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            index = state[0]
            name = self.path.lstrip("/")
            index.requests.append(name)
            if name == "index.json":
                body = json.dumps(index.entries, indent=4).encode()
            elif name in index.files:
                body = index.files[name]
                if name in index.truncate:
                    self.send_response(200)
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body[: len(body) // 2])
                    self.close_connection = True
                    return
            else:
                self.send_error(404)
                return
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.append(FixtureIndex(f"http://127.0.0.1:{server.server_address[1]}/"))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state[0]
    finally:
        server.shutdown()
        server.server_close()


def with_version(archive: Path, version: str, out: Path) -> Path:
    """A copy of a package with another ``package_version`` in its metadata (a newer release)."""
    import zipfile

    with zipfile.ZipFile(archive) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            data = source.read(item)
            if item.filename.endswith("/metadata.json"):
                metadata = json.loads(data)
                metadata["package_version"] = version
                data = json.dumps(metadata).encode()
            target.writestr(item, data)
    return out
