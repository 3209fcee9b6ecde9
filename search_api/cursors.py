"""Search cursors: opaque, signed, bounded, and tied to the search they came from.

A cursor carries where the next page starts (the engine's sort values of the last hit), the
engine's point in time and how deep the reader already is. It reaches the engine as an offset or
as ``search_after`` values, so a client must not be able to write one: every cursor is signed
with HMAC-SHA256 under a key only the service knows (``CHM_CURSOR_SECRET``, or one generated once
into the data directory and shared by every process using it). A cursor whose signature does not
match (forged, edited, from another deployment or from before the key changed), that is too old,
that came from another search, or whose values do not have the shape this engine gives, is
refused before anything is searched.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import logging
import os
import secrets
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from record_catalogue.errors import ConfigurationError, InvalidCursor
from record_catalogue.settings import Settings

log = logging.getLogger(__name__)

KEY_FILE = "cursor.key"
FORMAT = 1
SIGNATURE_DOMAIN = b"chm-search cursor v1\n"
CLOCK_SKEW_SECONDS = 60
MAX_ID_CHARS = 1000  # the id a server engine sorts on last


class CursorError(InvalidCursor):
    """A cursor this service did not issue for this search, or no longer accepts; the message says why."""


@dataclass(frozen=True)
class Cursor:
    """Where the next page starts: after the hit with sort values ``after``, ``depth`` hits in."""

    after: list[Any]
    point_in_time: str | None
    depth: int


def cursor_key(settings: Settings) -> bytes:
    """The signing key: the configured secret, else the data directory's key file (made once).

    The file is created atomically (written aside, then linked into place), so processes starting
    together agree on one key. Where the data directory cannot be written, a key for this process
    alone is used and said so: its cursors do not survive a restart or reach another process.
    """
    if settings.cursor_secret is not None:
        return settings.cursor_secret.get_secret_value().encode("utf-8")
    path = settings.data_dir / KEY_FILE
    existing = _read_key(path)
    if existing is not None:
        return existing
    key = secrets.token_bytes(32)
    try:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        aside = path.with_name(f".{KEY_FILE}.{os.getpid()}.{secrets.token_hex(4)}")
        fd = os.open(aside, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="ascii") as handle:
            handle.write(key.hex() + "\n")
        try:
            os.link(aside, path)
        except FileExistsError:
            pass
        finally:
            aside.unlink(missing_ok=True)
    except OSError as exc:
        log.warning(
            "cannot keep the cursor key in %s (%s): cursors are signed with a key of this process only; "
            "set CHM_CURSOR_SECRET to share one",
            path,
            exc,
        )
        return key
    stored = _read_key(path)
    return stored if stored is not None else key


def _read_key(path: Path) -> bytes | None:
    try:
        text = path.read_text(encoding="ascii").strip()
    except FileNotFoundError:
        return None
    try:
        key = bytes.fromhex(text)
    except ValueError:
        key = b""
    if len(key) < 16:
        raise ConfigurationError(
            f"{path} does not hold a cursor key; delete it (a new one is made) or set CHM_CURSOR_SECRET"
        )
    return key


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode("ascii").rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class CursorSigner:
    """Makes and checks the cursors of one deployment (one key, one engine, the depth limit)."""

    def __init__(self, key: bytes | Callable[[], bytes], engine: str, max_depth: int, max_age_seconds: int) -> None:
        # A callable is asked on first use: building an app writes nothing to disk.
        self._key_source = key
        self._key: bytes | None = key if isinstance(key, bytes) else None
        self._lock = threading.Lock()
        self.engine = engine
        self.max_depth = max_depth
        self.max_age_seconds = max_age_seconds

    @classmethod
    def for_settings(cls, settings: Settings) -> CursorSigner:
        engine = "server" if settings.es_url else "tantivy"
        return cls(lambda: cursor_key(settings), engine, settings.max_cursor_depth, settings.cursor_max_age_seconds)

    @staticmethod
    def search_id(query_key: str) -> str:
        return hashlib.sha256(query_key.encode("utf-8")).hexdigest()[:32]

    def _signature(self, payload: bytes) -> bytes:
        if self._key is None:
            with self._lock:
                if self._key is None:
                    source = self._key_source
                    self._key = source if isinstance(source, bytes) else source()
        return hmac.new(self._key, SIGNATURE_DOMAIN + payload, hashlib.sha256).digest()

    def encode(self, query_key: str, cursor: Cursor, now: float | None = None) -> str:
        data = {
            "v": FORMAT,
            "e": self.engine,
            "q": self.search_id(query_key),
            "a": cursor.after,
            "p": cursor.point_in_time,
            "d": cursor.depth,
            "t": int(time.time() if now is None else now),
        }
        payload = json.dumps(data, separators=(",", ":"), ensure_ascii=True).encode("ascii")
        return f"{_b64(payload)}.{_b64(self._signature(payload))}"

    def decode(self, token: str, query_key: str, sort: str, now: float | None = None) -> Cursor:
        """The cursor ``token`` stands for, checked; ``CursorError`` saying why it cannot be used."""
        head, dot, tail = token.partition(".")
        try:
            payload, signature = _unb64(head), _unb64(tail)
        except (binascii.Error, ValueError):
            payload, signature = b"", b""
        if not dot or not payload or not hmac.compare_digest(signature, self._signature(payload)):
            raise CursorError("not a cursor this service issued (the signature does not match)")
        data = json.loads(payload)  # our own JSON: the signature matched
        if not isinstance(data, dict) or data.get("v") != FORMAT or data.get("e") != self.engine:
            raise CursorError("issued for another version or engine of this service")
        if data.get("q") != self.search_id(query_key):
            raise CursorError("issued for another search (its q, filters, sort, size or lang differ)")
        issued = data.get("t")
        moment = time.time() if now is None else now
        if type(issued) is not int or not moment - self.max_age_seconds <= issued <= moment + CLOCK_SKEW_SECONDS:
            raise CursorError(f"expired (cursors last {self.max_age_seconds} seconds)")
        depth, after, pit = data.get("d"), data.get("a"), data.get("p")
        if type(depth) is not int or not 0 < depth <= self.max_depth:
            raise CursorError(f"deeper than the {self.max_depth} results a cursor may page through")
        if pit is not None and not isinstance(pit, str):
            raise CursorError("holds no valid point in time")
        if not isinstance(after, list) or not self._fits(after, depth, sort):
            raise CursorError("holds sort values this engine does not give")
        return Cursor(after=after, point_in_time=pit, depth=depth)

    def _fits(self, after: Sequence[Any], depth: int, sort: str) -> bool:
        """Whether ``after`` has the shape this engine's hits carry: the embedded engine's absolute
        position of the last hit; a server engine's score or date, then the record id."""
        if self.engine == "tantivy":
            return len(after) == 1 and type(after[0]) is int and after[0] == depth - 1
        if len(after) != 2 or not isinstance(after[1], str) or len(after[1]) > MAX_ID_CHARS:
            return False
        first = after[0]
        if sort == "newest":
            return first is None or type(first) is int
        return type(first) in (int, float)
