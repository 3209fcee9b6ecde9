"""One error hierarchy, and one table saying what each cause means to an HTTP client and to a shell.

Every package's own exceptions (``SettingsError``, ``TmxError``, ``IndexUnavailable`` …) derive from
``ChmSearchError`` through the class of their *cause*: the input was bad, the thing is not there,
it changed meanwhile, another process holds it, the setup is wrong, a part the work needs is down,
the disk is full. The cause alone decides the HTTP status and error code the API answers with
(``search_api/errors.py`` has one exception handler for all of them) and the exit code of
``chm-search`` (``search_api/cli.main``); a class may name a more specific error code
(``invalid_edit``, ``catalogue_busy``) without changing the status. This module lives in the
lowest package so that every package may raise these without importing anything above it.

Two routes keep the wire format their protocol prescribes, whatever the cause: ``/oai`` answers
OAI-PMH ``<error code="...">`` documents (HTTP 200) and ``/libretranslate`` LibreTranslate's
``{"error": "..."}``; their own exceptions (``OaiError``, ``LtError``) never reach the handler.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import StrEnum

# Exit codes that are not an error's: the run finished, or a part of it did not.
EXIT_OK = 0
EXIT_PARTIAL = 1  # done, but some items failed (reindex with documents refused, imports with entries refused)
EXIT_DEGRADED = 5  # `health`: a cluster short of a node, an index whose documents differ from the catalogue
EXIT_INTERRUPTED = 130  # Ctrl-C: carry on with --resume


class Cause(StrEnum):
    """Why something failed, as far as a client or an operator can act on it."""

    BAD_INPUT = "bad_input"
    NOT_FOUND = "not_found"
    CONFLICT = "conflict"
    BUSY = "busy"
    LOCKED = "locked"
    CONFIGURATION = "configuration"
    CATALOGUE_UNAVAILABLE = "catalogue_unavailable"
    SEARCH_UNAVAILABLE = "search_unavailable"
    UNAVAILABLE = "unavailable"
    TRANSLATION_UNAVAILABLE = "translation_unavailable"
    SOURCE_FAILED = "source_failed"
    DISK_FULL = "disk_full"
    STORAGE_FAILED = "storage_failed"
    CATALOGUE_FAILED = "catalogue_failed"
    INTERNAL = "internal"
    UNAUTHORIZED = "unauthorized"
    RATE_LIMITED = "rate_limited"


@dataclass(frozen=True)
class Outcome:
    """What one cause becomes: the API's status and error code, the CLI's exit code and line."""

    status: int
    code: str
    exit_code: int
    label: str  # the CLI's line starts with it ("catalogue unavailable: ..."); the API's message too, unless "error"
    retry_after: int | None = None  # seconds, for a 503 a client may simply retry


# The one table (README "Exit codes and error codes" lists it; tests/guards/test_error_table.py
# checks the two agree).
OUTCOMES: dict[Cause, Outcome] = {
    Cause.BAD_INPUT: Outcome(422, "invalid_parameter", 2, "error"),
    Cause.NOT_FOUND: Outcome(404, "not_found", 1, "error"),
    Cause.CONFLICT: Outcome(409, "conflict", 1, "error"),
    Cause.BUSY: Outcome(503, "busy", 3, "error", retry_after=1),
    Cause.LOCKED: Outcome(503, "locked", 3, "error", retry_after=2),
    Cause.CONFIGURATION: Outcome(500, "configuration_error", 2, "error"),
    Cause.CATALOGUE_UNAVAILABLE: Outcome(503, "catalogue_unavailable", 3, "catalogue unavailable", retry_after=30),
    Cause.SEARCH_UNAVAILABLE: Outcome(503, "search_unavailable", 4, "search engine unavailable", retry_after=30),
    Cause.UNAVAILABLE: Outcome(503, "unavailable", 1, "unavailable", retry_after=30),
    Cause.TRANSLATION_UNAVAILABLE: Outcome(503, "translation_unavailable", 1, "error", retry_after=30),
    Cause.SOURCE_FAILED: Outcome(502, "source_failed", 1, "error"),
    Cause.DISK_FULL: Outcome(503, "storage_unavailable", 4, "disk full", retry_after=30),
    Cause.STORAGE_FAILED: Outcome(503, "storage_unavailable", 4, "storage failed", retry_after=30),
    Cause.CATALOGUE_FAILED: Outcome(503, "catalogue_error", 3, "catalogue failed", retry_after=30),
    Cause.INTERNAL: Outcome(500, "internal_error", 1, "error"),
    # The API's own refusals (its keys and rate limits); chm-search meets neither.
    Cause.UNAUTHORIZED: Outcome(401, "invalid_api_key", 2, "error"),
    Cause.RATE_LIMITED: Outcome(429, "rate_limited", 3, "error"),  # Retry-After: the client's own wait
}


class ChmSearchError(Exception):
    """The base of every error this project raises on purpose; its cause decides what a client sees.

    ``error_code``: a code more specific than the cause's (same status); ``http_status``: set
    only by errors that name their status themselves (the API's ``ApiError``)."""

    cause: Cause = Cause.INTERNAL
    error_code: str | None = None
    http_status: int | None = None

    @property
    def outcome(self) -> Outcome:
        return OUTCOMES[self.cause]

    @property
    def api_code(self) -> str:
        """The API's error code for this error."""
        return self.error_code or self.outcome.code

    @property
    def api_status(self) -> int:
        """The HTTP status for this error."""
        return self.http_status or self.outcome.status

    @property
    def exit_code(self) -> int:
        """``chm-search``'s exit code for this error."""
        return self.outcome.exit_code

    @property
    def retry_after(self) -> int | None:
        """Seconds a client should wait before trying again (``Retry-After``), if waiting helps."""
        return self.outcome.retry_after


class BadInput(ChmSearchError):
    """What was given (a parameter, a file, a body) cannot be used; the message says what to change."""

    cause = Cause.BAD_INPUT


class InvalidCursor(BadInput, ValueError):
    """A paging cursor a search cannot continue from (forged, expired, issued for another search
    or engine). The index refuses one whose values it cannot use, the API one it did not sign:
    either way the client is told why and to start again without it, by the one handler."""

    error_code = "invalid_cursor"

    def __init__(self, reason: str) -> None:
        super().__init__(f"cursor: {reason}; start again without it")
        self.reason = reason


class NotFound(ChmSearchError, LookupError):
    """The thing asked for does not exist (a record, a translation, a source)."""

    cause = Cause.NOT_FOUND


class Conflict(ChmSearchError):
    """The thing changed since it was read, or already exists in another shape."""

    cause = Cause.CONFLICT


class Busy(ChmSearchError):
    """Another process holds what this one needs (a lock, a worker slot); trying later succeeds."""

    cause = Cause.BUSY


class Locked(Busy):
    """Another process holds a lock this one needs for as long as its batch or run lasts (another
    writer of the catalogue, another worker on SQLite, another harvest of the same source)."""

    cause = Cause.LOCKED


class ConfigurationError(ChmSearchError):
    """The setup is wrong (a setting, a data file, hardware a setting asks for); the message names it."""

    cause = Cause.CONFIGURATION


class Unavailable(ChmSearchError):
    """A part the work depends on is down or unreachable; subclasses name which (catalogue, engine …)."""

    cause = Cause.UNAVAILABLE


class DiskFull(ChmSearchError):
    """Where the service writes has no room left; the message names the place and the bytes free."""

    cause = Cause.DISK_FULL


class InvalidApiKey(ChmSearchError):
    """An API key the service does not know (unknown or revoked), or one given where it may not be."""

    cause = Cause.UNAUTHORIZED


class RateLimited(ChmSearchError):
    """More requests than a client's limit allows; ``retry_after`` says when the next one will be."""

    cause = Cause.RATE_LIMITED

    def __init__(self, message: str, wait_seconds: float) -> None:
        super().__init__(message)
        self.wait_seconds = wait_seconds

    @property
    def retry_after(self) -> int:
        return retry_after_seconds(self.wait_seconds)


def retry_after_seconds(wait: float) -> int:
    """``Retry-After`` for a wait of ``wait`` seconds: whole seconds, rounded up, at least 1 (a
    client told 0 would retry at once and be refused again)."""
    return max(1, math.ceil(wait))
