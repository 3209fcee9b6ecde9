"""Logging operators can use: one handler, plain text or one JSON object a line, a request id on each.

Every module logs through ``logging.getLogger(__name__)``, so a record's logger names its package
(``search_api.access``, ``ingest.pipeline``, ``translate.worker``) and an operator can turn one
package up or down. This module only decides where those records go and what they look like;
it lives in the catalogue package, the lowest layer, beside the settings that choose the format
(``CHM_LOG_FORMAT``, ``CHM_LOG_LEVEL``), so that every layer above may set the request id.

The request id is a context variable: the API's outermost middleware sets it for the request's
task (``search_api.request_log``), and every record logged while that request is served (in its
task, or in a worker thread Starlette runs for it, which copies the context) carries it, without
any function having to pass it along.

What may be logged at info: counts, ids, names, durations. Never an API key and never a
record's text (titles, summaries, full texts, queries): a log is kept longer and read by more
people than the catalogue's own tables.
"""

from __future__ import annotations

import json
import logging
import logging.config
import sys
import time
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal, TextIO

LogFormat = Literal["text", "json"]
LogLevel = Literal["DEBUG", "INFO", "WARNING", "ERROR"]

REQUEST_ID: ContextVar[str | None] = ContextVar("chm_request_id", default=None)
# Attributes every LogRecord has: anything else on a record came from ``extra=`` and is a field.
_STANDARD = frozenset(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {"message", "asctime", "request_id"}
# Libraries that log every request they make at info: an engine or HTTP call per line would
# drown the service's own records (their warnings still come through).
PROGRESS_SECONDS = 30.0  # between two progress lines of a long run
QUIET = ("elastic_transport", "opensearch", "elasticsearch", "httpx", "httpcore", "urllib3", "argostranslate", "stanza")


def request_id() -> str | None:
    """The id of the API request being served in this context, if any."""
    return REQUEST_ID.get()


def fields(record: logging.LogRecord) -> dict[str, Any]:
    """The structured fields a record was logged with (``extra=``), in the order given."""
    return {key: value for key, value in vars(record).items() if key not in _STANDARD and not key.startswith("_")}


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time (UTC), level, logger, message, request_id, the record's
    fields, and the traceback as ``exception``; a log shipper needs no pattern to read it."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        current = getattr(record, "request_id", None) or REQUEST_ID.get()
        if current:
            entry["request_id"] = current
        entry.update(fields(record))
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        if record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


class TextFormatter(logging.Formatter):
    """``time LEVEL logger: message [request id]`` for a person reading a terminal or a journal."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s: %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        current = getattr(record, "request_id", None) or REQUEST_ID.get()
        if current and record.exc_info is None:
            return f"{line} [request {current}]"
        if current:  # the traceback follows the first line: the id stays on it
            first, _, rest = line.partition("\n")
            return f"{first} [request {current}]\n{rest}"
        return line


class StderrHandler(logging.StreamHandler[TextIO]):
    """Writes to whatever ``sys.stderr`` is at the time of each record, so that a progress bar
    redirecting stderr (rich's) or a test capturing it gets the line rather than a stale stream."""

    def __init__(self) -> None:
        super().__init__(sys.stderr)

    @property
    def stream(self) -> TextIO:
        return sys.stderr

    @stream.setter
    def stream(self, _value: TextIO) -> None:
        pass


def logging_config(log_format: LogFormat, level: LogLevel) -> dict[str, Any]:
    """A ``logging.config.dictConfig`` dict: one handler on the root logger, in ``log_format``.

    Uvicorn takes the same dict (``log_config``) and applies it in each process it starts;
    its loggers go to the one handler; its access log is replaced by ``search_api.access``
    (which never writes a query's values, where readers' text and partner keys travel)."""
    formatter = JsonFormatter if log_format == "json" else TextFormatter
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"chm": {"()": f"{formatter.__module__}.{formatter.__qualname__}"}},
        "handlers": {"chm": {"()": f"{StderrHandler.__module__}.{StderrHandler.__qualname__}", "formatter": "chm"}},
        "root": {"level": level, "handlers": ["chm"]},
        "loggers": {
            "uvicorn": {"level": level, "handlers": [], "propagate": True},
            "uvicorn.error": {"level": level, "handlers": [], "propagate": True},
            "uvicorn.access": {"level": "WARNING", "handlers": [], "propagate": False},
            **{name: {"level": "WARNING", "handlers": [], "propagate": True} for name in QUIET},
        },
    }


class Every:
    """True at most once per ``seconds``: a long run's progress as a log line every so often,
    not one per batch (a million records would be two thousand lines saying little)."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.last = time.monotonic()

    def __call__(self) -> bool:
        now = time.monotonic()
        if now - self.last < self.seconds:
            return False
        self.last = now
        return True


@dataclass
class RunReport:
    """What the reports of long runs (``ingest.pipeline.IngestReport``,
    ``translate.worker.TranslateReport``) share: the clock started when the report is made, a
    count's rate, and the fields their outcome is logged with."""

    started: float = field(default_factory=time.monotonic, kw_only=True)

    @property
    def seconds(self) -> float:
        return time.monotonic() - self.started

    def per_second(self, count: int) -> float:
        """``count`` over the seconds so far (0 before any time has passed)."""
        seconds = self.seconds
        return count / seconds if seconds > 0 else 0.0

    def counts(self) -> dict[str, int]:
        """The run's counts as a log record's fields."""
        raise NotImplementedError

    def outcome_fields(self) -> dict[str, Any]:
        """The fields of the line that says how the run ended: its counts and its seconds."""
        return {"counts": self.counts(), "seconds": round(self.seconds, 3)}


def configure_logging(log_format: LogFormat, level: LogLevel) -> None:
    """Send every record of this process to stderr in ``log_format`` from ``level`` up."""
    logging.config.dictConfig(logging_config(log_format, level))
