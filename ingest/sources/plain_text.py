"""Plain-text documents (``.txt``): one file, one record of the CHM.

A file named like a CBD document symbol (``UNEP-CBD-COP-12-11.txt``) is a meeting document;
anything else is a library resource. The first non-empty line is the title.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

from ingest.html_text import normalise_space
from ingest.sources import SourceError, SourceItem, read_text_file
from record_catalogue.realms import realm_catalog
from record_catalogue.record import Record
from record_catalogue.settings import get_settings

SYMBOL_FILENAME = re.compile(r"^(?:UNEP-)?CBD-[A-Z]", re.IGNORECASE)
MAX_TITLE = 300


def read_plain_text(path: Path, realm_hint: str | None = None) -> Iterator[SourceItem]:
    """The record of one text file."""
    source = str(path)
    content = read_text_file(path, max_chars=get_settings().max_record_chars)
    if isinstance(content, SourceError):
        yield content
        return
    if not normalise_space(content.replace("\x00", "")):
        yield SourceError(source, "", "file is empty")
        return
    yield text_record(path, content, realm_hint)


def text_record(path: Path, content: str, realm_hint: str | None, title: str | None = None) -> SourceItem:
    """One file's text as a CHM record (any file type: text, PDF, DOCX, HTML).

    A file's text is one field of its record: ``CHM_MAX_RECORD_CHARS`` bounds it (a document's
    length is what it is; ``CHM_MAX_FIELD_CHARS`` is for the fields of structured records)."""
    source = str(path)
    text = normalise_space(content.replace("\x00", ""))
    limit = get_settings().max_record_chars
    if len(text) > limit:
        return SourceError(source, "", f"text has {len(text):,} characters (limit {limit:,}, CHM_MAX_RECORD_CHARS)")
    is_document = bool(SYMBOL_FILENAME.match(path.stem))
    schema = "meetingDocument" if is_document else "resource"
    try:
        info = realm_catalog().resolve(schema, realm_hint or "CHM")
    except ValueError as exc:
        return SourceError(source, "", str(exc))
    first_line = title.strip() if title and title.strip() else next(line for line in text.splitlines() if line.strip())
    symbol = path.stem.replace("-", "/") if is_document else None
    full_title = f"{symbol}: {first_line.strip()}" if symbol else first_line.strip()
    record_id = re.sub(r"[^A-Za-z0-9_.\-]+", "-", path.stem).strip("-") or "document"
    # The language is not declared: "und" marks it for detection in the pipeline.
    return Record(
        id=record_id,
        realm=info.realm,  # type: ignore[arg-type]
        schema_name=info.name,
        title={"und": full_title[:MAX_TITLE]},
        text={"und": text},
        url=realm_catalog().record_url(info.realm, info.name, record_id),
        symbol=symbol,
        source=source,
        source_position="",
    )
