"""Bulk indexing: every document indexed or reported with its reason, in input order.

Why not the clients' ``streaming_bulk`` helpers: they differ between the two clients, a chunk-level
error raises and loses what the chunk had done, failures come back in completion order, and a
timeout re-sends the whole chunk. Here a chunk that the engine refuses as a whole is retried with
backoff (429, 502-504, no answer), split in half when it is too large (413), and only if it still
fails is each of its documents reported, so nothing is ever silently dropped.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import orjson

from search_index.base import BulkResult, Document, EncodedDocument, Indexable, merged_into, validate_document
from search_index.elastic.clients import (
    BULK_REQUEST_TIMEOUT,
    ApiFailure,
    EngineClient,
    Unreachable,
    encode_json,
    encode_ndjson,
)
from search_index.elastic.results import bulk_item_reason

BULK_MAX_RETRIES = 5
BULK_INITIAL_BACKOFF = 0.5
BULK_MAX_BACKOFF = 30.0
# Well under http.max_content_length (100 MB by default), so that big PDFs never make a chunk
# that the node refuses as a whole.
BULK_MAX_CHUNK_BYTES = 20 * 1024 * 1024
RETRYABLE_STATUS = frozenset({429, 502, 503, 504})


@dataclass
class _Action:
    position: int
    doc_id: str
    lines: bytes


def _json_default(value: object) -> str:
    if isinstance(value, datetime | date):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


SOURCE_JSON = "source-json"  # EncodedDocument.kind of encode_document's documents


def _source_json(doc: Mapping[str, Any]) -> tuple[bytes | None, str | None]:
    """``(_source as sent, None)`` for a document (not a marker) that can be indexed, ``(None,
    reason)`` otherwise: what ``encode_document`` and ``index_action`` both check and send."""
    reason = validate_document(doc)
    if reason is not None:
        return None, reason
    try:
        return orjson.dumps(doc, default=_json_default), None
    except (TypeError, ValueError) as exc:
        return None, f"document {doc['id']} cannot be serialised: {exc}"


def encode_document(doc: Document) -> EncodedDocument | None:
    """``doc``'s ``_source`` as ``index_action`` serialises it; None for a marker or a document that
    cannot be indexed, which ``index_action`` handles (and reports) itself."""
    if not isinstance(doc, dict) or merged_into(doc) is not None:
        return None
    source, _reason = _source_json(doc)
    return None if source is None else EncodedDocument(str(doc["id"]), SOURCE_JSON, source)


def index_action(doc: object, index_name: str, require_alias: bool = False) -> tuple[str, bytes | None, str | None]:
    """``(id, ndjson lines, None)`` for a valid document, ``(id, None, reason)`` otherwise.

    The document id is the engine's ``_id``: re-indexing a record replaces it. ``require_alias``:
    ``index_name`` is an alias, and a missing alias fails the action (never auto-creates an index).
    An ``EncodedDocument`` (``encode_document``'s) is sent as it is.
    """
    if isinstance(doc, EncodedDocument):
        if doc.kind != SOURCE_JSON or not isinstance(doc.body, bytes):
            return doc.id, None, f"encoded as {doc.kind}, not for this engine"
        return doc.id, _header(doc.id, index_name, require_alias) + doc.body + b"\n", None
    doc_id = str(doc.get("id") or "?") if isinstance(doc, Mapping) else "?"
    if not isinstance(doc, dict):
        return doc_id, None, "document is not a mapping"
    if merged_into(doc) is not None:  # shown through its group's document: its own goes
        return doc_id, delete_lines(doc_id, index_name), None
    source, reason = _source_json(doc)
    if source is None:
        return doc_id, None, reason
    return doc_id, _header(doc["id"], index_name, require_alias) + source + b"\n", None


def _header(doc_id: str, index_name: str, require_alias: bool) -> bytes:
    action: dict[str, object] = {"_index": index_name, "_id": doc_id}
    if require_alias:
        action["require_alias"] = True
    return encode_json({"index": action}) + b"\n"


def delete_lines(doc_id: str, index_name: str) -> bytes:
    return encode_ndjson([{"delete": {"_index": index_name, "_id": doc_id}}])


class BulkWriter:
    """Sends bulk chunks and accounts for every action."""

    def __init__(
        self,
        client: EngineClient,
        chunk_size: int = 500,
        max_chunk_bytes: int = BULK_MAX_CHUNK_BYTES,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.client = client
        self.chunk_size = chunk_size
        self.max_chunk_bytes = max_chunk_bytes
        self.sleep = sleep

    def index(self, docs: Iterable[Indexable], index_name: str, *, require_alias: bool = False) -> BulkResult:
        result = BulkResult()
        failures: list[tuple[int, str, str]] = []
        pending: list[_Action] = []
        size = 0
        for position, doc in enumerate(docs):
            doc_id, lines, reason = index_action(doc, index_name, require_alias)
            if lines is None:
                failures.append((position, doc_id, reason or "invalid document"))
                continue
            if pending and (len(pending) >= self.chunk_size or size + len(lines) > self.max_chunk_bytes):
                self._send(pending, result, failures, ignore_404=False)
                pending, size = [], 0
            pending.append(_Action(position, doc_id, lines))
            size += len(lines)
        if pending:
            self._send(pending, result, failures, ignore_404=False)
        result.errors.extend((doc_id, reason) for _, doc_id, reason in sorted(failures, key=lambda f: f[0]))
        return result

    def delete(self, ids: Iterable[str], index_name: str) -> list[tuple[str, str]]:
        """Delete by id; ``(id, reason)`` for each that failed (already gone is not a failure)."""
        actions = [_Action(i, str(doc_id), delete_lines(str(doc_id), index_name)) for i, doc_id in enumerate(ids)]
        result = BulkResult()
        failures: list[tuple[int, str, str]] = []
        for start in range(0, len(actions), self.chunk_size):
            self._send(actions[start : start + self.chunk_size], result, failures, ignore_404=True)
        return [(doc_id, reason) for _, doc_id, reason in sorted(failures, key=lambda f: f[0])]

    def _send(
        self, actions: list[_Action], result: BulkResult, failures: list[tuple[int, str, str]], ignore_404: bool
    ) -> None:
        """Send one chunk until each action succeeded or failed for a reason of its own."""
        todo = actions
        backoff = BULK_INITIAL_BACKOFF
        last_reason = ""
        for attempt in range(BULK_MAX_RETRIES + 1):
            if not todo:
                return
            if attempt:
                self.sleep(min(backoff, BULK_MAX_BACKOFF))
                backoff *= 2
            try:
                answer = self.client.request(
                    "POST",
                    "/_bulk",
                    body=b"".join(action.lines for action in todo),
                    ndjson=True,
                    timeout=BULK_REQUEST_TIMEOUT,
                )
            except ApiFailure as exc:
                if exc.status == 413 and len(todo) > 1:
                    half = len(todo) // 2
                    self._send(todo[:half], result, failures, ignore_404)
                    self._send(todo[half:], result, failures, ignore_404)
                    return
                last_reason = f"the engine refused the bulk request: {exc.reason}"
                if exc.status in RETRYABLE_STATUS:
                    continue
                break
            except Unreachable as exc:
                last_reason = f"no answer from the engine: {exc.reason}"
                continue
            items = answer.get("items", []) if isinstance(answer, Mapping) else []
            if len(items) != len(todo):
                last_reason = f"the engine answered {len(items)} items for {len(todo)} actions"
                break
            retry: list[_Action] = []
            for action, item in zip(todo, items, strict=True):
                info: dict[str, Any] = next(iter(item.values()))
                status = int(info.get("status", 500))
                # A delete (of a record grouped under another) finding nothing left to delete is done.
                if 200 <= status < 300 or (status == 404 and (ignore_404 or "delete" in item)):
                    result.indexed += 1
                elif status in RETRYABLE_STATUS:
                    retry.append(action)
                    last_reason = bulk_item_reason(info)
                else:
                    failures.append((action.position, action.doc_id, bulk_item_reason(info)))
            todo = retry
        failures.extend((action.position, action.doc_id, last_reason or "bulk request failed") for action in todo)
