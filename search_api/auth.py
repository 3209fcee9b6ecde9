"""Who is calling: API keys (``X-API-Key``) with roles, for the endpoints that change things.

Public search needs no key. Curation and ingest need a key with the role: no key or an unknown
one is 401, a key without the role is 403. Every change is attributed to the key's name.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from fastapi import Depends, Request

from record_catalogue.keys import KeyInfo, KeyStore
from search_api.errors import ApiError
from search_api.services import Services, get_services

API_KEY_HEADER = "X-API-Key"
CACHE_SECONDS = 30.0


class KeyCache:
    """Verified keys for a short while, so that a busy partner does not cost a query per request.

    A revoked key stops working within ``seconds`` (``CACHE_SECONDS``), in every API process: keys
    live in the catalogue, each process caches what it verified.
    """

    def __init__(self, seconds: float = CACHE_SECONDS) -> None:
        self.seconds = seconds
        self._lock = threading.Lock()
        self._entries: dict[str, tuple[float, KeyInfo | None]] = {}

    def verify(self, store: KeyStore, key: str) -> KeyInfo | None:
        now = time.monotonic()
        with self._lock:
            cached = self._entries.get(key)
            if cached is not None and now - cached[0] < self.seconds:
                return cached[1]
        info = store.verify(key)
        with self._lock:
            if len(self._entries) > 10_000:
                self._entries.clear()
            self._entries[key] = (now, info)
        if info is not None:
            store.touch(info.name)
        return info


def caller_key(request: Request, services: Services) -> KeyInfo | None:
    """The valid key the request carries, None without one; 401 for a key that is not valid."""
    key = request.headers.get(API_KEY_HEADER)
    if not key:
        return None
    cache: KeyCache = request.app.state.key_cache
    info = cache.verify(KeyStore(services.catalogue), key)
    if info is None:
        raise ApiError(401, "invalid_api_key", f"the {API_KEY_HEADER} given is not a valid key (unknown or revoked)")
    return info


def require_role(role: str) -> Callable[..., KeyInfo]:
    """A dependency admitting only callers whose key has ``role`` (or ``admin``)."""

    def dependency(request: Request, services: Services = Depends(get_services)) -> KeyInfo:
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
