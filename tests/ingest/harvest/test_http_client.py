"""The polite client against a real loopback server: rate, retries, Retry-After, limits, conditional requests.

Waiting is what these tests check, so the client's sleep is recorded instead of slept (the
requests themselves go over real sockets to a real server).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from ingest.harvest.http_client import FetchError, PoliteClient, Politeness, retry_after


class Script:
    """Answers to give, in order; each ``(status, headers, body, delay)``."""

    def __init__(self) -> None:
        self.answers: list[tuple[int, dict[str, str], bytes, float]] = []
        self.seen: list[dict[str, str]] = []


@pytest.fixture
def server() -> Iterator[tuple[str, Script]]:
    script = Script()

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *_args: object) -> None:
            return

        def do_GET(self) -> None:
            script.seen.append({k.lower(): v for k, v in self.headers.items()})
            status, headers, body, delay = script.answers.pop(0) if script.answers else (200, {}, b"{}", 0.0)
            self.send_response(status)
            headers = {"Content-Type": "application/json", **headers}
            for key, value in headers.items():
                self.send_header(key, value)
            if "Content-Length" not in headers:
                self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if delay:
                self.wfile.write(body[:1])
                self.wfile.flush()
                time.sleep(delay)
                self.wfile.write(body[1:])
            else:
                self.wfile.write(body)

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/x", script
    httpd.shutdown()
    httpd.server_close()


def client(waits: list[float], **politeness: float) -> PoliteClient:
    return PoliteClient(Politeness(**politeness), sleep=waits.append)  # type: ignore[arg-type]


def test_429_is_retried_after_what_retry_after_says(server: tuple[str, Script]) -> None:
    url, script = server
    script.answers = [(429, {"Retry-After": "7"}, b"{}", 0.0), (503, {}, b"<html>", 0.0), (200, {}, b'{"ok": 1}', 0.0)]
    waits: list[float] = []
    response = client(waits, rate=1000, backoff=0.5).get(url)
    assert response.json() == {"ok": 1}
    assert [w for w in waits if w > 0.01] == [7.0, 1.0]  # Retry-After honoured, then backoff 0.5 * 2


def test_a_retry_after_longer_than_allowed_fails_now(server: tuple[str, Script]) -> None:
    url, script = server
    script.answers = [(429, {"Retry-After": "3600"}, b"{}", 0.0)]
    with pytest.raises(FetchError, match="Retry-After 3600s, longer than the 60s allowed") as caught:
        client([], rate=1000, max_wait=60).get(url)
    assert caught.value.transient


def test_retries_run_out(server: tuple[str, Script]) -> None:
    url, script = server
    script.answers = [(502, {}, b"bad gateway", 0.0)] * 3
    with pytest.raises(FetchError, match="HTTP 502 after 3 attempts"):
        client([], rate=1000, retries=2, backoff=0.01).get(url)


def test_request_rate_spaces_requests(server: tuple[str, Script]) -> None:
    url, _script = server
    waits: list[float] = []
    polite = client(waits, rate=2)
    for _ in range(3):
        polite.get(url)
    assert len([w for w in waits if w > 0.3]) == 2  # two waits of up to half a second: 2 requests a second
    assert polite.requests == 3


def test_too_large_and_slow_and_html(server: tuple[str, Script]) -> None:
    url, script = server
    script.answers = [
        (200, {}, b"x" * 5000, 0.0),
        (200, {"Content-Length": "999999"}, b"{}", 0.0),
        (200, {"Content-Type": "text/html"}, b"<!DOCTYPE html><html></html>", 0.0),
    ]
    polite = client([], rate=1000, max_bytes=1000)
    with pytest.raises(FetchError, match="over the 1,000-byte limit") as too_large:
        polite.get(url)
    assert not too_large.value.transient
    with pytest.raises(FetchError, match="999,999 bytes is over the 1,000-byte limit"):
        polite.get(url)
    with pytest.raises(FetchError, match=r"expected JSON, got HTML \(text/html\)"):
        polite.get(url).json()


def test_a_slow_answer_is_a_transient_failure(server: tuple[str, Script]) -> None:
    url, script = server
    script.answers = [(200, {}, b'{"slow": true}', 1.5)] * 2
    with pytest.raises(FetchError, match=r"timed out|took over") as caught:
        client([], rate=1000, timeout=0.5, retries=1, backoff=0.01).get(url)
    assert caught.value.transient


def test_conditional_request_and_unreachable_host(server: tuple[str, Script]) -> None:
    url, script = server
    script.answers = [(304, {"ETag": '"v1"'}, b"", 0.0)]
    response = client([], rate=1000).get(url, etag='"v1"', last_modified="Sun, 06 Dec 2026 10:00:00 GMT")
    assert response.not_modified
    assert script.seen[0]["if-none-match"] == '"v1"'
    assert script.seen[0]["if-modified-since"] == "Sun, 06 Dec 2026 10:00:00 GMT"
    with pytest.raises(FetchError, match="cannot connect") as caught:
        client([], rate=1000, retries=1, backoff=0.01).get("http://127.0.0.1:9/down")
    assert caught.value.transient
    with pytest.raises(FetchError, match="only http and https"):
        client([]).get("file:///etc/passwd")


def test_retry_after_as_http_date() -> None:
    assert retry_after("Sun, 06 Dec 2026 10:00:30 GMT", now=1796551200.0) == pytest.approx(30.0)
    assert retry_after("soon") is None
