"""What PostgreSQL shows that SQLite does not: a driver to install, text that cannot hold NUL, a
server that can go away under a running API. Each answer is the same on both catalogues, or a
clear message; never a traceback, a lost record or a 500."""

from __future__ import annotations

import contextlib
import json
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from analyzers.detect import LanguageDetector
from devservers.postgres import TemplateDatabases
from devtools.commands import CLI_ENTRY, clean_environment
from devtools.served import SERVE, serving
from ingest.pipeline import Pipeline
from ingest.sources.cbd_json import record_from_json
from record_catalogue.db import CatalogueUnavailable, catalogue_url, make_engine
from record_catalogue.keys import KeyStore
from record_catalogue.settings import Settings, load_settings
from record_catalogue.store import Catalogue
from search_api.app import create_app
from search_index.tantivy_backend import TantivyBackend
from tests.conftest import ROOT

NUL_RECORD = {
    "header": {"identifier": "NUL-1", "schema": "nationalTarget", "languages": ["en"]},
    "government": {"identifier": "br"},
    "title": {"en": "Protected\u0000 areas of the Amazon"},
    "description": {"en": "Forests\u0000 and rivers."},
}


def test_a_missing_driver_is_one_line(tmp_path: Path) -> None:
    """Without psycopg, ``chm-search`` on a PostgreSQL URL says what to install, in one line."""
    hide_psycopg = "import sys; sys.modules['psycopg'] = None; " + CLI_ENTRY
    environment = clean_environment(
        CHM_DATA_DIR=str(tmp_path), CHM_CATALOGUE_URL="postgresql://postgres@127.0.0.1:1/chm"
    )
    done = subprocess.run(
        [sys.executable, "-c", hide_psycopg, "ingest", str(ROOT / "samples" / "shared")],
        capture_output=True,
        text=True,
        env=environment,
        cwd=ROOT,
        timeout=120,
    )
    assert done.returncode == 3
    assert done.stderr.strip().splitlines() == [
        "catalogue unavailable: the PostgreSQL catalogue needs the psycopg driver, which is not installed: "
        "pip install 'chm-search[postgres]'"
    ]


def test_postgresql_urls_use_psycopg_and_other_drivers_are_named() -> None:
    assert catalogue_url("postgresql://u@h/db").drivername == "postgresql+psycopg"
    assert catalogue_url("postgresql+psycopg://u@h/db").drivername == "postgresql+psycopg"
    with pytest.raises(CatalogueUnavailable, match=r"driver is not installed .*chm-search\[postgres\]"):
        make_engine("postgresql+pg8000://u@h/db")


def test_nul_characters_are_removed_and_noted_on_both_catalogues(settings: Settings) -> None:
    """PostgreSQL refuses NUL in text ("PostgreSQL text fields cannot contain NUL"); SQLite takes it.
    One policy for both: removed on input, the record stored, the removal reported against it."""
    catalogue = Catalogue(settings.catalogue_dsn)
    backend = TantivyBackend(settings.index_dir)
    try:
        pipeline = Pipeline(catalogue, backend, LanguageDetector(settings.languages), settings.languages)
        doc = json.loads(json.dumps(NUL_RECORD))
        doc["header"]["identifier"] = "NUL\u0000-1"
        report = pipeline.run([record_from_json(doc, "push", "item 0")], run_id="nul")
        assert (report.created, report.errors) == (1, 1)
        [note] = catalogue.errors(run_id="nul")
        assert note.record_id == "NUL-1" and "NUL characters (U+0000) removed from id, title, summary" in note.reason
        row = catalogue.get("NUL-1")
        assert row is not None
        assert {t.text for t in row.texts} == {"Protected areas of the Amazon", "Forests and rivers."}
        again = pipeline.run([record_from_json(doc, "push", "item 0")], run_id="nul-again")
        assert (again.unchanged, again.errors) == (1, 0)  # the same input is the same record
        # an error report quoting NUL is kept too (without it)
        broken = {"header": {"identifier": "BAD\u0000", "schema": "no-such-schema\u0000"}, "title": {"en": "x"}}
        bad = pipeline.run([record_from_json(broken, "push\u0000", "item\u00001")], run_id="nul-bad")
        assert bad.errors == 1 and "\x00" not in repr(catalogue.errors(run_id="nul-bad"))
    finally:
        backend.close()
        catalogue.close()


def test_pushed_nul_is_removed_and_reported_to_the_partner(settings: Settings) -> None:
    catalogue = Catalogue(settings.catalogue_dsn)
    key = KeyStore(catalogue).create("Brazil CHM", "ingest")
    catalogue.close()
    with TestClient(create_app(settings)) as client:
        response = client.post("/api/v1/records", json=[NUL_RECORD], headers={"X-API-Key": key})
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["created"] == 1 and [e["record_id"] for e in body["errors"]] == ["NUL-1"]
        record = client.get("/api/v1/records/NUL-1").json()
        assert record["title"] == "Protected areas of the Amazon"


@pytest.fixture
def doomed(postgres: TemplateDatabases, tmp_path: Path) -> Iterator[tuple[TemplateDatabases, str, Settings]]:
    """A PostgreSQL catalogue the test may drop under a running API."""
    name, dsn = postgres.create("doomed")
    yield postgres, name, load_settings(data_dir=tmp_path / "data", es_url=None, catalogue_url=dsn)
    postgres.drop(name)


def test_a_catalogue_gone_under_the_api_is_a_503_with_the_error_body(
    doomed: tuple[TemplateDatabases, str, Settings],
) -> None:
    databases, name, settings = doomed
    catalogue = Catalogue(settings.catalogue_dsn)
    key = KeyStore(catalogue).create("Brazil CHM", "ingest")
    catalogue.close()
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        headers = {"X-API-Key": key}
        assert client.post("/api/v1/records", json=[NUL_RECORD], headers=headers).status_code == 200
        assert client.get("/api/v1/records/NUL-1").status_code == 200
        databases.drop(name)  # every connection cut, the database gone
        for response in (
            client.get("/api/v1/records/NUL-1"),
            client.post("/api/v1/records", json=[NUL_RECORD], headers=headers),
            client.post("/api/v1/records", json=[NUL_RECORD], headers={"X-API-Key": key + "x"}),  # not cached
        ):
            assert response.status_code == 503, response.text
            error = response.json()["error"]
            assert error["code"].startswith("catalogue_") and "catalogue" in error["message"]
            assert response.headers["Retry-After"]
        health = client.get("/api/v1/health")
        assert health.status_code == 503
        # the index is not the catalogue: search still answers
        assert client.get("/api/v1/search", params={"q": "amazon"}).json()["total"] == 1


@pytest.fixture
def two_servers(postgres: TemplateDatabases, tmp_path: Path) -> Iterator[tuple[str, list[str]]]:
    """Two ``chm-search serve`` processes on one PostgreSQL catalogue (and one data directory)."""
    name, dsn = postgres.create("api")
    environment = clean_environment(
        CHM_DATA_DIR=str(tmp_path / "data"), CHM_CATALOGUE_URL=dsn, CHM_RATE_LIMIT_ANONYMOUS="4"
    )
    try:
        with contextlib.ExitStack() as stack:
            # any answer: their health is a 503 until the empty index has records
            servers = [stack.enter_context(serving(SERVE, environment, any_answer=True)) for _ in range(2)]
            yield dsn, [f"{server.url}/api/v1" for server in servers]
    finally:
        postgres.drop(name)


def _get(url: str, key: str | None = None) -> int:
    request = urllib.request.Request(url, headers={"X-API-Key": key} if key else {})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return int(response.status)
    except urllib.error.HTTPError as exc:
        return int(exc.code)


def test_two_api_processes_share_rate_limits_and_keys(two_servers: tuple[str, list[str]]) -> None:
    """A partner allowed 6 requests a minute gets 6 from the two processes together, not 6 from each;
    a key created or revoked while they run is known to both."""
    dsn, (first, second) = two_servers
    catalogue = Catalogue(dsn)
    keys = KeyStore(catalogue)
    partner = keys.create("Peru CHM", "partner", rate_limit=6)
    revoked = keys.create("Old partner", "partner")
    keys.revoke("Old partner")
    catalogue.close()

    statuses = [_get(f"{base}/languages", partner) for base in [first, second] * 4]
    assert statuses == [200] * 6 + [429, 429], statuses
    assert [_get(f"{base}/languages", revoked) for base in (first, second)] == [401, 401]
    # anonymous callers share theirs too (CHM_RATE_LIMIT_ANONYMOUS=4)
    anonymous = [_get(f"{base}/languages") for base in [first, second] * 3]
    assert anonymous == [200] * 4 + [429, 429], anonymous


class _Deadlock(Exception):
    sqlstate = "40P01"


def test_a_deadlock_is_run_again_then_a_busy_catalogue() -> None:
    from sqlalchemy.exc import OperationalError

    from record_catalogue.db import CatalogueBusy, retrying

    calls: list[int] = []

    def deadlocks_twice() -> str:
        calls.append(1)
        if len(calls) <= 2:
            raise OperationalError("UPDATE records", {}, _Deadlock("deadlock detected"))
        return "stored"

    assert retrying(deadlocks_twice) == "stored" and len(calls) == 3

    def always() -> None:
        raise OperationalError("UPDATE records", {}, _Deadlock("deadlock detected"))

    with pytest.raises(CatalogueBusy, match="busy with concurrent writers"):
        retrying(always, attempts=3)
    with pytest.raises(OperationalError):  # anything else is not run again
        retrying(lambda: (_ for _ in ()).throw(OperationalError("SELECT 1", {}, Exception("gone"))))


def test_a_busy_catalogue_is_a_503_the_client_retries_soon(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    from record_catalogue.db import CatalogueBusy
    from record_catalogue.errors import OUTCOMES, Cause

    catalogue = Catalogue(settings.catalogue_dsn)
    key = KeyStore(catalogue).create("Brazil CHM", "ingest")
    catalogue.close()

    def busy(*_args: object, **_kwargs: object) -> None:
        raise CatalogueBusy("the catalogue is busy with concurrent writers (DeadlockDetected: deadlock); try again")

    monkeypatch.setattr(Catalogue, "store_batch", busy)
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        response = client.post("/api/v1/records", json=[NUL_RECORD], headers={"X-API-Key": key})
    # The wait is the error table's for a busy catalogue (a couple of seconds, not the 30 of an outage).
    assert response.status_code == 503 and response.headers["Retry-After"] == str(OUTCOMES[Cause.BUSY].retry_after)
    assert int(response.headers["Retry-After"]) <= 5
    assert response.json()["error"]["code"] == "catalogue_busy"
