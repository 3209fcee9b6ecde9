"""Development and test servers the suite starts itself (PostgreSQL, OpenSearch); never part of the package."""

from __future__ import annotations

from pathlib import Path


def log_tail(path: Path, lines: int, missing: str = "") -> str:
    """The last ``lines`` lines of a server's log, for the error that says why it did not start
    (``missing`` when the log cannot be read)."""
    try:
        return "\n".join(path.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:])
    except OSError:
        return missing
