"""Who is calling: API keys (``X-API-Key``) with roles, for the endpoints that change things.

Public search needs no key. Curation and ingest need a key with the role: no key or an unknown
one is 401, a key without the role is 403. Every change is attributed to the key's name.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable

from fastapi import Depends, Request, Security
from fastapi.security import APIKeyHeader

from record_catalogue.db import CatalogueFailed, CatalogueUnavailable, one_line
from record_catalogue.errors import InvalidApiKey
from record_catalogue.keys import KeyInfo, KeyStore, hash_key
from search_api.errors import ApiError
from search_api.services import Services, get_services

API_KEY_HEADER = "X-API-Key"
INVALID_KEY = f"the {API_KEY_HEADER} given is not a valid key (unknown or revoked)"
CACHE_SECONDS = 1.0
CACHE_ENTRIES = 10_000
TOUCH_EVERY_SECONDS = 60.0
log = logging.getLogger(__name__)
# Declares the key scheme in the OpenAPI; checking is ours (``caller_key``), so no auto error.
api_key_scheme = APIKeyHeader(
    name=API_KEY_HEADER,
    scheme_name="ApiKey",
    description="An API key (`chm-search keys create`): required by curation and ingest, raises a partner's limit.",
    auto_error=False,
)


class KeyCache:
    """Verified keys for one second, so that a busy partner does not cost a query per request.

    A revoked key stops working within ``seconds`` (``CACHE_SECONDS``, one second) in every API
    process: keys live in the catalogue, each process caches what it verified. The cache holds
    the keys' hashes, never the keys, and forgets the least recently used beyond ``entries``.
    When a key was last used is written in the background, at most once a minute per key, and
    only if the catalogue takes the write: a locked or read-only catalogue never holds up (or
    fails) a request for it.
    """

    def __init__(self, seconds: float = CACHE_SECONDS, entries: int = CACHE_ENTRIES) -> None:
        self.seconds = seconds
        self.entries = entries
        self._lock = threading.Lock()
        self._entries: OrderedDict[str, tuple[float, KeyInfo | None]] = OrderedDict()
        self._touched: dict[str, float] = {}

    def fresh(self, key: str) -> KeyInfo | None:
        """The key's info if it was verified valid within ``seconds``; None otherwise (unknown,
        invalid, or due for another lookup), without asking the catalogue."""
        digest = hash_key(key)
        with self._lock:
            cached = self._entries.get(digest)
            if cached is None or cached[1] is None or time.monotonic() - cached[0] >= self.seconds:
                return None
            self._entries.move_to_end(digest)
            return cached[1]

    def verify(self, store: KeyStore, key: str) -> KeyInfo | None:
        digest = hash_key(key)
        now = time.monotonic()
        with self._lock:
            cached = self._entries.get(digest)
            if cached is not None and now - cached[0] < self.seconds:
                self._entries.move_to_end(digest)
                return cached[1]
        info = store.verify(key)
        with self._lock:
            self._entries[digest] = (now, info)
            self._entries.move_to_end(digest)
            while len(self._entries) > self.entries:
                self._entries.popitem(last=False)
            touch = info is not None and now - self._touched.get(info.name, -TOUCH_EVERY_SECONDS) >= TOUCH_EVERY_SECONDS
            if touch and info is not None:
                self._touched[info.name] = now
        if touch and info is not None:
            threading.Thread(target=self._touch, args=(store, info.name), daemon=True).start()
        return info

    @staticmethod
    def _touch(store: KeyStore, name: str) -> None:
        try:
            store.touch(name)
        except (CatalogueUnavailable, CatalogueFailed, OSError) as exc:
            log.warning("cannot record the use of key %r: %s", name, one_line(exc))


def caller_key(request: Request, services: Services) -> KeyInfo | None:
    """The valid key the request carries, None without one; 401 for a key that is not valid."""
    key = request.headers.get(API_KEY_HEADER)
    if not key:
        return None
    cache: KeyCache = request.app.state.key_cache
    info = cache.verify(KeyStore(services.catalogue), key)
    if info is None:
        raise InvalidApiKey(INVALID_KEY)
    return info


def require_role(role: str) -> Callable[..., KeyInfo]:
    """A dependency admitting only callers whose key has ``role`` (or ``admin``)."""

    def dependency(
        request: Request,
        services: Services = Depends(get_services),
        _declared: str | None = Security(api_key_scheme),
    ) -> KeyInfo:
        info = caller_key(request, services)
        if info is None:
            raise ApiError(
                401,
                "api_key_required",
                f"this endpoint needs an API key with role {role!r} in the {API_KEY_HEADER} header",
            )
        if not info.has_role(role):
            raise ApiError(403, "forbidden", f"the key {info.name!r} has role {info.role!r}, not {role!r}")
        return info

    return dependency
