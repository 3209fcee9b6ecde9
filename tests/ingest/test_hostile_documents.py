"""Hostile documents, generated here: each is that file's error with its reason, within its budget.

Each file is read by ``read_path`` in a fresh interpreter the test bounds (so that a reader
without budgets fails the test by its timeout rather than hanging it for forty minutes), with
the budgets given as ``CHM_EXTRACT_*`` settings.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from tests.commands import clean_environment, run, run_python
from tests.ingest import hostile

READ = "import json, sys; from pathlib import Path; from ingest.sources.files import read_path; " + (
    "print(json.dumps([getattr(i, 'reason', 'record') for i in read_path(Path(sys.argv[1]))]))"
)


def reasons(path: Path, timeout: float = 90, **settings: str) -> list[str]:
    try:
        done = run_python(["-c", READ, str(path)], clean_environment(**settings), timeout)
    except subprocess.TimeoutExpired:
        pytest.fail(f"reading {path.name} did not end within {timeout} s", pytrace=False)
    assert done.returncode == 0, done.stderr[-2000:]
    found: list[str] = json.loads(done.stdout)
    return found


def test_pdf_decompression_bomb(tmp_path: Path) -> None:
    path = hostile.pdf_decompression_bomb(tmp_path / "bomb.pdf", inflated=200 * hostile.MB)
    assert path.stat().st_size < 400_000
    [reason] = reasons(path)
    assert reason.startswith("PDF refused: past one of its reader's safety limits: Limit reached while decompressing")
    assert reason.endswith("(CHM_EXTRACT_MAX_BYTES)")


def test_pdf_memory_budget(tmp_path: Path) -> None:
    path = hostile.pdf_decompression_bomb(tmp_path / "bomb.pdf", inflated=400 * hostile.MB)
    [reason] = reasons(path, CHM_EXTRACT_MAX_BYTES=str(2**31), CHM_EXTRACT_MAX_MEMORY_MB="200")
    assert reason == "reading it needs more than 200 MB of memory (CHM_EXTRACT_MAX_MEMORY_MB)"


def test_pdf_page_tree_with_a_million_kids(tmp_path: Path) -> None:
    [reason] = reasons(hostile.pdf_million_kids(tmp_path / "kids.pdf"))
    assert reason == "PDF refused: past one of its reader's safety limits: Reached maximum array element count."


def test_pdf_page_count_is_checked_before_the_tree_is_walked(tmp_path: Path) -> None:
    path = hostile.pdf_million_kids(tmp_path / "kids.pdf", kids=3000)
    [reason] = reasons(path)
    assert reason == "PDF has 3,000 pages (limit 2,000, CHM_EXTRACT_MAX_PAGES)"
    [fewer] = reasons(path, CHM_EXTRACT_MAX_PAGES="10")
    assert fewer == "PDF has 3,000 pages (limit 10, CHM_EXTRACT_MAX_PAGES)"


def test_pdf_page_tree_nested_deep(tmp_path: Path) -> None:
    [reason] = reasons(hostile.pdf_deep_nesting(tmp_path / "deep.pdf"))
    assert reason == "PDF refused: past one of its reader's safety limits: Maximum page tree depth reached: 101 > 100."


def test_pdf_of_1999_heavy_pages_stops_at_the_time_budget(tmp_path: Path) -> None:
    path = hostile.pdf_heavy_pages(tmp_path / "heavy.pdf")
    assert path.stat().st_size < 400_000  # ~80 minutes of pypdf's text extraction, unbounded
    [reason] = reasons(path, CHM_EXTRACT_MAX_SECONDS="2")
    assert reason == "PDF takes longer than 2 s of extraction (CHM_EXTRACT_MAX_SECONDS); not read"


def test_docx_zip_bomb_is_refused_before_inflating(tmp_path: Path) -> None:
    path = hostile.docx_zip_bomb(tmp_path / "bomb.docx", inflated=512 * hostile.MB)
    assert path.stat().st_size < 1_000_000
    # 200 MB of memory: inflating the 512 MB would be a memory error, not this reason
    [reason] = reasons(path, CHM_EXTRACT_MAX_MEMORY_MB="200")
    assert reason == (
        "DOCX would inflate word/document.xml to 536,870,912 bytes (limit 67,108,864, CHM_EXTRACT_MAX_BYTES); "
        "not inflated"
    )


def test_docx_with_entities_is_refused(tmp_path: Path) -> None:
    import zipfile

    laughs = (
        '<?xml version="1.0"?><!DOCTYPE d [<!ENTITY a "lol"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>'
        '<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">'
        "<w:body><w:p><w:r><w:t>&b;</w:t></w:r></w:p></w:body></w:document>"
    )
    with zipfile.ZipFile(tmp_path / "laughs.docx", "w") as archive:
        archive.writestr("word/document.xml", laughs)
    [reason] = reasons(tmp_path / "laughs.docx")
    assert reason == "DOCX cannot be read: its XML declares a DTD or entities, which Word never writes"


def test_an_ingest_of_hostile_files_goes_on_to_the_good_one(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    hostile.pdf_decompression_bomb(folder / "bomb.pdf")
    hostile.pdf_million_kids(folder / "kids.pdf")
    hostile.pdf_deep_nesting(folder / "deep.pdf")
    hostile.pdf_heavy_pages(folder / "heavy.pdf")
    hostile.docx_zip_bomb(folder / "bomb.docx", inflated=256 * hostile.MB)
    hostile.deep_json(folder / "deep.json")
    (folder / "zz-good.txt").write_text("Marine protected areas\n\nCoverage of marine protected areas grew.")
    result = run(tmp_path, "ingest", str(folder), CHM_EXTRACT_MAX_SECONDS="2")
    assert result.returncode == 0, result.stderr
    assert "7 read: 1 new, 0 updated, 0 unchanged, 6 errors; 1 indexed" in result.stdout
    errors = run(tmp_path, "errors").stdout
    for name in ("bomb.pdf", "kids.pdf", "deep.pdf", "heavy.pdf", "bomb.docx", "deep.json"):
        assert name in errors
    assert "Traceback" not in result.stderr


def test_the_time_budget_is_per_document_and_a_refusal_costs_the_next_one_nothing(tmp_path: Path) -> None:
    # One child reads document after document: each gets the whole budget (about 1 s of CPU each
    # here, 4 s in all against a budget of 3 s), and after one it refused a fresh child reads on.
    folder = tmp_path / "in"
    folder.mkdir()
    for name in ("a", "b", "d", "e"):
        hostile.pdf_heavy_pages(folder / f"{name}.pdf", pages=1, operations=8000)
    hostile.pdf_deep_nesting(folder / "c.pdf")
    found = reasons(folder, CHM_EXTRACT_MAX_SECONDS="3")
    assert found[:2] == ["record", "record"] and found[3:] == ["record", "record"]
    assert found[2].startswith("PDF refused: past one of its reader's safety limits")
