"""Ingest correctness found while testing (issue 17, item 6): names, titles, boilerplate, language keys."""

from __future__ import annotations

import json
from pathlib import Path

from pypdf import PdfReader, PdfWriter

from analyzers.detect import LanguageDetector
from ingest.pipeline import Pipeline
from ingest.sources.documents import producer_default
from ingest.sources.files import read_path
from record_catalogue.settings import Settings
from record_catalogue.store import Catalogue
from search_index.tantivy_backend import TantivyBackend
from tests.conftest import SAMPLES
from tests.ingest.documents import make_pdf


def _pipeline(settings: Settings, catalogue: Catalogue) -> Pipeline:
    return Pipeline(catalogue, TantivyBackend(settings.index_dir), LanguageDetector(), settings.languages)


def _texts(catalogue: Catalogue, record_id: str, field: str) -> dict[str, str]:
    row = catalogue.get(record_id)
    assert row is not None, record_id
    return {t.language: t.text for t in row.texts if t.field == field and t.provenance == "original"}


def test_files_of_one_name_in_two_folders_are_two_records(
    settings: Settings, catalogue: Catalogue, tmp_path: Path
) -> None:
    docs = tmp_path / "docs"
    for folder, words in (("a", "wetlands of the Pantanal"), ("b", "coral reefs of the Coral Triangle")):
        (docs / folder).mkdir(parents=True)
        (docs / folder / "report.txt").write_text(f"Report on {words}\n\nThe state of the {words} in 2024.\n")
    (docs / "report.txt").write_text("Report on mangroves\n\nThe state of mangrove forests in 2024.\n")
    (docs / "a" / "summary.txt").write_text("Summary of the wetlands report\n\nThe Pantanal in brief.\n")
    report = _pipeline(settings, catalogue).run(read_path(docs))
    assert (report.created, report.errors) == (4, 0)
    assert "Pantanal" in _texts(catalogue, "a-report", "text")["en"]
    assert "Coral Triangle" in _texts(catalogue, "b-report", "text")["en"]
    assert "mangrove" in _texts(catalogue, "report", "text")["en"]  # the top one keeps its name
    assert catalogue.get("summary") is not None  # a name no other file has is kept
    assert [e.action for e in catalogue.audit_trail("a-report")] == ["record.created"]
    (docs / "a" / "report.txt").write_text("Report on wetlands of the Pantanal\n\nRevised in 2025.\n")
    again = _pipeline(settings, catalogue).run(read_path(docs))
    assert (again.updated, again.unchanged) == (1, 3)
    entry = catalogue.audit_trail("a-report")[-1]
    assert entry.action == "record.updated" and "text" in entry.detail["changed_fields"]


def _titled_pdf(path: Path, title: str, lines: list[str]) -> Path:
    make_pdf(path, lines)
    writer = PdfWriter()
    writer.append(PdfReader(path))
    writer.add_metadata({"/Title": title, "/Producer": "a word processor"})
    with path.open("wb") as handle:
        writer.write(handle)
    return path


def test_a_pdf_titled_by_its_producer_takes_its_first_heading(
    settings: Settings, catalogue: Catalogue, tmp_path: Path
) -> None:
    lines = ["Marine spatial planning in the Baltic Sea", "", "Countries around the Baltic Sea plan together."]
    pdfs = tmp_path / "pdfs"
    pdfs.mkdir()
    _titled_pdf(pdfs / "untitled.pdf", "Untitled", lines)
    _titled_pdf(pdfs / "msp-baltic.pdf", "msp-baltic.pdf", lines)
    _titled_pdf(pdfs / "word.pdf", "Microsoft Word - draft3.docx", lines)
    _titled_pdf(pdfs / "real.pdf", "Baltic marine spatial planning: a review", lines)
    report = _pipeline(settings, catalogue).run(read_path(pdfs))
    assert report.errors == 0
    for name in ("untitled", "msp-baltic", "word"):
        assert _texts(catalogue, name, "title")["en"] == "Marine spatial planning in the Baltic Sea", name
    assert _texts(catalogue, "real", "title")["en"] == "Baltic marine spatial planning: a review"
    assert producer_default("  ", tmp_path / "x.pdf") and not producer_default("Untitled Sea", tmp_path / "x.pdf")


PAGE = """<!DOCTYPE html><html lang="en"><head><title>Forest restoration in Kenya</title></head><body>
<header><nav><ul><li><a href="/">Home</a></li><li><a href="/about">About us</a></li>
<li><a href="/news">Latest news</a></li><li><a href="/contact">Contact the secretariat</a></li></ul></nav></header>
<aside class="sidebar"><h3>Related links</h3><ul><li><a href="/a">Subscribe to our newsletter</a></li></ul></aside>
<main><article><h1>Forest restoration in Kenya</h1>
<p>Kenya has committed to restoring 5.1 million hectares of degraded forest land by 2030 under the
African Forest Landscape Restoration Initiative, working with communities around Mount Kenya.</p>
<p>Community forest associations plant indigenous trees, protect water towers and monitor the
recovery of degraded land, supported by county governments and the Kenya Forest Service.</p>
<p>The national strategy links restoration to the Kunming-Montreal Global Biodiversity Framework,
in particular its target on restoring at least 30 per cent of degraded ecosystems.</p>
</article></main>
<footer><p>Copyright 2024 Example Ministry. All rights reserved. Privacy policy. Cookie settings.</p></footer>
</body></html>"""


def test_html_navigation_and_footers_are_not_content(settings: Settings, catalogue: Catalogue, tmp_path: Path) -> None:
    (tmp_path / "kenya-forests.html").write_text(PAGE)
    report = _pipeline(settings, catalogue).run(read_path(tmp_path / "kenya-forests.html"))
    assert report.errors == 0
    text = _texts(catalogue, "kenya-forests", "text")["en"]
    assert "5.1 million hectares" in text and "Kunming-Montreal" in text
    for boilerplate in ("About us", "Latest news", "Contact the secretariat", "newsletter", "All rights reserved"):
        assert boilerplate not in text, boilerplate
    assert _texts(catalogue, "kenya-forests", "title")["en"] == "Forest restoration in Kenya"


def test_a_title_keyed_en_holding_spanish_leaves_the_spanish_one(
    settings: Settings, catalogue: Catalogue, tmp_path: Path
) -> None:
    record = {
        "header": {"identifier": "MISKEYED-1", "schema": "measure", "languages": ["en", "es"]},
        "government": {"identifier": "pe"},
        "title": {
            "en": "Reglamento de acceso a los recursos genéticos y conocimientos tradicionales del Perú",
            "es": "Reglamento de acceso a los recursos genéticos del Perú",
        },
    }
    (tmp_path / "record.json").write_text(json.dumps(record, ensure_ascii=False))
    report = _pipeline(settings, catalogue).run(read_path(tmp_path / "record.json"))
    assert report.created == 1
    assert _texts(catalogue, "MISKEYED-1", "title") == {"es": record["title"]["es"]}
    reasons = [e.reason for e in catalogue.errors()]
    assert any("title.en is in es, which the record already has" in reason for reason in reasons), reasons


def test_the_sample_with_a_swahili_title_ingests_without_an_error(settings: Settings, catalogue: Catalogue) -> None:
    report = _pipeline(settings, catalogue).run(
        read_path(SAMPLES / "records" / "communityProtocol-ke-kaya-herbalists.json")
    )
    assert (report.created, report.errors) == (1, 0), catalogue.errors()
    record_id = "25E265FB-CAB0-4291-8828-6129E71168E7"
    assert set(_texts(catalogue, record_id, "title")) == {"en"}
    # not silently: the record's audit entry names the field and language left out, and why
    [created] = catalogue.audit_trail(record_id)
    assert created.action == "record.created"
    [left] = created.detail["not_stored"]
    assert (left["field"], left["language"]) == ("title", "sw")
    assert left["reason"].startswith(f"language 'sw' is not one of {', '.join(settings.languages)} (detected ")


def test_a_version_left_out_on_update_is_in_the_update_audit_entry(
    settings: Settings, catalogue: Catalogue, tmp_path: Path
) -> None:
    record = {
        "header": {"identifier": "SW-1", "schema": "communityProtocol", "languages": ["en"]},
        "title": {"en": "Community forests of the coast"},
        "summary": {"en": "How the communities protect the coastal forests."},
    }
    path = tmp_path / "record.json"
    path.write_text(json.dumps(record))
    assert _pipeline(settings, catalogue).run(read_path(path)).created == 1
    record["summary"] = {
        "en": "How the communities protect the coastal forests and their springs.",
        "sw": "Jinsi jamii zinavyolinda misitu ya pwani na chemchemi zake.",
        "de": "Wie die Gemeinschaften die Küstenwälder und ihre Quellen schützen.",
    }
    path.write_text(json.dumps(record, ensure_ascii=False))
    again = _pipeline(settings, catalogue).run(read_path(path))
    assert (again.updated, again.errors) == (1, 0), catalogue.errors()
    assert set(_texts(catalogue, "SW-1", "summary")) == {"en"}
    created, updated = catalogue.audit_trail("SW-1")
    assert "not_stored" not in created.detail
    assert updated.action == "record.updated" and updated.detail["changed_fields"] == ["summary"]
    assert sorted((left["field"], left["language"]) for left in updated.detail["not_stored"]) == [
        ("summary", "de"),
        ("summary", "sw"),
    ]
