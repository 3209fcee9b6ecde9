"""PDF, DOCX and HTML files: text extracted, what cannot be read reported with the reason."""

from __future__ import annotations

import zipfile
from pathlib import Path

from pypdf import PdfReader, PdfWriter

from ingest.sources import SourceError
from ingest.sources.files import read_path
from record_catalogue.record import Record
from tests.ingest.documents import make_pdf


def only(path: Path) -> Record | SourceError:
    [item] = list(read_path(path))
    return item


def test_pdf_text_is_extracted(tmp_path: Path) -> None:
    pdf = make_pdf(
        tmp_path / "CBD-SBI-3-2.pdf", ["Review of progress in implementation", "Protected areas and permits"]
    )
    assert PdfReader(pdf).pages[0].extract_text()  # a valid PDF, independently of our reader
    record = only(pdf)
    assert isinstance(record, Record)
    assert (record.id, record.schema_name) == ("CBD-SBI-3-2", "meetingDocument")
    assert record.title["und"] == "CBD/SBI/3/2: Review of progress in implementation"
    assert "Protected areas and permits" in record.text["und"]


def test_encrypted_pdf_is_refused(tmp_path: Path) -> None:
    writer = PdfWriter(clone_from=make_pdf(tmp_path / "plain.pdf", ["Secret"]))
    writer.encrypt("owner-and-user-password")
    with (tmp_path / "locked.pdf").open("wb") as handle:
        writer.write(handle)
    error = only(tmp_path / "locked.pdf")
    assert isinstance(error, SourceError) and error.reason == "PDF is encrypted; ask for an unprotected copy"


def test_image_only_pdf_is_refused(tmp_path: Path) -> None:
    writer = PdfWriter()
    writer.add_blank_page(612, 792)
    with (tmp_path / "scan.pdf").open("wb") as handle:
        writer.write(handle)
    error = only(tmp_path / "scan.pdf")
    assert isinstance(error, SourceError) and "no text layer" in error.reason and "OCR" in error.reason


def test_damaged_pdf_is_refused(tmp_path: Path) -> None:
    (tmp_path / "broken.pdf").write_bytes(b"%PDF-1.4\nthis is not a pdf")
    error = only(tmp_path / "broken.pdf")
    assert isinstance(error, SourceError) and ("cannot be read" in error.reason or "no text layer" in error.reason)


def test_docx_paragraphs(tmp_path: Path) -> None:
    ns = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
    body = "".join(f"<w:p><w:r><w:t>{text}</w:t></w:r></w:p>" for text in ["Plan national", "Les aires protégées."])
    with zipfile.ZipFile(tmp_path / "plan.docx", "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", f'<w:document xmlns:w="{ns}"><w:body>{body}</w:body></w:document>')
    record = only(tmp_path / "plan.docx")
    assert isinstance(record, Record)
    assert record.title["und"] == "Plan national" and record.text["und"] == "Plan national\nLes aires protégées."
    (tmp_path / "fake.docx").write_bytes(b"not a zip")
    error = only(tmp_path / "fake.docx")
    assert isinstance(error, SourceError) and "DOCX cannot be read" in error.reason


def test_html_file_without_scripts(tmp_path: Path) -> None:
    page = (
        "<html><head><title>Marine areas</title><script>steal()</script></head>"
        "<body><p>Ecologically significant</p></body></html>"
    )
    (tmp_path / "page.html").write_text(page)
    record = only(tmp_path / "page.html")
    assert isinstance(record, Record)
    assert record.title["und"] == "Marine areas" and record.text["und"] == "Ecologically significant"
