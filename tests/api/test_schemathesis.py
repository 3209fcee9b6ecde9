"""Schemathesis against the app's own OpenAPI (issue 13, item 8): every operation, without a key
and with one, valid and invalid data, with its checks of status codes, content types, response
schemas and headers, and of server errors: no failure.

Bounded (a few dozen examples an operation and mode, derandomised: the same cases every run) so
that it takes well under a minute an engine. Runs on the embedded engine with SQLite and on
OpenSearch with PostgreSQL (``tests/engines.py``: ``stack``). One check is left out:
``positive_data_acceptance`` expects every schema-valid request to succeed, but some validity is
not a schema's to say (a cursor is valid only if this service signed it; page x size is bounded,
not page and size alone; a record's texts are bounded in total) and those answer 422 by design.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable

from analyzers.detect import LanguageDetector
from ingest.pipeline import Pipeline
from ingest.sources.files import read_path
from record_catalogue.keys import KeyStore
from record_catalogue.settings import load_settings
from record_catalogue.store import Catalogue
from search_api.app import create_app
from search_index.factory import get_backend
from tests.conftest import SAMPLES
from tests.engines import drop_server_index

EXAMPLES = 15
EXCLUDED_CHECKS = [schemathesis.checks.positive_data_acceptance]


@pytest.fixture
def fuzzed_app(tmp_path: Path, stack: dict[str, Any]) -> Iterator[tuple[FastAPI, str]]:
    """An app on the shared samples (its own catalogue and index: fuzzed pushes land there), and an admin key."""
    config = load_settings(
        data_dir=tmp_path / "data",
        rate_limit_anonymous=1_000_000,
        rate_limit_failed_keys=1_000_000,  # made-up keys are part of the run
        **stack,
    )
    catalogue = Catalogue(config.catalogue_dsn)
    backend = get_backend(config)
    Pipeline(catalogue, backend, LanguageDetector(), config.languages).run(read_path(SAMPLES / "shared"))
    key = KeyStore(catalogue).create("schemathesis", "admin", rate_limit=1_000_000)
    backend.close()
    catalogue.close()
    app = create_app(config)
    try:
        with TestClient(app):
            yield app, key
    finally:
        drop_server_index(config)


def _fuzz(operation: Any, mode: schemathesis.GenerationMode, headers: dict[str, str]) -> str | None:
    """Run one operation's examples in one mode; what failed, or None."""

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        derandomize=True,
        suppress_health_check=list(HealthCheck),
        phases=[Phase.explicit, Phase.generate],
    )
    def conforms(case: schemathesis.Case) -> None:
        case.call_and_validate(headers=headers, excluded_checks=EXCLUDED_CHECKS)

    try:
        conforms()
    except Unsatisfiable:
        if mode is schemathesis.GenerationMode.POSITIVE:
            raise
        return None  # nothing to make invalid (no parameters, no body)
    except (AssertionError, schemathesis.checks.FailureGroup, schemathesis.errors.SchemathesisError) as exc:
        keyed = "with a key" if headers else "without a key"
        return f"{operation.label} ({mode.value}, {keyed}):\n{exc}"
    return None


def _needs_key(operation: Any) -> bool:
    """Whether the key is required: invalid data for such an operation includes a missing key,
    which the key this test adds would put back (so those run without it)."""
    return {"ApiKey": []} in operation.definition.raw.get("security", []) and {} not in operation.definition.raw.get(
        "security", []
    )


def test_the_api_conforms_to_its_openapi(fuzzed_app: tuple[FastAPI, str]) -> None:
    app, key = fuzzed_app
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 11
    failures = [
        failure
        for operation in operations
        for mode in (schemathesis.GenerationMode.POSITIVE, schemathesis.GenerationMode.NEGATIVE)
        for headers in ({}, {"X-API-Key": key})
        if not (mode is schemathesis.GenerationMode.NEGATIVE and headers and _needs_key(operation))
        if (failure := _fuzz(operation, mode, headers)) is not None
    ]
    assert not failures, "\n\n".join(failures)
