"""Text extraction from PDF and DOCX files, in a child process with a budget per document.

A document is the one input whose cost the file size does not tell: a 300 KB PDF can inflate
to gigabytes, hold a page tree of a million kids or structures nested past Python's recursion
limit, or take forty minutes of CPU over 1,999 heavy pages; a DOCX of a few kilobytes can
inflate to gigabytes. pypdf's own checks catch some of this, not all of it, and nothing bounds
the time or memory a library call takes inside the ingest process. So each document is read
by a fresh Python process (``python -m ingest.sources.extraction``) that sets its own limits
before touching the file, and whatever happens to it (an exception, the CPU or memory limit,
a crash) becomes that file's error with its reason while the ingest goes on:

- pages (``CHM_EXTRACT_MAX_PAGES``): a PDF's declared and actual page count;
- inflated bytes (``CHM_EXTRACT_MAX_BYTES``): each PDF stream's decoded size (pypdf's limits set
  to it), a DOCX's ``word/document.xml`` by the size its zip entry declares, before inflating;
- seconds (``CHM_EXTRACT_MAX_SECONDS``): CPU time of the child (``RLIMIT_CPU``), and twice that
  in wall-clock time (the parent kills it);
- memory (``CHM_EXTRACT_MAX_MEMORY_MB``): the child's address space (``RLIMIT_AS``);
- text (``CHM_MAX_RECORD_CHARS``): extraction stops once the text is longer than a record may be.

The child ends with its parent (``ingest.lifeline``): killing an ingest leaves none behind.
"""

from __future__ import annotations

import json
import math
import os
import resource
import signal
import subprocess
import sys
import zipfile
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

from record_catalogue.settings import Settings, get_settings

W_NS = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
DOCX_BODY = "word/document.xml"
STARTUP_SECONDS = 10.0  # a child's interpreter start and imports, on a busy machine


@dataclass(frozen=True)
class Budget:
    """What extracting one document may cost (settings ``CHM_EXTRACT_*``, ``CHM_MAX_RECORD_CHARS``)."""

    pages: int
    inflated_bytes: int
    seconds: float
    memory_mb: int
    chars: int

    @classmethod
    def from_settings(cls, settings: Settings | None = None) -> Budget:
        settings = settings or get_settings()
        return cls(
            settings.extract_max_pages,
            settings.extract_max_bytes,
            settings.extract_max_seconds,
            settings.extract_max_memory_mb,
            settings.max_record_chars,
        )


@dataclass(frozen=True)
class Extracted:
    """A document's text, and its title where the file declares one."""

    text: str
    title: str | None
    pages: int


class ExtractionError(Exception):
    """The document cannot be read; the message says why, for the ingest error report."""


def extract(kind: str, path: Path, budget: Budget | None = None) -> Extracted:
    """The text of a ``pdf`` or ``docx`` file, read in a child process within ``budget``.

    Raises ``ExtractionError`` with the reason when the file cannot be read or would cost more.
    """
    budget = budget or Budget.from_settings()
    request = json.dumps({"kind": kind, "path": str(path), "budget": asdict(budget), "owner": os.getpid()})
    wall = budget.seconds * 2 + STARTUP_SECONDS
    seconds = f"{budget.seconds:g} s of extraction (CHM_EXTRACT_MAX_SECONDS)"
    try:
        done = subprocess.run(
            [sys.executable, "-m", "ingest.sources.extraction"],
            input=request.encode("utf-8", "surrogateescape"),
            capture_output=True,
            timeout=wall,
            check=False,
            env={**os.environ, "PYTHONHASHSEED": "0"},
        )
    except subprocess.TimeoutExpired:
        raise ExtractionError(f"{kind.upper()} takes longer than {seconds}; not read") from None
    if done.returncode == -signal.SIGXCPU or (done.returncode == -signal.SIGKILL and not done.stdout):
        raise ExtractionError(f"{kind.upper()} takes longer than {seconds}; not read")
    if done.returncode < 0:
        raise ExtractionError(f"reading the {kind.upper()} crashed ({signal.Signals(-done.returncode).name}); not read")
    try:
        answer = json.loads(done.stdout)
    except ValueError:
        last = done.stderr.decode("utf-8", "replace").strip().splitlines()[-1:] or ["no output"]
        raise ExtractionError(f"reading the {kind.upper()} failed: {last[0][:300]}") from None
    if "error" in answer:
        raise ExtractionError(str(answer["error"]))
    return Extracted(answer["text"], answer.get("title"), int(answer.get("pages", 0)))


# -- the child ---------------------------------------------------------------------------------


def _limit_self(budget: Budget) -> None:
    """Bound this process before it reads anything: CPU seconds, address space, no files written."""
    cpu = max(1, math.ceil(budget.seconds))
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))
    memory = budget.memory_mb * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    resource.setrlimit(resource.RLIMIT_FSIZE, (0, 0))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


def _pdf(path: Path, budget: Budget) -> dict[str, Any]:
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError, PyPdfError

    try:  # pypdf 7: its limits on inflated streams, set to the budget
        from pypdf import overwrite_configuration

        limit = budget.inflated_bytes
        overwrite_configuration(
            maximum_declared_stream_length=limit,
            array_based_stream_maximum_output_length=limit,
            jbig2_maximum_output_length=limit,
            lzw_maximum_output_length=limit,
            run_length_maximum_output_length=limit,
            zlib_maximum_output_length=limit,
            brotli_maximum_output_length=limit,
            image_maximum_buffer_size=limit,
            stream_decoding_work_maximum_length=max(limit, 4 * limit),
        )
    except ImportError:  # older pypdf: memory and time still bound it
        pass
    try:
        reader = PdfReader(path)
        if reader.is_encrypted:
            return {"error": "PDF is encrypted; ask for an unprotected copy"}
        declared = _declared_pages(reader)
        if declared is not None and declared > budget.pages:
            return {"error": _too_many_pages(declared, budget)}
        pages = reader.pages
        if len(pages) > budget.pages:
            return {"error": _too_many_pages(len(pages), budget)}
        texts: list[str] = []
        length = 0
        for page in pages:
            text = page.extract_text() or ""
            length += len(text)
            if length > budget.chars:
                return {"error": _too_long(budget)}
            texts.append(text)
        title = reader.metadata.title if reader.metadata and reader.metadata.title else None
    except RecursionError:
        return {"error": "PDF cannot be read: its structure is nested too deeply"}
    except PyPdfError as exc:  # LimitReachedError among them: a stream inflating past the budget
        if exc.__class__.__name__ == "LimitReachedError":  # pypdf's guard against hostile files
            setting = " (CHM_EXTRACT_MAX_BYTES)" if "decompress" in str(exc).lower() else ""
            return {"error": f"PDF refused: past one of its reader's safety limits: {exc}{setting}"}
        prefix = "" if isinstance(exc, PdfReadError) else f"{exc.__class__.__name__}: "
        return {"error": f"PDF cannot be read: {prefix}{exc}"}
    except (ValueError, KeyError, TypeError, AttributeError, IndexError, OSError, AssertionError) as exc:
        return {"error": f"PDF cannot be read: {exc.__class__.__name__}: {exc}"}
    return {"text": "\n\n".join(t for t in texts if t.strip()), "title": title, "pages": len(texts)}


def _declared_pages(reader: Any) -> int | None:
    """The page count the root page tree declares, read without walking the tree."""
    try:
        count = reader.trailer["/Root"]["/Pages"]["/Count"]
    except (KeyError, TypeError, ValueError, AttributeError):
        return None
    return int(count) if isinstance(count, int) else None


def _too_many_pages(count: int, budget: Budget) -> str:
    return f"PDF has {count:,} pages (limit {budget.pages:,}, CHM_EXTRACT_MAX_PAGES)"


def _too_long(budget: Budget) -> str:
    return f"the text is longer than {budget.chars:,} characters (CHM_MAX_RECORD_CHARS)"


def _docx(path: Path, budget: Budget) -> dict[str, Any]:
    try:
        with zipfile.ZipFile(path) as archive:
            entry = archive.getinfo(DOCX_BODY)
            if entry.file_size > budget.inflated_bytes:
                return {
                    "error": f"DOCX would inflate {DOCX_BODY} to {entry.file_size:,} bytes "
                    f"(limit {budget.inflated_bytes:,}, CHM_EXTRACT_MAX_BYTES); not inflated"
                }
            with archive.open(entry) as member:
                xml = member.read(budget.inflated_bytes + 1)
        if len(xml) > budget.inflated_bytes:
            return {"error": f"DOCX inflates past {budget.inflated_bytes:,} bytes (CHM_EXTRACT_MAX_BYTES)"}
        markers = ("<!DOCTYPE", "<!ENTITY")
        if any(m.encode(codec) in xml for m in markers for codec in ("utf-8", "utf-16-le", "utf-16-be")):
            return {"error": "DOCX cannot be read: its XML declares a DTD or entities, which Word never writes"}
        root = ElementTree.fromstring(xml)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, KeyError, ElementTree.ParseError, OSError) as exc:
        return {"error": f"DOCX cannot be read (not a Word document or damaged): {exc}"}
    except (RecursionError, NotImplementedError, ValueError, EOFError) as exc:
        return {"error": f"DOCX cannot be read: {exc.__class__.__name__}: {exc}"}
    paragraphs: list[str] = []
    length = 0
    for paragraph in root.iter(f"{W_NS}p"):
        text = "".join(node.text or "" for node in paragraph.iter(f"{W_NS}t"))
        length += len(text) + 1
        if length > budget.chars:
            return {"error": _too_long(budget)}
        paragraphs.append(text)
    return {"text": "\n".join(paragraphs), "title": None, "pages": 0}


READERS = {"pdf": _pdf, "docx": _docx}


def main() -> None:
    """The child: read the request on stdin, answer one JSON object on stdout."""
    from ingest.lifeline import exit_when_gone, kill_me_with_parent

    request = json.loads(sys.stdin.buffer.read().decode("utf-8", "surrogateescape"))
    kill_me_with_parent()
    exit_when_gone(int(request["owner"]))
    budget = Budget(**request["budget"])
    _limit_self(budget)
    path = Path(request["path"])
    try:
        answer = READERS[request["kind"]](path, budget)
    except MemoryError:
        answer = {"error": f"reading it needs more than {budget.memory_mb:,} MB of memory (CHM_EXTRACT_MAX_MEMORY_MB)"}
    except Exception as exc:  # whatever a library raises: the file's error, never the run's
        answer = {"error": f"{request['kind'].upper()} cannot be read: {exc.__class__.__name__}: {exc}"}
    for key in ("text", "title", "error"):  # a glyph map may decode to lone surrogates: not text
        if isinstance(answer.get(key), str):
            answer[key] = answer[key].encode("utf-8", "replace").decode("utf-8")
    out = json.dumps(answer, ensure_ascii=False).encode("utf-8")
    sys.stdout.buffer.write(out)
    sys.stdout.flush()


if __name__ == "__main__":
    main()
