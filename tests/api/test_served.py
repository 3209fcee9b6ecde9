"""The service as operators run it (`chm-search serve`, `chm-search health`): a real process.

Before: uvicorn believed ``X-Forwarded-For`` from loopback, so a local client picked a new address
(and a fresh rate limit) per request; ``chm-search health`` exited 0 for an index missing records.
"""

from __future__ import annotations

import shutil
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from devtools.served import SERVE, serving
from search_index.tantivy_backend import TantivyBackend
from tests.commands import environment, run
from tests.conftest import SAMPLES


@pytest.fixture
def server(tmp_path: Path) -> Iterator[str]:
    """`chm-search serve` on the shared samples, anonymous limit 2 a minute; its base URL. Two API
    processes (as on a 2-core machine by default): the limit holds across both."""
    assert run(tmp_path, "ingest", str(SAMPLES / "shared")).returncode == 0
    with serving(SERVE, environment(tmp_path, CHM_RATE_LIMIT_ANONYMOUS="2", CHM_WORKERS="2")) as served:
        yield served.url


def _status(url: str, headers: dict[str, str]) -> int:
    try:
        with urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=5) as response:
            return int(response.status)
    except urllib.error.HTTPError as exc:
        return int(exc.code)


def test_forwarded_for_from_loopback_does_not_pick_the_client_address(server: str) -> None:
    codes = [_status(f"{server}/api/v1/languages", {"X-Forwarded-For": f"203.0.113.{n}"}) for n in range(3)]
    assert codes == [200, 200, 429]


def test_the_served_opensearch_description_names_where_it_listens_not_the_host_header(server: str) -> None:
    request = urllib.request.Request(f"{server}/opensearch.xml", headers={"Host": "evil.example"})
    with urllib.request.urlopen(request, timeout=5) as response:
        body = response.read().decode()
    assert "evil.example" not in body and f'template="{server}/?q={{searchTerms}}"' in body


def test_health_exits_non_zero_on_anything_but_ok(tmp_path: Path) -> None:
    assert run(tmp_path, "ingest", str(SAMPLES / "shared")).returncode == 0
    ok = run(tmp_path, "health")
    assert ok.returncode == 0, ok.stdout + ok.stderr
    backend = TantivyBackend(tmp_path / "data" / "index")
    backend.delete(["UNEP-CBD-COP-12-11"])
    backend.refresh()
    current = backend.current_version()
    backend.close()
    short = run(tmp_path, "health")
    assert short.returncode == 5 and "(1 missing)" in short.stdout and "status: degraded" in short.stdout
    assert run(tmp_path, "reindex").returncode == 0
    assert run(tmp_path, "health").returncode == 0
    current = TantivyBackend(tmp_path / "data" / "index").current_version()
    assert current is not None
    shutil.rmtree(tmp_path / "data" / "index" / current)
    lost = run(tmp_path, "health")
    assert lost.returncode == 1 and "missing" in lost.stdout and "status: down" in lost.stdout
