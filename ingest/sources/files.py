"""Paths to records: a file by its suffix, a directory recursively, in a stable order."""

from __future__ import annotations

import hashlib
import json
import re
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path

from ingest.sources import SourceError, SourceItem
from ingest.sources.cbd_json import read_cbd_json
from ingest.sources.documents import read_docx, read_html, read_pdf
from ingest.sources.plain_text import read_plain_text
from record_catalogue.realms import realm_catalog
from record_catalogue.record import Record

_ID_CHARS = re.compile(r"[^A-Za-z0-9_.\-]+")
MAX_ID = 200

Reader = Callable[[Path, "str | None"], Iterator[SourceItem]]
READERS: dict[str, Reader] = {
    ".json": read_cbd_json,
    ".jsonl": read_cbd_json,
    ".ndjson": read_cbd_json,
    ".txt": read_plain_text,
    ".pdf": read_pdf,
    ".docx": read_docx,
    ".html": read_html,
    ".htm": read_html,
}


def discover(path: Path) -> Iterator[Path]:
    """Files under ``path`` (itself if a file), sorted so that positions are reproducible.

    Hidden files are skipped; every other file is read or reported as unsupported, and so is
    anything that is not a regular file (a pipe or a device would block a reader or never end).
    """
    if path.is_dir():
        for child in sorted(path.rglob("*")):
            if not child.name.startswith(".") and not child.is_dir():
                yield child
    else:
        yield path


def read_path(path: Path, realm_hint: str | None = None, defer: bool = False) -> Iterator[SourceItem]:
    """Every record (or error) found at ``path``.

    ``defer``: JSON-lines dumps (the one format that holds records by the hundred thousand) give
    their lines ``Unparsed``, for the ingest pipeline to parse in its worker processes.
    """
    if not path.exists():
        yield SourceError(str(path), "", "no such file or directory")
        return
    taken_twice = _names_taken_twice(path)
    for file in discover(path):
        reader = READERS.get(file.suffix.lower())
        if not file.is_file():
            kind = "a broken symbolic link" if not file.exists() else "not a regular file (a pipe, socket or device)"
            yield SourceError(str(file), "", f"{kind}; not read")
            continue
        if reader is None:
            yield SourceError(
                str(file),
                "",
                f"unsupported file type {file.suffix or '(none)'}; supported: {', '.join(sorted(READERS))}",
            )
            continue
        if reader is read_cbd_json:
            items = read_cbd_json(file, realm_hint, defer)
        else:
            items = _named_by_folder(path, file, reader(file, realm_hint), taken_twice)
        yield from _guarded(file, items)


def _names_taken_twice(root: Path) -> set[str]:
    """The record ids that two document files under ``root`` would both take (their names)."""
    if not root.is_dir():
        return set()
    names = Counter(
        _plain_id(file.stem) for file in discover(root) if READERS.get(file.suffix.lower()) not in (None, read_cbd_json)
    )
    return {name for name, count in names.items() if count > 1}


def _plain_id(stem: str) -> str:
    return _ID_CHARS.sub("-", stem).strip("-") or "document"


def _named_by_folder(
    root: Path, file: Path, items: Iterator[SourceItem], taken_twice: set[str]
) -> Iterator[SourceItem]:
    """A document file's record id is its name; when two files of the directory ingested have one
    name (``a/report.txt``, ``b/report.txt``), their folders name them too (``a-report``,
    ``b-report``): two records, never one overwriting the other. Every other file keeps its name."""
    for item in items:
        if isinstance(item, Record) and item.id in taken_twice:
            record_id = _plain_id("-".join([*file.relative_to(root).parent.parts, item.id]))
            if len(record_id) > MAX_ID:
                digest = hashlib.sha256(str(file.relative_to(root)).encode()).hexdigest()[:16]
                record_id = f"{item.id[: MAX_ID - 17]}-{digest}"
            url = realm_catalog().record_url(item.realm, item.schema_name, record_id)
            item = item.model_copy(update={"id": record_id, "url": url})
        yield item


def _guarded(file: Path, items: Iterator[SourceItem]) -> Iterator[SourceItem]:
    """A reader's items; should it fail (a bug, a library's error no reader expected), that file
    gets an error with the reason and the run goes on with the next file."""
    count = 0
    try:
        for item in items:
            count += 1
            yield item
    except Exception as exc:  # the file's error, never the run's (RecursionError included)
        after = f" after {count} item(s)" if count else ""
        yield SourceError(str(file), "", f"could not be read{after} ({exc.__class__.__name__}: {exc})")


def count_items(path: Path) -> int:
    """How many items ``read_path`` will yield, cheaply (for the progress bar's ETA)."""
    if not path.exists():
        return 1
    total = 0
    for file in discover(path):
        suffix = file.suffix.lower()
        if not file.is_file():
            total += 1
        elif suffix in (".jsonl", ".ndjson"):
            try:
                with file.open("rb") as handle:
                    total += max(1, sum(1 for line in handle if line.strip()))
            except OSError:
                total += 1
        elif suffix == ".json":
            try:
                with file.open("rb") as handle:
                    head = handle.read(4096).lstrip(b"\xef\xbb\xbf \t\r\n")
            except OSError:
                head = b""
            total += _array_length(file) if head.startswith(b"[") else 1
        else:
            total += 1
    return total


def _array_length(file: Path) -> int:
    try:
        loaded = json.loads(file.read_bytes())
    except (ValueError, OSError, RecursionError, MemoryError):  # read_path reports what is wrong
        return 1
    return len(loaded) if isinstance(loaded, list) and loaded else 1
