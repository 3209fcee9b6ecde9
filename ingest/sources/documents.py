"""Documents as files: PDF, DOCX and HTML become CHM records with their text extracted.

Each gives one record like a plain-text file does (see ``plain_text``): the file name decides the
id and, when it looks like a CBD symbol, the schema. What cannot be read says why: an encrypted
PDF, a PDF with no text layer (a scan), a damaged DOCX.
"""

from __future__ import annotations

import re
import zipfile
from collections.abc import Iterator
from pathlib import Path
from xml.etree import ElementTree

from ingest.html_text import html_to_text
from ingest.sources import SourceError, SourceItem, read_text_file
from ingest.sources.plain_text import text_record

MAX_PDF_PAGES = 2000
W_NS = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_HTML_TITLE = re.compile(r"<title[^>]*>(.*?)</title>", re.IGNORECASE | re.DOTALL)


def read_pdf(path: Path, realm_hint: str | None = None) -> Iterator[SourceItem]:
    """The text layer of a PDF, page by page."""
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    source = str(path)
    try:
        reader = PdfReader(path)
        if reader.is_encrypted:
            yield SourceError(source, "", "PDF is encrypted; ask for an unprotected copy")
            return
        pages = reader.pages
        if len(pages) > MAX_PDF_PAGES:
            yield SourceError(source, "", f"PDF has {len(pages)} pages (limit {MAX_PDF_PAGES})")
            return
        texts = [page.extract_text() or "" for page in pages]
    except (PdfReadError, ValueError, KeyError, OSError) as exc:
        yield SourceError(source, "", f"PDF cannot be read: {exc}")
        return
    text = "\n\n".join(t for t in texts if t.strip())
    if not text.strip():
        yield SourceError(source, "", f"PDF has no text layer ({len(texts)} page(s) of images?); OCR it first")
        return
    title = reader.metadata.title if reader.metadata and reader.metadata.title else None
    yield text_record(path, text, realm_hint, title=title)


def read_docx(path: Path, realm_hint: str | None = None) -> Iterator[SourceItem]:
    """The paragraphs of a Word document (its XML read directly: no converter needed)."""
    source = str(path)
    try:
        with zipfile.ZipFile(path) as archive:
            xml = archive.read("word/document.xml")
        root = ElementTree.fromstring(xml)
    except (zipfile.BadZipFile, KeyError, ElementTree.ParseError, OSError) as exc:
        yield SourceError(source, "", f"DOCX cannot be read (not a Word document or damaged): {exc}")
        return
    paragraphs = ["".join(node.text or "" for node in p.iter(f"{W_NS}t")) for p in root.iter(f"{W_NS}p")]
    text = "\n".join(paragraphs)
    if not text.strip():
        yield SourceError(source, "", "DOCX has no text")
        return
    yield text_record(path, text, realm_hint)


def read_html(path: Path, realm_hint: str | None = None) -> Iterator[SourceItem]:
    """An HTML page's text (scripts and styles dropped), titled by its <title>."""
    source = str(path)
    content = read_text_file(path)
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
