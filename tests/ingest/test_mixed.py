"""Issue 4's "done when": a directory mixing JSON dumps, PDFs, DOCX and HTML across the three
realms ends with every input either searchable or listed with its reason, and a French record
naming « le Brésil » and « l'objectif 11 d'Aichi » is found by those entities."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

from fastapi.testclient import TestClient
from pypdf import PdfWriter

from devtools.corpus import generate
from record_catalogue.settings import load_settings
from record_catalogue.store import Catalogue
from search_api.app import create_app
from tests.commands import run
from tests.ingest.documents import make_pdf

FRENCH = {
    "header": {"identifier": "FR-NT-2024", "schema": "nationalTarget", "languages": ["fr"]},
    "government": {"identifier": "fr"},
    "title": {"fr": "Coopération avec le Brésil pour les aires protégées"},
    "description": {"fr": "La France et le Brésil coopèrent pour atteindre l'objectif 11 d'Aichi."},
}


def build_inputs(root: Path) -> tuple[set[str], dict[str, str]]:
    """The mixed directory; returns the ids that must become searchable and, per bad file, the
    reason it must be listed with."""
    (root / "dumps").mkdir(parents=True)
    (root / "documents" / "html").mkdir(parents=True)
    records = list(generate(30, seed=3))
    lines = [json.dumps(r, ensure_ascii=False) for r in records]
    lines.insert(10, "{this line is broken")
    (root / "dumps" / "export.jsonl").write_text("\n".join(lines))
    (root / "dumps" / "french.json").write_text(json.dumps(FRENCH, ensure_ascii=False))
    make_pdf(root / "documents" / "CBD-SBI-3-2.pdf", ["Review of implementation", "Protected areas of Kenya"])
    writer = PdfWriter(clone_from=make_pdf(root / "plain.pdf", ["Secret"]))
    writer.encrypt("pw")
    with (root / "documents" / "locked.pdf").open("wb") as handle:
        writer.write(handle)
    (root / "plain.pdf").unlink()
    ns = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
    with zipfile.ZipFile(root / "documents" / "strategy.docx", "w") as archive:
        archive.writestr(
            "word/document.xml",
            f'<w:document xmlns:w="{ns}"><w:body><w:p><w:r><w:t>'
            "National biosafety strategy of Mexico</w:t></w:r></w:p></w:body></w:document>",
        )
    (root / "documents" / "html" / "page.html").write_text(
        "<html><head><title>Wetlands of India</title></head><body><p>Ramsar sites</p></body></html>"
    )
    (root / "documents" / "latin1.txt").write_bytes("Zones humides protégées".encode("latin-1"))
    (root / "documents" / "empty.txt").write_text("")
    searchable = {r["header"]["identifier"] for r in records} | {"FR-NT-2024", "CBD-SBI-3-2", "strategy", "page"}
    bad = {
        "export.jsonl": "invalid JSON",
        "locked.pdf": "PDF is encrypted",
        "latin1.txt": "unknown encoding",
        "empty.txt": "file is empty",
    }
    return searchable, bad


def test_mixed_directory_every_input_searchable_or_listed(tmp_path: Path, catalogue_url: str | None) -> None:
    searchable, bad = build_inputs(tmp_path / "in")
    on = {"CHM_CATALOGUE_URL": catalogue_url} if catalogue_url else {}
    result = run(tmp_path, "ingest", str(tmp_path / "in"), **on)
    assert result.returncode == 0, result.stderr
    errors = run(tmp_path, "errors", **on).stdout
    for name, reason in bad.items():
        assert any(name in line and reason in line for line in errors.splitlines()), (name, errors)

    settings = load_settings(data_dir=tmp_path / "data", es_url=None, catalogue_url=catalogue_url)
    with TestClient(create_app(settings)) as client:
        body = client.get("/api/v1/search", params={"size": 100}).json()
        assert {r["id"] for r in body["results"]} == searchable
        assert {f["value"] for f in body["facets"]["realm"]} == {"ABS", "BCH", "CHM"}
        for entity in ("country:br", "target:aichi-11"):
            found = client.get("/api/v1/search", params={"entity": entity, "lang": "fr", "size": 100}).json()
            assert "FR-NT-2024" in {r["id"] for r in found["results"]}, entity
            assert all(entity in r["entities"] for r in found["results"])
        record = client.get("/api/v1/records/FR-NT-2024").json()
        mentions = {(e["key"], e["text"]) for e in record["entities"]}
        assert ("country:br", "Brésil") in mentions and ("target:aichi-11", "objectif 11 d'Aichi") in mentions
    catalogue = Catalogue(settings.catalogue_dsn)
    assert catalogue.count() == len(searchable)
    catalogue.close()
