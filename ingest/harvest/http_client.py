"""One polite HTTP client for every harvester: a request rate, retries with backoff, size and time limits.

Sources belong to others (the Secretariat's API, partners' OAI-PMH endpoints, national sites):
a harvest must never hammer them, and must never hang or fill memory because one of them is slow,
down, or answers with something else than it should. So every request here

- waits for its turn (``rate``: at most that many requests a second, retries included);
- is retried on 429, 5xx, timeouts and dropped connections, waiting ``backoff`` seconds doubled
  at each attempt, or what the server's ``Retry-After`` says (seconds or an HTTP date) when that
  is longer, up to ``max_wait`` (a longer wait is a failure now, not a stalled run);
- is conditional when the caller has a validator (``If-None-Match`` / ``If-Modified-Since``:
  a 304 costs the source nothing);
- reads at most ``max_bytes`` and for at most ``timeout`` seconds in all (a server dripping
  bytes is as much a failure as one not answering);
- fails with ``FetchError(url, reason)``, the reason one line for ``chm-search errors``.
"""

from __future__ import annotations

import email.utils
import json
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx

from record_catalogue.errors import Cause, Unavailable

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
USER_AGENT = "chm-search-harvester/1 (+https://www.cbd.int)"


@dataclass(frozen=True)
class Politeness:
    """How a harvest treats a source: its request rate, patience and limits."""

    rate: float = 2.0  # requests per second at most
    timeout: float = 30.0  # seconds for a whole response, connect to last byte
    retries: int = 4  # attempts after the first, on 429/5xx/timeouts/dropped connections
    backoff: float = 1.0  # seconds before the first retry, doubled at each
    max_wait: float = 300.0  # the longest Retry-After honoured
    max_bytes: int = 20_000_000  # a larger response is refused


class FetchError(Unavailable):
    """A request that failed for good: the URL and why, in one line.

    ``transient``: the source may answer next time (down, busy, slow, a maintenance page in HTML),
    so a harvest must read this item again; otherwise the answer itself is wrong (malformed, too
    large, refused) and will be until the source changes it (and with it its update date).
    """

    cause = Cause.SOURCE_FAILED

    def __init__(self, url: str, reason: str, *, transient: bool = False, status: int | None = None) -> None:
        super().__init__(f"{url}: {reason}")
        self.url = url
        self.reason = reason
        self.transient = transient
        self.status = status


@dataclass
class Response:
    """A response read in full (within the limits)."""

    url: str
    status: int
    body: bytes
    headers: Mapping[str, str] = field(default_factory=dict)

    @property
    def not_modified(self) -> bool:
        return self.status == 304

    @property
    def etag(self) -> str | None:
        return self.headers.get("etag")

    @property
    def last_modified(self) -> str | None:
        return self.headers.get("last-modified")

    def json(self) -> Any:
        """The body as JSON; FetchError if it is HTML or not JSON at all."""
        kind = self.headers.get("content-type", "")
        head = self.body[:200].lstrip().lower()
        if "html" in kind or head.startswith((b"<!doctype", b"<html", b"<")):
            shown = kind or "no content type"
            # A maintenance page or a proxy's error page: the source's state, not the record's.
            raise FetchError(self.url, f"expected JSON, got HTML ({shown})", transient=True, status=self.status)
        try:
            return json.loads(self.body)
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise FetchError(self.url, f"invalid JSON: {exc}", status=self.status) from None


def retry_after(value: str | None, now: float | None = None) -> float | None:
    """Seconds a ``Retry-After`` header asks for (delta-seconds or an HTTP date), or None."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when is None:
        return None
    return max(0.0, when.timestamp() - (time.time() if now is None else now))


class PoliteClient:
    """GET requests with the ``Politeness`` rules; one per harvest run (it keeps the connection)."""

    def __init__(
        self,
        politeness: Politeness | None = None,
        *,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.politeness = politeness or Politeness()
        self.sleep = sleep
        self.clock = clock
        self.requests = 0  # requests sent, retries included (what the source saw)
        self._last: float | None = None
        p = self.politeness
        self._client = httpx.Client(
            timeout=httpx.Timeout(p.timeout),
            follow_redirects=True,
            max_redirects=5,
            headers={"User-Agent": USER_AGENT},
            transport=transport,
        )

    def close(self) -> None:
        self._client.close()

    def __enter__(self) -> PoliteClient:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def get(
        self,
        url: str,
        params: Mapping[str, str | int] | None = None,
        headers: Mapping[str, str] | None = None,
        *,
        etag: str | None = None,
        last_modified: str | None = None,
    ) -> Response:
        """GET ``url``: a 2xx, a 304 (with a validator given) or a 404/410 is returned; anything
        else, after the retries it deserves, is a FetchError."""
        if not url.startswith(("http://", "https://")):
            raise FetchError(url, "only http and https URLs are harvested")
        send = dict(headers or {})
        if etag:
            send["If-None-Match"] = etag
        if last_modified:
            send["If-Modified-Since"] = last_modified
        p = self.politeness
        attempt = 0
        shown = url
        while True:
            self._wait_turn()
            try:
                response = self._read(url, params, send)
            except FetchError as exc:
                shown = exc.url
                if not exc.transient or attempt >= p.retries:
                    raise
                wait = p.backoff * 2**attempt
                reason = exc.reason
            else:
                shown = response.url
                if response.status < 300 or response.status in (304, 404, 410):
                    return response
                if response.status not in RETRY_STATUSES:
                    raise FetchError(shown, f"HTTP {response.status}", status=response.status)
                reason = f"HTTP {response.status}"
                asked = retry_after(response.headers.get("retry-after"))
                if attempt >= p.retries:
                    raise FetchError(
                        shown, f"{reason} after {attempt + 1} attempts", transient=True, status=response.status
                    )
                if asked is not None and asked > p.max_wait:
                    raise FetchError(
                        shown,
                        f"{reason} with Retry-After {asked:.0f}s, longer than the {p.max_wait:.0f}s allowed",
                        transient=True,
                        status=response.status,
                    )
                wait = max(p.backoff * 2**attempt, asked or 0.0)
            attempt += 1
            self.sleep(wait)

    def _wait_turn(self) -> None:
        interval = 1.0 / self.politeness.rate if self.politeness.rate > 0 else 0.0
        now = self.clock()
        if self._last is not None and now - self._last < interval:
            self.sleep(interval - (now - self._last))
        self._last = self.clock()
        self.requests += 1

    def _read(self, url: str, params: Mapping[str, str | int] | None, headers: Mapping[str, str]) -> Response:
        p = self.politeness
        started = self.clock()
        try:
            with self._client.stream("GET", url, params=params, headers=headers) as response:
                shown = str(response.url)
                declared = response.headers.get("content-length")
                if declared and declared.isdigit() and int(declared) > p.max_bytes:
                    raise FetchError(
                        shown, f"response of {int(declared):,} bytes is over the {p.max_bytes:,}-byte limit"
                    )
                chunks: list[bytes] = []
                size = 0
                for chunk in response.iter_bytes():
                    size += len(chunk)
                    if size > p.max_bytes:
                        raise FetchError(shown, f"response is over the {p.max_bytes:,}-byte limit")
                    if self.clock() - started > p.timeout:
                        raise FetchError(shown, f"response took over {p.timeout:g}s", transient=True)
                    chunks.append(chunk)
                if self.clock() - started > p.timeout:
                    raise FetchError(shown, f"response took over {p.timeout:g}s", transient=True)
                return Response(shown, response.status_code, b"".join(chunks), dict(response.headers))
        except httpx.TimeoutException:
            raise FetchError(url, f"timed out (no answer within {p.timeout:g}s)", transient=True) from None
        except httpx.TooManyRedirects:
            raise FetchError(url, "too many redirects") from None
        except httpx.TransportError as exc:
            raise FetchError(url, f"cannot connect: {exc.__class__.__name__}: {exc}", transient=True) from None
