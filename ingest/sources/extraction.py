"""Text extraction from PDF and DOCX files, in a child process with a budget per document.

A document is the one input whose cost the file size does not tell: a 300 KB PDF can inflate
to gigabytes, hold a page tree of a million kids or structures nested past Python's recursion
limit, or take forty minutes of CPU over 1,999 heavy pages; a DOCX of a few kilobytes can
inflate to gigabytes. pypdf's own checks catch some of this, not all of it, and nothing bounds
the time or memory a library call takes inside the ingest process. So documents are read by a
child Python process (``python -m ingest.sources.extraction``) that limits itself before it
touches a file, and whatever happens to it (an exception, the CPU or memory limit, a crash)
becomes that file's error with its reason while the ingest goes on. The child reads document
after document (starting it costs more than reading most documents); one that does not answer,
or refuses a document, is replaced by a fresh one, and so is each after 200 documents. Budgets:

- pages (``CHM_EXTRACT_MAX_PAGES``): a PDF's declared and actual page count;
- inflated bytes (``CHM_EXTRACT_MAX_BYTES``): each PDF stream's decoded size (pypdf's limits set
  to it), a DOCX's ``word/document.xml`` by the size its zip entry declares, before inflating;
- seconds (``CHM_EXTRACT_MAX_SECONDS``): CPU time of each document (``RLIMIT_CPU`` moved on
  before each), and twice that in wall-clock time (the parent kills the child);
- memory (``CHM_EXTRACT_MAX_MEMORY_MB``): the child's address space (``RLIMIT_AS``);
- text (``CHM_MAX_RECORD_CHARS``): extraction stops once the text is longer than a record may be.

The child ends with its parent (``ingest.lifeline``): killing an ingest leaves none behind.
"""

from __future__ import annotations

import atexit
import contextlib
import json
import math
import os
import queue
import resource
import signal
import subprocess
import sys
import threading
import zipfile
from collections import deque
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import IO, Any
from xml.etree import ElementTree

from record_catalogue.errors import BadInput
from record_catalogue.settings import Settings, get_settings

W_NS = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
DOCX_BODY = "word/document.xml"
STARTUP_SECONDS = 10.0  # a child's interpreter start and imports, on a busy machine
RECYCLE_AFTER = 200  # documents one child reads before a fresh one takes over


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


class ExtractionError(BadInput):
    """The document cannot be read; the message says why, for the ingest error report."""


def extract(kind: str, path: Path, budget: Budget | None = None) -> Extracted:
    """The text of a ``pdf`` or ``docx`` file, read in a child process within ``budget``.

    Raises ``ExtractionError`` with the reason when the file cannot be read or would cost more.
    """
    budget = budget or Budget.from_settings()
    with _EXTRACTOR.lock:
        answer = _EXTRACTOR.ask(kind, path, budget)
    if "error" in answer:
        raise ExtractionError(str(answer["error"]))
    return Extracted(answer["text"], answer.get("title"), int(answer.get("pages", 0)))


class _Extractor:
    """The child process, kept for the documents that follow (starting Python and pypdf costs
    ~0.5 s of CPU, more than reading most documents). It is replaced after a document it did not
    answer (over its time, crashed), after one it refused (a library may be left in any state),
    after ``RECYCLE_AFTER`` documents, and when the budget changes."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.process: subprocess.Popen[bytes] | None = None
        self.answers: queue.Queue[bytes | None] = queue.Queue()
        self.stderr: deque[str] = deque(maxlen=20)
        self.budget: Budget | None = None
        self.served = 0

    def ask(self, kind: str, path: Path, budget: Budget) -> dict[str, Any]:
        if self.process is None or self.budget != budget or self.served >= RECYCLE_AFTER:
            self.stop()
            self.start(budget)
        assert self.process is not None and self.process.stdin is not None
        request = json.dumps({"kind": kind, "path": str(path)}) + "\n"
        seconds = f"{budget.seconds:g} s of extraction (CHM_EXTRACT_MAX_SECONDS)"
        self.served += 1
        try:
            self.process.stdin.write(request.encode("utf-8", "surrogateescape"))
            self.process.stdin.flush()
            line = self.answers.get(timeout=budget.seconds * 2 + STARTUP_SECONDS)
        except (OSError, queue.Empty):
            line = None
        if line is None:
            code = self.stop()
            if code is None or code in (-signal.SIGXCPU, -signal.SIGKILL):
                return {"error": f"{kind.upper()} takes longer than {seconds}; not read"}
            if code < 0:
                return {"error": f"reading the {kind.upper()} crashed ({signal.Signals(-code).name}); not read"}
            last = list(self.stderr)[-1:] or [f"exit status {code}"]
            return {"error": f"reading the {kind.upper()} failed: {last[0][:300]}"}
        answer: dict[str, Any] = json.loads(line)
        if "error" in answer:
            self.stop()
        return answer

    def start(self, budget: Budget) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "ingest.sources.extraction", json.dumps(asdict(budget)), str(os.getpid())],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        self.budget, self.served = budget, 0
        self.answers = queue.Queue()
        self.stderr.clear()
        process, answers, stderr = self.process, self.answers, self.stderr
        threading.Thread(target=_relay, args=(process.stdout, answers.put), daemon=True).start()
        threading.Thread(target=_relay, args=(process.stderr, _append(stderr)), daemon=True).start()

    def stop(self) -> int | None:
        """End the child; its exit status, None if it had to be killed (still working)."""
        process, self.process = self.process, None
        if process is None:
            return None
        code = process.poll()
        if code is None:
            process.kill()
        process.wait()
        for stream in (process.stdin, process.stdout, process.stderr):
            if stream is not None:
                with contextlib.suppress(OSError):
                    stream.close()
        return code


def _relay(stream: IO[bytes] | None, put: Callable[[bytes | None], object]) -> None:
    if stream is None:
        return
    with contextlib.suppress(OSError, ValueError):
        for line in stream:
            put(line)
    put(None)


def _append(lines: deque[str]) -> Callable[[bytes | None], object]:
    def put(line: bytes | None) -> None:
        if line is not None and line.strip():
            lines.append(line.decode("utf-8", "replace").strip())

    return put


_EXTRACTOR = _Extractor()
atexit.register(_EXTRACTOR.stop)


# -- the child ---------------------------------------------------------------------------------


def _limit_self(budget: Budget) -> None:
    """Bound this process before it reads anything: its address space (CPU time: per document)."""
    memory = budget.memory_mb * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


# pypdf's limits on what one stream may inflate to, each set to the budget's inflated bytes.
PYPDF_OUTPUT_LIMITS = (
    "maximum_declared_stream_length",
    "array_based_stream_maximum_output_length",
    "jbig2_maximum_output_length",
    "lzw_maximum_output_length",
    "run_length_maximum_output_length",
    "zlib_maximum_output_length",
    "brotli_maximum_output_length",
    "image_maximum_buffer_size",
)


def _pdf(path: Path, budget: Budget) -> dict[str, Any]:
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError, PyPdfError

    try:  # pypdf 7: its limits on inflated streams, set to the budget
        from pypdf import overwrite_configuration

        limit = budget.inflated_bytes
        limits: dict[str, Any] = dict.fromkeys(PYPDF_OUTPUT_LIMITS, limit)
        overwrite_configuration(**limits, stream_decoding_work_maximum_length=max(limit, 4 * limit))
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


def _read(kind: str, path: Path, budget: Budget) -> dict[str, Any]:
    """One document, within ``budget`` from now: its CPU seconds are counted from here."""
    used = resource.getrusage(resource.RUSAGE_SELF)
    cpu = math.ceil(used.ru_utime + used.ru_stime + budget.seconds)
    _, hard = resource.getrlimit(resource.RLIMIT_CPU)
    resource.setrlimit(resource.RLIMIT_CPU, (cpu if hard == resource.RLIM_INFINITY else min(cpu, hard), hard))
    try:
        answer = READERS[kind](path, budget)
    except MemoryError:
        answer = {"error": f"reading it needs more than {budget.memory_mb:,} MB of memory (CHM_EXTRACT_MAX_MEMORY_MB)"}
    except Exception as exc:  # whatever a library raises: the file's error, never the run's
        answer = {"error": f"{kind.upper()} cannot be read: {exc.__class__.__name__}: {exc}"}
    for key in ("text", "title", "error"):  # a glyph map may decode to lone surrogates: not text
        if isinstance(answer.get(key), str):
            answer[key] = answer[key].encode("utf-8", "replace").decode("utf-8")
    return answer


def main() -> None:
    """The child: limits set from its arguments, then one JSON request a line on stdin, one JSON
    answer a line on stdout, until stdin ends."""
    from ingest.lifeline import exit_when_gone, kill_me_with_parent

    budget = Budget(**json.loads(sys.argv[1]))
    kill_me_with_parent()
    exit_when_gone(int(sys.argv[2]))
    _limit_self(budget)
    for line in sys.stdin.buffer:
        request = json.loads(line.decode("utf-8", "surrogateescape"))
        answer = _read(request["kind"], Path(request["path"]), budget)
        sys.stdout.buffer.write(json.dumps(answer, ensure_ascii=False).encode("utf-8") + b"\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
