"""Several API processes (``chm-search serve --workers N``, the default on a machine with more than
one core) hold a client to one limit, on either catalogue: two apps stand for two processes here
(each has its own ``ClientLimits``), ``test_served`` runs the real multi-process server."""

from __future__ import annotations

import logging
import secrets
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from record_catalogue.dialect import sqlite_file
from record_catalogue.settings import Settings
from search_api.app import create_app


def _address() -> tuple[str, int]:
    """An address of this test only (on PostgreSQL the buckets outlive an app in the catalogue)."""
    return (f"198.18.{secrets.randbelow(250)}.{secrets.randbelow(250)}", 4000)


def test_two_api_processes_allow_a_client_its_limit_once(settings: Settings) -> None:
    limited = settings.model_copy(update={"rate_limit_anonymous": 4})
    address = _address()
    with (
        TestClient(create_app(limited), client=address) as first,
        TestClient(create_app(limited), client=address) as second,
    ):
        codes = [(first if n % 2 else second).get("/api/v1/languages").status_code for n in range(7)]
        assert codes == [200, 200, 200, 200, 429, 429, 429]
        refused = first.get("/api/v1/languages")
        assert refused.json()["error"]["code"] == "rate_limited" and int(refused.headers["retry-after"]) >= 1
        # Another address has its own bucket, and health is never limited.
        assert second.get("/api/v1/health").status_code in (200, 503)
    with TestClient(create_app(limited), client=_address()) as other:
        assert other.get("/api/v1/languages").status_code == 200


def test_a_bucket_file_that_cannot_be_used_leaves_each_process_limiting_alone(
    settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    database = sqlite_file(settings.catalogue_dsn)
    if database is None:
        pytest.skip("the bucket file is a SQLite catalogue's (PostgreSQL keeps the buckets in the catalogue)")
    Path(database).parent.mkdir(parents=True, exist_ok=True)
    Path(f"{database}-ratelimits").mkdir()  # not a file: opening it fails
    limited = settings.model_copy(update={"rate_limit_anonymous": 2})
    with caplog.at_level(logging.WARNING, "search_api.limits"), TestClient(create_app(limited)) as client:
        codes = [client.get("/api/v1/languages").status_code for _ in range(4)]
    assert codes == [200, 200, 429, 429]  # still limited, by this process's own buckets
    warnings = [r.getMessage() for r in caplog.records if "rate-limit file" in r.getMessage()]
    assert len(warnings) == 1 and "limiting in this process" in warnings[0]  # said once, not per request
