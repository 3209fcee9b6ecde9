"""``/record/{id}``: one record as a page of its own, as readers (and search engines) get it."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from record_catalogue.record import Record
from record_catalogue.settings import Settings
from record_catalogue.store import Catalogue, TextVersion
from search_api.app import create_app
from search_api.record_page import STRINGS
from tests.catalogue_rows import add_texts, machine, permit, reviewed, store
from tests.conftest import ROOT

ID = "PERMIT-PE-1"
ORIGINAL_TITLE = "Permit for Brazil nut research </script><script>alert(1)</script>"
ORIGINAL_SUMMARY = "Access to Bertholletia excelsa seeds in Madre de Dios."
MODEL = "translate-en_fr-1_0"
NO_MODEL = "no translation model for en→ar; install one with: chm-search models install en ar"


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    """A record written in English, machine-translated into French (a pending Arabic row beside it,
    as the worker leaves when it has no model) and with a curator-reviewed Spanish summary."""
    catalogue = Catalogue(settings.catalogue_dsn)
    url = "https://absch.cbd.int/database/ABSPERMIT/PERMIT-PE-1"
    record = permit(id=ID, title={"en": ORIGINAL_TITLE}, summary={"en": ORIGINAL_SUMMARY}, url=url, date="2019-06-01")
    store(catalogue, record)
    add_texts(
        catalogue,
        machine(ID, "title", "fr", "Permis pour la recherche sur la noix du Brésil", model=MODEL),
        machine(ID, "summary", "fr", "Accès aux graines de Bertholletia excelsa.", model=MODEL),
        reviewed(ID, "summary", "es", "Acceso a semillas de Bertholletia excelsa.", actor="curator-ana"),
        machine(ID, "title", "ar", "", model=MODEL, status="pending", status_reason=NO_MODEL),
    )
    catalogue.close()
    with TestClient(create_app(settings)) as test_client:
        yield test_client


def test_a_machine_translation_says_so_with_the_original_one_click_away(client: TestClient) -> None:
    response = client.get(f"/record/{ID}", params={"lang": "fr"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    page = response.text
    assert '<html lang="fr" dir="ltr">' in page
    assert "Permis pour la recherche sur la noix du Brésil</bdi></h1>" in page
    assert "Traduction automatique de l&#x27;original en anglais" in page
    # The original behind a toggle that needs no script, in its own language.
    assert re.search(
        r'<details class="record-original"><summary>Afficher l&#x27;original \(Anglais\)</summary>'
        r'<div class="version-box"><div class="version-text" lang="en" dir="ltr">Access to Bertholletia',
        page,
    )
    # Nothing an operator would say: no pending row, no model, engine or curator, no CLI hint.
    for operator_text in ("pending", "chm-search models", "translate-en_fr", "argos", "curator-ana"):
        assert operator_text not in page, operator_text


def test_markup_in_a_record_is_text_and_cannot_end_the_json_ld(client: TestClient) -> None:
    page = client.get(f"/record/{ID}", params={"lang": "en"}).text
    assert "<script>alert(1)</script>" not in page
    assert "&lt;/script&gt;&lt;script&gt;alert(1)&lt;/script&gt;" in page
    [block] = re.findall(r'<script type="application/ld\+json">(.*?)</script>', page, re.S)
    data = json.loads(block)
    assert data["@type"] == "CreativeWork" and data["identifier"] == ID
    assert data["name"] == ORIGINAL_TITLE and data["inLanguage"] == "en"
    assert data["sameAs"] == "https://absch.cbd.int/database/ABSPERMIT/PERMIT-PE-1"
    assert data["description"] == ORIGINAL_SUMMARY
    assert page.count("<script") == 1  # the data block only: the page runs no script


def test_a_reviewed_translation_and_a_reader_without_any_version_of_their_own(client: TestClient) -> None:
    spanish = client.get(f"/record/{ID}", params={"lang": "es"}).text
    assert "Acceso a semillas de Bertholletia excelsa." in spanish
    assert "Traducción del original en inglés, revisada por la Secretaría" in spanish
    # No Chinese version: the English original, said in plain words (not the French machine text).
    chinese = client.get(f"/record/{ID}", params={"lang": "zh"}).text
    assert f'lang="en" dir="ltr">{ORIGINAL_SUMMARY}' in chinese
    assert "尚未译成中文：以英文显示" in chinese
    assert "Accès aux graines" not in chinese


def test_the_page_links_its_language_versions_and_the_clearing_house(client: TestClient) -> None:
    page = client.get(f"/record/{ID}", params={"lang": "ar"}).text
    assert '<html lang="ar" dir="rtl">' in page
    for code in ("en", "es", "fr"):
        assert f'<link rel="alternate" hreflang="{code}" href="{ID}?lang={code}" />' in page
    assert 'hreflang="ar"' not in page  # the pending Arabic title is not a version
    assert (
        'href="https://absch.cbd.int/database/ABSPERMIT/PERMIT-PE-1" target="_blank" rel="noopener noreferrer"' in page
    )
    assert "(يُفتح في علامة تبويب جديدة)" in page


@pytest.mark.parametrize(
    ("lang", "written"),
    [
        ("en", "June 1, 2019"),
        ("fr", "1 juin 2019"),
        ("es", "1 de junio de 2019"),
        ("ru", "1 июня 2019\u202fг."),
        ("zh", "2019年6月1日"),
        ("ar", "1 يونيو 2019"),
    ],
)
def test_the_date_is_written_as_the_reader_writes_dates(client: TestClient, lang: str, written: str) -> None:
    """In words of the reader's language (CLDR's long form), the ISO date kept for machines."""
    page = client.get(f"/record/{ID}", params={"lang": lang}).text
    assert f'<dd><bdi><time datetime="2019-06-01">{written}</time></bdi></dd>' in page


def test_an_unknown_record_is_a_404_page(client: TestClient) -> None:
    response = client.get("/record/NO-SUCH-RECORD", params={"lang": "fr"})
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("text/html")
    assert "Fiche introuvable" in response.text


def test_the_page_has_every_string_in_every_language() -> None:
    keys = set(STRINGS["en"])
    assert {lang: sorted(keys ^ set(strings)) for lang, strings in STRINGS.items()} == {
        lang: [] for lang in ("en", "fr", "es", "ru", "zh", "ar")
    }


def test_the_page_names_the_record_by_the_clearing_houses_identifier(settings: Settings) -> None:
    """A BCH record is shown with its uniqueIdentifier (kept by the catalogue), not its GUID; the
    update path stores it as the insert path does."""
    guid = "9F828CDC-B20C-44BD-8980-CDD0EDC77D2F"
    catalogue = Catalogue(settings.catalogue_dsn)
    record = Record.model_validate(
        {"id": guid, "realm": "BCH", "schema_name": "modifiedOrganism", "title": {"en": "Maize YieldGard"}}
    )
    catalogue.upsert(record, [TextVersion("title", "en", "Maize YieldGard", "en", 0.99)], "en")
    with TestClient(create_app(settings)) as client:
        page = client.get(f"/record/{guid}", params={"lang": "fr"})
        # Without one, the page falls back to the record's id.
        assert page.status_code == 200 and f"<dt>Identifiant</dt><dd><bdi>{guid}</bdi></dd>" in page.text
        kept = Record.model_validate({**record.model_dump(), "unique_identifier": "MON-ØØ81Ø-6"})
        assert kept.content_hash() != record.content_hash()  # a new identifier is a change
        catalogue.upsert(kept, [TextVersion("title", "en", "Maize YieldGard", "en", 0.99)], "en")
        page = client.get(f"/record/{guid}", params={"lang": "fr"})
        assert "<dt>Identifiant</dt><dd><bdi>MON-ØØ81Ø-6</bdi></dd>" in page.text
    row = catalogue.get(guid)
    assert row is not None and row.unique_identifier == "MON-ØØ81Ø-6"
    catalogue.close()


@pytest.mark.parametrize("table", ["record_page.json", "error_page.json"])
def test_french_punctuation_stays_with_its_word(table: str) -> None:
    """A space before : ; ? ! » and after « that never breaks (no line may begin with a lone "»")."""
    french = json.loads((ROOT / "search_api" / "data" / table).read_text(encoding="utf-8"))["fr"]
    assert {key: text for key, text in french.items() if re.search(r"[ \t\n][:;?!»]|«[ \t\n]", text)} == {}
