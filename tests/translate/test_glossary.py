"""The CBD glossary: six languages per term, placeholders in, glossary terms out."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from record_catalogue.languages import UN_LANGUAGES
from translate.glossary import DEFAULT_PATH, Glossary, Protected

REQUIRED = [
    "biological diversity",
    "Aichi Biodiversity Targets",
    "access and benefit-sharing",
    "living modified organism",
    "clearing-house mechanism",
    "Nagoya Protocol",
    "Cartagena Protocol",
]


def test_the_project_glossary_has_every_required_term_in_six_languages() -> None:
    with DEFAULT_PATH.open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    by_english = {row["en"]: row for row in rows}
    for term in REQUIRED:
        assert all(by_english[term][lang].strip() for lang in UN_LANGUAGES), term
    assert len(rows) >= 20


def test_protect_and_restore() -> None:
    glossary = Glossary.load()
    protected = glossary.protect("The biological diversity of the Nagoya Protocol area.", "en", "fr")
    assert protected.text == "The 1001 of the 1002 area."
    assert glossary.restore("La 1001 de la 1002 zone.", protected) == (
        "La diversité biologique de la Protocole de Nagoya zone."
    )
    assert glossary.restore("1001 est importante.", glossary.protect("Biological diversity is", "en", "fr")) == (
        "Diversité biologique est importante."
    )


def test_longest_term_wins_case_and_hyphens_are_flexible() -> None:
    glossary = Glossary.load()
    text = (
        "The Cartagena Protocol on Biosafety, the Cartagena Protocol, Access and Benefit sharing, "
        "living modified organisms."
    )
    found = glossary.terms_in(text, "en", "es")
    assert found == [
        ("Cartagena Protocol on Biosafety", "Protocolo de Cartagena sobre Seguridad de la Biotecnología"),
        ("Cartagena Protocol", "Protocolo de Cartagena"),
        ("Access and Benefit sharing", "acceso y participación en los beneficios"),
        ("living modified organisms", "organismos vivos modificados"),
    ]
    assert glossary.terms_in("biological diversityX and bio-logical diversity", "en", "fr") == []


def test_chinese_and_arabic_sources() -> None:
    glossary = Glossary.load()
    assert glossary.terms_in("关于生物多样性公约和生物多样性", "zh", "en") == [
        ("生物多样性公约", "Convention on Biological Diversity"),
        ("生物多样性", "biological diversity"),
    ]
    assert glossary.terms_in("بروتوكول ناغويا", "ar", "fr") == [("بروتوكول ناغويا", "Protocole de Nagoya")]


def test_placeholders_avoid_numbers_in_the_text_and_lost_ones_are_detected() -> None:
    glossary = Glossary.load()
    protected = glossary.protect("In 1001 the biological diversity grew.", "en", "fr")
    assert protected.text == "In 1001 the 2001 grew." and protected.terms[0][0] == "2001"
    assert glossary.restore("En 1001 la grandit.", protected) is None  # lost
    assert glossary.restore("En 1001 la 2001 2001.", protected) is None  # doubled
    assert glossary.restore("En 1001 la 2 001 grandit.", protected) == "En 1001 la diversité biologique grandit."
    assert glossary.missing_terms("la diversité biologique", protected) == []
    assert glossary.missing_terms("la biodiversité", protected) == ["diversité biologique"]
    assert Glossary.load().protect("nothing to see", "en", "fr") == Protected("nothing to see")


def test_glossary_file_is_validated(tmp_path: Path) -> None:
    bad = tmp_path / "g.csv"
    bad.write_text("en,klingon\nforest,tlhIngan\n", encoding="utf-8")
    with pytest.raises(ValueError, match="unknown column"):
        Glossary.load(bad)


def test_the_glossary_lives_in_the_data_directory_and_its_files_keep_normal_permissions(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import os

    from record_catalogue.settings import get_settings
    from translate.glossary import glossary_path, writable_glossary_path
    from translate.tbx import export_glossary, import_glossary

    data = tmp_path / "data"
    monkeypatch.setenv("CHM_DATA_DIR", str(data))
    get_settings.cache_clear()
    previous = os.umask(0o022)
    try:
        assert glossary_path() == DEFAULT_PATH  # nothing imported yet: the shipped copy, read-only
        extra = tmp_path / "extra.csv"
        extra.write_text("en,fr\nseed bank,banque de semences\n", encoding="utf-8")
        target = writable_glossary_path()
        assert target == data / "glossary.csv"  # never inside the installed package
        report = import_glossary(extra, target)
        assert report.added == 1 and glossary_path() == target
        assert (target.stat().st_mode & 0o777) == 0o644  # not mkstemp's 0600: the API's user reads it
        assert Glossary.load().terms_in("The seed bank.", "en", "fr") == [("seed bank", "banque de semences")]
        assert len(Glossary.load()) == len(Glossary.load(DEFAULT_PATH)) + 1
        exported = tmp_path / "out.csv"
        export_glossary(target, exported)
        assert (exported.stat().st_mode & 0o777) == 0o644
        target.chmod(0o640)  # an operator's choice survives the next import
        import_glossary(extra, target, replace=True)
        assert (target.stat().st_mode & 0o777) == 0o640
    finally:
        os.umask(previous)
        get_settings.cache_clear()
