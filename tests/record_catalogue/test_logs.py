"""The log format operators choose (CHM_LOG_FORMAT): text for people, one JSON object a line for
shippers, with the request id and the record's fields on each line."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator

import pytest

from record_catalogue.logs import REQUEST_ID, Every, configure_logging
from record_catalogue.settings import SettingsError, load_settings
from tests.logging_state import logging_restored


@pytest.fixture
def restored() -> Iterator[None]:
    with logging_restored():
        yield


def lines(captured: str) -> list[str]:
    return [line for line in captured.splitlines() if line]


def test_json_lines_parse_and_carry_the_request_id_and_fields(
    restored: None, capsys: pytest.CaptureFixture[str]
) -> None:
    configure_logging("json", "INFO")
    log = logging.getLogger("ingest.pipeline")
    token = REQUEST_ID.set("abc123")
    try:
        log.info("ingest run %s finished", "r1", extra={"run_id": "r1", "counts": {"created": 3}})
    finally:
        REQUEST_ID.reset(token)
    log.debug("not at info")
    try:
        raise ValueError("broken\nacross lines")
    except ValueError:
        log.exception("it failed")
    logging.getLogger("elastic_transport.transport").info("POST http://node:9200/_bulk [status:200]")
    [first, second] = [json.loads(line) for line in lines(capsys.readouterr().err)]
    assert first["message"] == "ingest run r1 finished" and first["level"] == "INFO"
    assert first["logger"] == "ingest.pipeline" and first["request_id"] == "abc123"
    assert first["run_id"] == "r1" and first["counts"] == {"created": 3} and first["time"].endswith("+00:00")
    assert second["level"] == "ERROR" and "request_id" not in second
    assert "ValueError: broken\nacross lines" in second["exception"]


def test_text_lines_name_the_request(restored: None, capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging("text", "WARNING")
    log = logging.getLogger("search_api.auth")
    token = REQUEST_ID.set("feed42")
    try:
        log.warning("cannot record the use of key %r", "partner-1")
        log.info("below the level")
    finally:
        REQUEST_ID.reset(token)
    [line] = lines(capsys.readouterr().err)
    assert line.endswith("WARNING search_api.auth: cannot record the use of key 'partner-1' [request feed42]")


def test_the_settings_accept_either_case_and_refuse_others() -> None:
    assert load_settings(log_format="JSON", log_level="info").log_format == "json"
    assert load_settings(log_level="debug").log_level == "DEBUG"
    assert load_settings().log_level is None
    with pytest.raises(SettingsError, match="CHM_LOG_FORMAT"):
        load_settings(log_format="xml")
    with pytest.raises(SettingsError, match="CHM_LOG_LEVEL"):
        load_settings(log_level="loud")


def test_progress_is_due_once_per_interval() -> None:
    due = Every(3600)
    assert not due()
    due.last -= 3600
    assert due() and not due()
