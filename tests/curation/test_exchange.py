"""TMX for the translation memory and TBX/CSV for the glossary: round trips, import rules, bad input."""

from __future__ import annotations

import subprocess
import sys
import xml.etree.ElementTree as ET
from dataclasses import replace
from pathlib import Path

import pytest

from devtools.commands import CLI_ARGS, clean_environment
from record_catalogue.memory_store import TranslationMemory
from record_catalogue.store import Catalogue
from tests.curation.conftest import CAT, FOREST, Doc, World, eventually
from tests.engines import engine_environment
from tests.translate.conftest import Models
from translate.argos_engine import ArgosEngine
from translate.curation import Curation, QueueFilter
from translate.glossary import DEFAULT_PATH, Glossary
from translate.tbx import Entry, TermbaseError, export_glossary, import_glossary, read_csv, read_tbx
from translate.tmx import XML_LANG, TmxError, Unit, apply_units, export_tmx, read_tmx
from translate.translator import TextRequest, Translator

ROOT = Path(__file__).resolve().parents[2]
AMPERSAND = "Forests & rivers are protected."
TRICKY = "La forêt est « protégée » & <surveillée>."


def cli(world: World, *args: str) -> subprocess.CompletedProcess[str]:
    environment = clean_environment(
        CHM_DATA_DIR=str(world.settings.data_dir),
        CHM_LANGUAGES="en,fr,es",
        COLUMNS="200",
        CHM_CATALOGUE_URL=world.settings.catalogue_dsn,  # SQLite in the data directory, or PostgreSQL
        **engine_environment(world.settings),  # the embedded index, or the suite's OpenSearch node
    )
    command = [sys.executable, *CLI_ARGS, *args]
    return subprocess.run(command, capture_output=True, text=True, env=environment, timeout=120, cwd=ROOT)


def segments(catalogue: Catalogue) -> dict[tuple[str, str], tuple[str, str, str, str | None]]:
    """Every segment of a catalogue: (source, target language) → (text, provenance, status, actor)."""
    curation = Curation(catalogue, None)
    found = {}
    for status in ("machine", "reviewed", "rejected", "stale", "failed"):
        for item in curation.queue(QueueFilter(status=status, size=100)).items:
            found[(item.source_text, item.target_language)] = (item.text, item.provenance, item.status, item.actor)
    return found


@pytest.fixture
def curated(world: World) -> World:
    world.ingest(Doc("a", FOREST), Doc("b", AMPERSAND), Doc("c", CAT))
    world.translate()
    forest = world.item_for(FOREST)
    assert world.put("ana", forest["id"], text=TRICKY, status="reviewed", version=1).status_code == 200
    cat = world.item_for(CAT)
    assert world.put("ben", cat["id"], text=None, status="rejected", version=1).status_code == 200
    return world


def test_tmx_round_trip_keeps_texts_provenance_and_curators(curated: World, tmp_path: Path) -> None:
    path = tmp_path / "memory.tmx"
    assert export_tmx(curated.catalogue.sessions, path, "all") == 3
    raw = path.read_text(encoding="utf-8")
    assert raw.startswith("<?xml version='1.0' encoding='UTF-8'?>")
    assert "&amp; &lt;surveillée&gt;" in raw and "Forests &amp; rivers" in raw  # escaped by the library
    root = ET.parse(path).getroot()
    assert (root.tag, root.get("version")) == ("tmx", "1.4")
    header = root.find("header")
    assert header is not None and header.get("srclang") == "*all*" and header.get("segtype") == "sentence"
    units = {u.findtext("tuv/seg"): u for u in root.iter("tu")}
    forest = units[FOREST]
    assert [t.get(XML_LANG) for t in forest.findall("tuv")] == ["en", "fr"]
    assert forest.findall("tuv")[1].findtext("seg") == TRICKY
    assert (forest.get("srclang"), forest.get("changeid"), forest.get("creationid")) == (
        "en",
        "Ana (Secretariat)",
        "argos",
    )
    props = {p.get("type"): p.text for p in forest.findall("prop")}
    assert props["x-chm-provenance"] == "reviewed" and props["x-chm-version"] == "2"
    assert len(forest.get("changedate") or "") == 16  # YYYYMMDDThhmmssZ

    fresh = Catalogue(f"sqlite:///{tmp_path}/fresh.sqlite3")
    try:
        units_read, bad = read_tmx(path)
        assert bad == []
        report = apply_units(fresh.sessions, units_read, "TMX memory.tmx")
        assert (report.reviewed_new, report.machine_new) == (1, 2)
        assert TranslationMemory(fresh.sessions).reviewed("en", "fr", [FOREST])[FOREST].target_text == TRICKY
        again = tmp_path / "again.tmx"
        assert export_tmx(fresh.sessions, again, "all") == 3

        def content(units: list[Unit]) -> list[Unit]:
            return sorted((replace(u, position="") for u in units), key=lambda u: u.source_text)

        assert content(read_tmx(again)[0]) == content(units_read)  # the same, whatever catalogue they came from
        state = TranslationMemory(fresh.sessions).states("en", "fr", [CAT, FOREST])
        assert state[CAT].status == "rejected" and state[FOREST].actor == "Ana (Secretariat)"
    finally:
        fresh.close()
    reviewed_only = tmp_path / "reviewed.tmx"
    assert export_tmx(curated.catalogue.sessions, reviewed_only, "reviewed") == 1


def test_an_import_never_overwrites_a_reviewed_translation_with_a_machine_one(curated: World, tmp_path: Path) -> None:
    path = tmp_path / "machine.tmx"
    path.write_text(
        '<?xml version="1.0" encoding="UTF-8"?>\n<tmx version="1.4"><header srclang="en" creationtool="x" '
        'creationtoolversion="1" segtype="sentence" o-tmf="x" adminlang="en" datatype="plaintext"/><body>'
        f'<tu><tuv xml:lang="en"><seg>{FOREST}</seg></tuv><tuv xml:lang="fr-FR"><seg>Autre chose.</seg></tuv></tu>'
        '<tu><tuv xml:lang="EN"><seg>The sea is blue.</seg></tuv>'
        '<tuv xml:lang="fr"><seg>La mer est bleue.</seg></tuv></tu>'
        "</body></tmx>",
        encoding="utf-8",
    )
    units, bad = read_tmx(path)
    assert bad == [] and [u.reviewed for u in units] == [False, False]
    report = apply_units(curated.catalogue.sessions, units, "TMX machine.tmx")
    assert (report.kept, report.machine_new, report.reviewed_new) == (1, 1, 0)
    forest = curated.item_for(FOREST, status="reviewed")
    assert (forest["text"], forest["version"]) == (TRICKY, 2)


def test_importing_as_reviewed_with_the_cli_reaches_the_records(curated: World, tmp_path: Path) -> None:
    path = tmp_path / "from-cat-tool.tmx"
    root = ET.Element("tmx", version="1.4")
    ET.SubElement(
        root,
        "header",
        srclang="en",
        creationtool="OmegaT",
        creationtoolversion="6",
        segtype="sentence",
        adminlang="en",
        datatype="plaintext",
        **{"o-tmf": "OmegaT"},
    )
    body = ET.SubElement(root, "body")
    unit = ET.SubElement(body, "tu")
    for language, text in (("en", CAT), ("fr", "Le chat mange le poisson.")):
        ET.SubElement(ET.SubElement(unit, "tuv", {XML_LANG: language}), "seg").text = text
    ET.ElementTree(root).write(path, encoding="UTF-8", xml_declaration=True)

    refused = cli(curated, "memory", "import", str(path), "--as-reviewed")
    assert refused.returncode == 2 and "--as-reviewed needs --actor" in refused.stderr
    done = cli(curated, "memory", "import", str(path), "--as-reviewed", "--actor", "Terminology unit")
    assert done.returncode == 0, done.stderr
    assert "1 reviewed translations added, 0 changed" not in done.stdout  # the sentence had a (rejected) segment
    assert "0 reviewed translations added, 1 changed" in done.stdout and "1 records updated" in done.stdout
    cat = curated.item_for(CAT, status="reviewed")
    assert (cat["text"], cat["actor"], cat["version"]) == ("Le chat mange le poisson.", "Terminology unit", 3)
    assert curated.texts("c")["title", "fr", "reviewed"].text == "Le chat mange le poisson."

    def shown() -> list[tuple[str, str]]:
        return [(h["id"], h["translation_status"]) for h in curated.search("poisson")]

    assert eventually(lambda: shown() == [("c", "reviewed")]), shown()

    exported = tmp_path / "out.tmx"
    listed = cli(curated, "memory", "export", str(exported), "--status", "reviewed", "--lang", "fr")
    assert listed.returncode == 0 and "2 translation units written" in listed.stdout


def test_bad_tmx_units_are_reported_with_reasons_and_the_rest_imported(curated: World, tmp_path: Path) -> None:
    path = tmp_path / "mixed.tmx"
    path.write_text(
        '<tmx version="1.4"><header srclang="*all*"/><body>'
        '<tu tuid="1"><tuv xml:lang="en"><seg>The sea is blue.</seg></tuv>'
        '<tuv xml:lang="fr"><seg>La mer.</seg></tuv></tu>'
        '<tu tuid="2" srclang="en"><tuv xml:lang="en"><seg>The sea is blue.</seg></tuv>'
        '<tuv xml:lang="de"><seg>Das Meer.</seg></tuv><tuv xml:lang="fr"><seg> </seg></tuv></tu>'
        '<tu tuid="3" srclang="en"><tuv xml:lang="en"><seg>The sea is blue. The sky is grey.</seg></tuv>'
        '<tuv xml:lang="fr"><seg>La mer est bleue. Le ciel est gris.</seg></tuv></tu>'
        '<tu tuid="4" srclang="en"><tuv xml:lang="en">'
        '<seg>The <bpt i="1">&lt;b&gt;</bpt>sea<ept i="1">&lt;/b&gt;</ept> '
        'is calm.</seg></tuv><tuv xml:lang="fr"><seg>La mer est calme.</seg></tuv></tu>'
        '<tu tuid="5" srclang="en"><tuv xml:lang="fr"><seg>Seul.</seg></tuv></tu>'
        '<tu tuid="6" srclang="en"><prop type="x-chm-provenance">reviewed</prop><tuv xml:lang="en"><seg>The sky.</seg>'
        '</tuv><tuv xml:lang="fr"><seg>Le ciel.</seg></tuv></tu>'
        "</body></tmx>",
        encoding="utf-8",
    )
    units, bad = read_tmx(path)
    assert [(u.source_text, u.target_text) for u in units] == [("The sea is calm.", "La mer est calme.")]
    assert bad == [
        ("tu 1 (tuid 1)", "no source language: give the unit or the header a srclang"),
        ("tu 2 (tuid 2)", "language 'de' is not one of ar, en, es, fr, ru, zh; that variant skipped"),
        ("tu 2 (tuid 2)", "empty segment for fr"),
        ("tu 2 (tuid 2)", "no translation (only the source language)"),
        ("tu 3 (tuid 3)", "the source is 2 sentences; the memory matches one sentence at a time"),
        ("tu 5 (tuid 5)", "no segment in its source language en"),
        ("tu 6 (tuid 6)", "a reviewed translation without a curator (changeid); use --as-reviewed --actor NAME"),
    ]
    partly = cli(curated, "memory", "import", str(path))
    assert partly.returncode == 1 and "1 machine translations added" in partly.stdout
    assert "refused: tu 3 (tuid 3): the source is 2 sentences" in partly.stdout
    (tmp_path / "broken.tmx").write_text("<tmx><body><tu>", encoding="utf-8")
    with pytest.raises(TmxError, match="not well-formed XML"):
        read_tmx(tmp_path / "broken.tmx")
    (tmp_path / "other.tmx").write_text("<martif/>", encoding="utf-8")
    with pytest.raises(TmxError, match="root element is <martif>"):
        read_tmx(tmp_path / "other.tmx")
    unreadable = cli(curated, "memory", "import", str(tmp_path / "broken.tmx"))
    assert unreadable.returncode == 2 and "not well-formed XML" in unreadable.stderr


def test_glossary_tbx_and_csv_round_trips(tmp_path: Path) -> None:
    original, _columns = read_csv(DEFAULT_PATH)
    tbx = tmp_path / "glossary.tbx"
    assert export_glossary(DEFAULT_PATH, tbx) == len(original)
    root = ET.parse(tbx).getroot()
    assert (root.tag, root.get("type")) == ("martif", "TBX")
    first = root.find("text/body/termEntry")
    assert first is not None and first.findtext("note") == "Convention, Article 2"
    assert {g.get(XML_LANG): g.findtext("tig/term") for g in first.findall("langSet")}["fr"] == "diversité biologique"
    merged = tmp_path / "merged.csv"
    report = import_glossary(tbx, merged)
    assert (report.added, report.bad, report.conflicts) == (len(original), [], [])
    assert [(e.terms, e.note) for e in read_csv(merged)[0]] == [(e.terms, e.note) for e in original]
    assert Glossary.load(merged).fingerprint == Glossary.load(DEFAULT_PATH).fingerprint
    csv_copy = tmp_path / "copy.csv"
    export_glossary(DEFAULT_PATH, csv_copy)
    assert [(e.terms, e.note) for e in read_csv(csv_copy)[0]] == [(e.terms, e.note) for e in original]
    again = import_glossary(tbx, merged)  # importing the same again changes nothing
    assert (again.added, again.unchanged) == (0, len(original))


def test_glossary_import_merges_reports_and_feeds_the_translator(
    tmp_path: Path,
    engine: ArgosEngine,
    models: Models,
) -> None:
    destination = tmp_path / "glossary.csv"
    destination.write_bytes(DEFAULT_PATH.read_bytes())
    tbx = tmp_path / "v3.tbx"
    tbx.write_text(
        '<?xml version="1.0"?><tbx xmlns="urn:iso:std:iso:30042:ed-2" type="TBX-Basic" style="dca" xml:lang="en">'
        "<text><body>"
        '<conceptEntry id="pa"><langSec xml:lang="en"><termSec><term>protected area</term></termSec></langSec>'
        '<langSec xml:lang="fr-FR"><termSec><term>aire protégée</term></termSec></langSec>'
        '<langSec xml:lang="de"><termSec><term>Schutzgebiet</term></termSec></langSec></conceptEntry>'
        '<conceptEntry id="bd"><langSec xml:lang="en"><termSec><term>Biological  Diversity</term></termSec></langSec>'
        '<langSec xml:lang="fr"><termSec><term>biodiversité</term></termSec></langSec></conceptEntry>'
        '<conceptEntry id="one"><langSec xml:lang="en"><termSec><term>lonely term</term></termSec></langSec>'
        "</conceptEntry>"
        '<conceptEntry id="both"><langSec xml:lang="en"><termSec><term>biological diversity</term></termSec>'
        '</langSec><langSec xml:lang="fr"><termSec><term>Protocole de Nagoya</term></termSec></langSec>'
        "</conceptEntry></body></text></tbx>",
        encoding="utf-8",
    )
    entries, bad = read_tbx(tbx)
    assert [e.position for e in entries] == [
        "entry 1 (id pa)",
        "entry 2 (id bd)",
        "entry 3 (id one)",
        "entry 4 (id both)",
    ]
    assert bad == [("entry 1 (id pa)", "language 'de' is not one of ar, en, es, fr, ru, zh; skipped")]
    report = import_glossary(tbx, destination)
    assert report.added == 1 and report.conflicts == [
        ("entry 2 (id bd)", "fr: kept 'diversité biologique', the file has 'biodiversité' (--replace to take it)"),
        (
            "entry 4 (id both)",
            "fr: kept 'diversité biologique', the file has 'Protocole de Nagoya' (--replace to take it)",
        ),
    ]
    assert report.bad[1:] == [("entry 3 (id one)", "fewer than two languages: nothing to translate with")]
    glossary = Glossary.load(destination)
    translator = Translator(engine, TranslationMemory(Catalogue(f"sqlite:///{tmp_path}/m.sqlite3").sessions), glossary)
    [result] = translator.translate([TextRequest("en", "fr", "The protected area is green.")])
    assert result.text == "La aire protégée est vert."  # the new term, enforced
    duplicated = tmp_path / "duplicated.csv"
    duplicated.write_text("en,fr,note\nforest,forêt,\nForest,bois,\n", encoding="utf-8")
    (tmp_path / "forest.csv").write_text("en,fr\nforest,forêt dense\n", encoding="utf-8")
    assert import_glossary(tmp_path / "forest.csv", duplicated).bad == [
        ("line 2", "'forest' names 2 existing concepts: merge them by hand")
    ]
    replaced = import_glossary(tbx, destination, replace=True)
    assert replaced.replaced == 2  # the later concept wins
    fr = next(e for e in read_csv(destination)[0] if e.terms.get("en") == "biological diversity").terms["fr"]
    assert fr == "Protocole de Nagoya"
    with pytest.raises(TermbaseError, match=r"use a \.tbx or \.csv file"):
        import_glossary(tmp_path / "glossary.xlsx", destination)


def test_glossary_commands(curated: World, tmp_path: Path) -> None:
    exported = cli(curated, "glossary", "export", str(tmp_path / "g.tbx"))
    assert exported.returncode == 0 and "concepts written to" in exported.stdout
    target = tmp_path / "mine.csv"
    target.write_text("en,fr,note\n", encoding="utf-8")
    imported = cli(curated, "glossary", "import", str(tmp_path / "g.tbx"), "--glossary", str(target))
    assert imported.returncode == 0, imported.stderr
    assert "concepts added" in imported.stdout and len(read_csv(target)[0]) == len(read_csv(DEFAULT_PATH)[0])
    bad = tmp_path / "bad.csv"
    bad.write_text("en,xx\nforest,forêt\n", encoding="utf-8")
    refused = cli(curated, "glossary", "import", str(bad), "--glossary", str(target))
    assert refused.returncode == 2 and "unknown column(s) xx" in refused.stderr
    assert Entry  # the reader's type is part of the module's surface
