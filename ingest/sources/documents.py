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
from ingest.sources.extraction import Extracted, ExtractionError, extract
from ingest.sources.plain_text import text_record
from record_catalogue.settings import get_settings

_HTML_TITLE = re.compile(r"<title[^>]*>(.*?)</title>", re.IGNORECASE | re.DOTALL)


# Titles that PDF producers write when the author gave none (word processors, converters,
# scanners): taken as the document's title they would title every such document alike.
_DEFAULT_TITLES = re.compile(
    r"^(?:untitled(?:\s+document)?(?:\s*\d+)?|title|document\d*|no title|sans titre|sin t[ií]tulo|"
    r"microsoft (?:word|powerpoint|excel) - .*|powerpoint presentation|slide \d+|scan(?:ned)?(?: document)?.*)$",
    re.IGNORECASE,
)


def producer_default(title: str | None, path: Path) -> bool:
    """Whether a PDF's metadata title is no title: empty, a producer's default ("Untitled",
    "Microsoft Word - report.docx") or the file's own name. Then its first heading titles it."""
    if title is None or not title.strip():
        return True
    name = title.strip().strip('"').casefold()
    file_names = {path.name.casefold(), path.stem.casefold()}
    stems = {name, name.rsplit(".", 1)[0]}
    return bool(_DEFAULT_TITLES.match(name)) or not stems.isdisjoint(file_names)


def _extracted(kind: str, path: Path, no_text: str) -> Extracted | SourceError:
    """What ``extract`` read from ``path``, or why there is nothing to index: the extraction failed
    (the error says how), or it found no text (``no_text``, which may name the ``{pages}``)."""
    try:
        found = extract(kind, path)
    except ExtractionError as exc:
        return SourceError(str(path), "", str(exc))
    if not found.text.strip():
        return SourceError(str(path), "", no_text.format(pages=found.pages))
    return found


def read_pdf(path: Path, realm_hint: str | None = None) -> Iterator[SourceItem]:
    """The text layer of a PDF, page by page (read in a child process, within a budget)."""
    found = _extracted("pdf", path, "PDF has no text layer ({pages} page(s) of images?); OCR it first")
    if isinstance(found, SourceError):
        yield found
        return
    yield text_record(path, found.text, realm_hint, title=None if producer_default(found.title, path) else found.title)


def read_docx(path: Path, realm_hint: str | None = None) -> Iterator[SourceItem]:
    """The paragraphs of a Word document (its XML read directly, in a child process, within a budget)."""
    found = _extracted("docx", path, "DOCX has no text")
    if isinstance(found, SourceError):
        yield found
        return
    yield text_record(path, found.text, realm_hint)


def main_text(page: str) -> str:
    """An HTML page's main content, without its navigation, menus, sidebars and footers: what the
    page says, not what every page of its site repeats. trafilatura (a maintained main-content
    extractor) decides; "" when it finds no main content (a page that is all list, say)."""
    import trafilatura  # imported on first use: a run without HTML files does not pay for it

    extracted = trafilatura.extract(page, include_comments=False, include_tables=True, favor_precision=True)
    return extracted or ""


def read_html(path: Path, realm_hint: str | None = None) -> Iterator[SourceItem]:
    """An HTML page's main text (``main_text``; all its text when it has no main content),
    titled by its <title>."""
    source = str(path)
    content = read_text_file(path, max_chars=4 * get_settings().max_record_chars)  # markup around the text
    if isinstance(content, SourceError):
        yield content
        return
    match = _HTML_TITLE.search(content)
    body = _HTML_TITLE.sub(" ", content)
    text = main_text(body) or html_to_text(body)
    if not text.strip():
        yield SourceError(source, "", "HTML page has no text")
        return
    yield text_record(path, text, realm_hint, title=html_to_text(match.group(1)) if match else None)
