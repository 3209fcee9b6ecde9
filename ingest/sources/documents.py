"""Documents as files: PDF, DOCX and HTML become CHM records with their text extracted.

Each gives one record like a plain-text file does (see ``plain_text``): the file name decides the
id and, when it looks like a CBD symbol, the schema. What cannot be read says why: an encrypted
PDF, a PDF with no text layer (a scan), a damaged DOCX.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

from ingest.html_text import html_to_text
from ingest.sources import SourceError, SourceItem, read_text_file
from ingest.sources.extraction import ExtractionError, extract
from ingest.sources.plain_text import text_record
from record_catalogue.settings import get_settings

_HTML_TITLE = re.compile(r"<title[^>]*>(.*?)</title>", re.IGNORECASE | re.DOTALL)


def read_pdf(path: Path, realm_hint: str | None = None) -> Iterator[SourceItem]:
    """The text layer of a PDF, page by page (read in a child process, within a budget)."""
    source = str(path)
    try:
        found = extract("pdf", path)
    except ExtractionError as exc:
        yield SourceError(source, "", str(exc))
        return
    if not found.text.strip():
        yield SourceError(source, "", f"PDF has no text layer ({found.pages} page(s) of images?); OCR it first")
        return
    yield text_record(path, found.text, realm_hint, title=found.title)


def read_docx(path: Path, realm_hint: str | None = None) -> Iterator[SourceItem]:
    """The paragraphs of a Word document (its XML read directly, in a child process, within a budget)."""
    source = str(path)
    try:
        found = extract("docx", path)
    except ExtractionError as exc:
        yield SourceError(source, "", str(exc))
        return
    if not found.text.strip():
        yield SourceError(source, "", "DOCX has no text")
        return
    yield text_record(path, found.text, realm_hint)


def read_html(path: Path, realm_hint: str | None = None) -> Iterator[SourceItem]:
    """An HTML page's text (scripts and styles dropped), titled by its <title>."""
    source = str(path)
    content = read_text_file(path, max_chars=4 * get_settings().max_record_chars)  # markup around the text
    if isinstance(content, SourceError):
        yield content
        return
    match = _HTML_TITLE.search(content)
    body = _HTML_TITLE.sub(" ", content)
    text = html_to_text(body)
    if not text.strip():
        yield SourceError(source, "", "HTML page has no text")
        return
    yield text_record(path, text, realm_hint, title=html_to_text(match.group(1)) if match else None)
