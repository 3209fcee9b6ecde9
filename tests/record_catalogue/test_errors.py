"""The error hierarchy and its one table: each project error keeps its name and its old catches
(a ``TmxError`` is still a ``ValueError``), and gets the status, code and exit code of its cause."""

from __future__ import annotations

import pytest

from ingest.harvest.http_client import FetchError
from ingest.sources.extraction import ExtractionError
from record_catalogue.db import CatalogueBusy, CatalogueUnavailable, locked_out
from record_catalogue.errors import (
    OUTCOMES,
    BadInput,
    Cause,
    ChmSearchError,
    ConfigurationError,
    InvalidCursor,
    NotFound,
)
from record_catalogue.harvest_state import SourceBusy, SourceProblem
from record_catalogue.keys import KeyProblem
from record_catalogue.settings import SettingsError
from record_catalogue.work_queue import WorkerLockError
from search_api.cursors import CursorError
from search_api.errors import ApiError
from search_index.base import IndexBusy, IndexUnavailable
from search_index.query_text import QueryTextError
from search_index.vocabulary import VocabularyError
from translate.curation import InvalidEdit, VersionConflict
from translate.engines import ModelLoadError
from translate.hardware import HardwareError
from translate.packages import IndexUnreachable
from translate.tbx import TermbaseError
from translate.tmx import TmxError

# (error, HTTP status, API code, exit code): the exit codes README documented before the table.
EXPECTED = [
    (SettingsError("CHM_PORT: not a number"), 500, "configuration_error", 2),
    (HardwareError("CHM_TRANSLATE_DEVICE=cuda: no GPU"), 500, "configuration_error", 2),
    (VocabularyError("synonyms.csv:3: empty term"), 500, "configuration_error", 2),
    (KeyProblem("a key named 'x' exists already"), 422, "invalid_parameter", 2),
    (TmxError("not well-formed XML"), 422, "invalid_parameter", 2),
    (TermbaseError("unknown column(s) xx"), 422, "invalid_parameter", 2),
    (SourceProblem("unknown schema"), 422, "invalid_parameter", 2),
    (ExtractionError("encrypted PDF"), 422, "invalid_parameter", 2),
    (QueryTextError("too many terms"), 422, "invalid_query", 2),
    (CursorError("expired"), 422, "invalid_cursor", 2),
    (InvalidCursor("invalid cursor for this search"), 422, "invalid_cursor", 2),
    (InvalidEdit("empty text"), 422, "invalid_edit", 2),
    (NotFound("no translation with id 9"), 404, "not_found", 1),
    (CatalogueUnavailable("cannot connect"), 503, "catalogue_unavailable", 3),
    (CatalogueBusy("deadlocks"), 503, "catalogue_busy", 3),
    (WorkerLockError("another worker runs"), 503, "locked", 3),
    (SourceBusy("harvesting now"), 503, "locked", 3),
    (locked_out(Exception("database is locked")), 503, "catalogue_busy", 3),
    (IndexUnavailable("connection refused"), 503, "search_unavailable", 4),
    (IndexBusy("writer lock held"), 503, "search_unavailable", 4),
    (ModelLoadError("broken model"), 503, "translation_unavailable", 1),
    (IndexUnreachable("no network"), 503, "translation_unavailable", 1),
    (FetchError("https://example.org", "HTTP 500", transient=True), 502, "source_failed", 1),
    (ApiError(403, "forbidden", "wrong role"), 403, "forbidden", 2),
]


@pytest.mark.parametrize(("error", "status", "code", "exit_code"), EXPECTED, ids=lambda v: type(v).__name__)
def test_each_error_gets_its_causes_status_code_and_exit_code(
    error: ChmSearchError, status: int, code: str, exit_code: int
) -> None:
    assert (error.api_status, error.api_code, error.exit_code) == (status, code, exit_code)


def test_the_old_catches_still_catch() -> None:
    """Callers that caught ValueError or LookupError before the hierarchy still do."""
    for error in (TmxError("x"), TermbaseError("x"), HardwareError("x"), KeyProblem("x"), QueryTextError("x")):
        assert isinstance(error, ValueError) and isinstance(error, ChmSearchError)
    assert isinstance(NotFound("x"), LookupError)
    assert isinstance(CatalogueBusy("x"), CatalogueUnavailable)
    assert isinstance(IndexBusy("x"), IndexUnavailable)
    assert isinstance(SettingsError("x"), ConfigurationError) and isinstance(SourceProblem("x"), BadInput)


def test_version_conflict_is_a_conflict_with_its_own_code() -> None:
    assert VersionConflict.cause is Cause.CONFLICT and VersionConflict.error_code == "version_conflict"
    assert OUTCOMES[VersionConflict.cause].status == 409


def test_only_the_parts_being_down_may_be_retried() -> None:
    retried = {cause for cause, outcome in OUTCOMES.items() if outcome.retry_after is not None}
    assert all(OUTCOMES[cause].status == 503 for cause in retried)
    assert all(outcome.retry_after is not None for outcome in OUTCOMES.values() if outcome.status == 503)
