"""A local stand-in for the sources a harvest reads, on loopback: it replays answers in the shapes
the Secretariat documents, and misbehaves on request.

Shapes reproduced (see README "Harvesting" for the list and where each comes from):

- the index search ``GET /api/v2013/index?q=&fl=&sort=&start=&rows=`` answering
  ``{"response": {"numFound", "start", "docs": [{identifier_s, schema_s, updatedDate_dt,
  _revision_i, ...}]}}`` (``scbd/clearing-house-documentation``, ``swagger/json/ircc/solr/all-record.json``
  and ``.archive/components/records/solr.md``; ``scbd/api-examples``, ``NodeJS/fetch-all-ircc.js``);
- the document API ``GET /api/v2013/documents/{uid}`` (``Realm`` header) answering the record as
  submitted (``swagger/json/ircc/get.json``, ``.archive/docs/absch/ircc/get.md``; record bodies as
  ``scbd/api-examples`` ``json-data/abs-permit.json``);
- the thesaurus ``GET /api/v2013/thesaurus/domains/{domain}/terms`` and ``/terms/{identifier}``
  answering ``{termId, identifier, name, title: {ar, en, es, fr, ru, zh}, ...}``
  (``swagger/json/thesaurus/general/countries.json``, ``national-target/gbf-targets.json``;
  ``scbd/api-examples`` ``schema-definitions/thesaurusAPICalls``);
- an OAI-PMH 2.0 ``ListRecords`` with ``oai_dc`` and resumption tokens (openarchives.org);
- an RSS 2.0 feed and an Atom feed, with ETag/Last-Modified.

``World`` holds what the sources hold; tests change it between runs, and switch faults on.
Every request is logged (path, query, headers) for tests to count what a run asked for.
"""

from __future__ import annotations

import hashlib
import json
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit


@dataclass
class Doc:
    """A record the clearing-house publishes: its index entry and its document body (or a fault)."""

    identifier: str
    schema: str
    updated: str  # ISO, Z
    body: Any = None  # the JSON body; None with ``raw`` set
    raw: bytes | None = None  # a body served as is (malformed JSON, HTML)
    content_type: str = "application/json"
    slow: float = 0.0  # seconds before answering
    revision: int = 1
    gone: bool = False  # still listed by the index, but the document API answers 404


@dataclass
class World:
    """What the fixture sources hold now, and which faults are on."""

    docs: dict[str, Doc] = field(default_factory=dict)
    versions: list[Doc] = field(default_factory=list)  # non-public versions (version_s set) in the index
    terms: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # thesaurus domain -> terms
    index_429_once: bool = False  # the next index request answers 429 with Retry-After: 1
    index_html: bool = False  # the index answers an HTML page
    index_endless: bool = False  # every request answers the same first page (paging and dates ignored)
    index_down: bool = False  # the index answers 503 every time
    index_num_found: int | None = None  # a numFound to report instead of the true one
    on_index: Callable[[int, dict[str, list[str]]], None] | None = None  # run on each index answer before it is sent
    oai_pages: list[bytes] = field(default_factory=list)  # ListRecords responses, in order
    oai_slow: dict[int, float] = field(default_factory=dict)  # page number -> seconds before it is answered
    feed: bytes = b""
    feed_type: str = "application/rss+xml"
    log: list[tuple[str, dict[str, list[str]], dict[str, str]]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def requests(self, prefix: str) -> list[tuple[str, dict[str, list[str]], dict[str, str]]]:
        with self.lock:
            return [entry for entry in self.log if entry[0].startswith(prefix)]


def etag_of(body: bytes) -> str:
    return '"' + hashlib.sha256(body).hexdigest()[:16] + '"'


_RANGE = re.compile(r"updatedDate_dt:\[(\S+) TO \*\]")
_SCHEMAS = re.compile(r"schema_s:\(([^)]*)\)")
_REALM = re.compile(r"realm_ss:(\w+)")
_AFTER = re.compile(r'identifier_s:\{"([^"]+)" TO \*\]')


class _Handler(BaseHTTPRequestHandler):
    world: World
    realm = "abs"

    def log_message(self, *_args: object) -> None:  # quiet
        return

    def _send(self, status: int, body: bytes, kind: str = "application/json", headers: dict[str, str] | None = None):  # type: ignore[no-untyped-def]
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def do_GET(self) -> None:
        parts = urlsplit(self.path)
        query = parse_qs(parts.query)
        with self.world.lock:
            self.world.log.append((parts.path, query, {k.lower(): v for k, v in self.headers.items()}))
        path = parts.path
        if path == "/api/v2013/index":
            return self._index(query)
        if path.startswith("/api/v2013/documents/"):
            return self._document(unquote(path.rsplit("/", 1)[1]))
        if path.startswith("/api/v2013/thesaurus/domains/") and path.endswith("/terms"):
            domain = unquote(path.split("/")[5])
            return self._send(200, json.dumps(self.world.terms.get(domain, [])).encode())
        if path.startswith("/api/v2013/thesaurus/terms/"):
            identifier = unquote(path.rsplit("/", 1)[1])
            for terms in self.world.terms.values():
                for term in terms:
                    if term["identifier"] == identifier:
                        return self._send(200, json.dumps(term).encode())
            return self._send(404, b'{"statusCode":404,"code":"notFound"}')
        if path == "/oai":
            return self._oai(query)
        if path == "/feed":
            return self._feed()
        return self._send(404, b"<html><body>Not found</body></html>", "text/html")

    def _index(self, query: dict[str, list[str]]) -> None:
        world = self.world
        if world.index_down:
            return self._send(503, b"<html>Service Unavailable</html>", "text/html")
        if world.index_429_once:
            world.index_429_once = False
            return self._send(429, b'{"message":"too many requests"}', headers={"Retry-After": "1"})
        if world.index_html:
            return self._send(200, b"<!DOCTYPE html><html><body>Maintenance</body></html>", "text/html")
        q = query.get("q", [""])[0]
        realm = _REALM.search(q)
        docs = list(world.docs.values()) if realm and realm.group(1) == self.realm else []
        if "NOT version_s:*" not in q:
            docs += world.versions
        since = _RANGE.search(q)
        if since:
            docs = [d for d in docs if d.updated >= since.group(1)]
        after = _AFTER.search(q)
        if after:
            docs = [d for d in docs if d.identifier > after.group(1)]
        schemas = _SCHEMAS.search(q)
        if schemas:
            wanted = {s.strip() for s in schemas.group(1).split(" OR ")}
            docs = [d for d in docs if d.schema in wanted]
        sort = query.get("sort", [""])[0]
        if sort.startswith("updatedDate_dt"):
            docs.sort(key=lambda d: (d.updated, d.identifier))
        else:
            docs.sort(key=lambda d: d.identifier)
        start = int(query.get("start", ["0"])[0])
        rows = int(query.get("rows", ["10"])[0])
        if world.index_endless:  # the first page of everything, whatever was asked
            page = sorted(world.docs.values(), key=lambda d: (d.updated, d.identifier))[:rows]
        else:
            page = docs[start : start + rows]
        fields = [f.strip() for f in query.get("fl", [""])[0].split(",") if f.strip()]
        out = []
        for d in page:
            full = {
                "id": f"{d.identifier}@{'draft' if d in world.versions else d.revision}",
                "identifier_s": d.identifier,
                "schema_s": d.schema,
                "updatedDate_dt": d.updated,
                "_revision_i": d.revision,
                "realm_ss": [self.realm],
            }
            out.append({k: v for k, v in full.items() if not fields or k in fields})
        found = len(docs) if world.index_num_found is None else world.index_num_found
        body = {"response": {"numFound": found, "start": start, "docs": out}, "nonSupportedParams": []}
        if world.on_index is not None:  # before sending: the client never reads ahead of the change
            world.on_index(len(world.requests("/api/v2013/index")), query)
        self._send(200, json.dumps(body).encode())

    def _document(self, uid: str) -> None:
        doc = self.world.docs.get(uid)
        if doc is None or doc.gone:
            return self._send(404, b'{"statusCode":404,"code":"notFound"}')
        if doc.slow:
            time.sleep(doc.slow)
        body = doc.raw if doc.raw is not None else json.dumps(doc.body).encode()
        tag = etag_of(body)
        if self.headers.get("If-None-Match") == tag:
            return self._send(304, b"", headers={"ETag": tag})
        self._send(200, body, doc.content_type, {"ETag": tag})

    def _oai(self, query: dict[str, list[str]]) -> None:
        pages = self.world.oai_pages
        token = query.get("resumptionToken", [None])[0]
        number = int(token.split("-")[1]) if token and token.startswith("page-") else 0
        if number >= len(pages):
            bad = b"<OAI-PMH xmlns='http://www.openarchives.org/OAI/2.0/'><error code='badResumptionToken'/></OAI-PMH>"
            return self._send(200, bad, "text/xml")
        time.sleep(self.world.oai_slow.get(number, 0.0))
        self._send(200, pages[number], "text/xml; charset=utf-8")

    def _feed(self) -> None:
        body = self.world.feed
        tag = etag_of(body)
        if self.headers.get("If-None-Match") == tag:
            return self._send(304, b"", headers={"ETag": tag})
        self._send(200, body, self.world.feed_type, {"ETag": tag, "Last-Modified": "Sun, 06 Dec 2026 10:00:00 GMT"})


class FixtureServer:
    """The fixture sources on 127.0.0.1 (a port of their own), in a thread."""

    def __init__(self, world: World) -> None:
        handler = type("Handler", (_Handler,), {"world": world})
        self.world = world
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self.httpd.server_address[:2]
        return f"http://{host!s}:{port}"

    def __enter__(self) -> FixtureServer:
        self.thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
