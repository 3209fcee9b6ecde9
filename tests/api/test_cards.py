"""What a result card needs from the search API: a highlighted title, snippets cut between words
with ellipses, and the original beside a machine translation (both engines, both catalogues)."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from record_catalogue.settings import load_settings
from record_catalogue.store import Catalogue
from search_api.app import create_app
from search_index.documents import build_document
from search_index.factory import get_backend
from search_index.snippets import ELLIPSIS, plain
from tests.api.conftest import search
from tests.catalogue_rows import add_texts, machine, permit, reviewed, store
from tests.conftest import SAMPLES

# The module-scoped `translated_client` is set up once: under pytest-xdist this module's tests share a worker.
pytestmark = pytest.mark.xdist_group(__name__)


def only_marks(fragment: str) -> bool:
    """Nothing in ``fragment`` is markup but <mark> and </mark>."""
    return "<" not in re.sub(r"</?mark>", "", fragment)


def test_the_title_is_highlighted_like_the_snippet(client: TestClient) -> None:
    body = search(client, q="clearing-house mechanism", lang="en")
    result = next(r for r in body["results"] if r["title"] and "clearing-house mechanism" in r["title"])
    highlighted = result["title_highlighted"]
    assert "<mark>" in highlighted and only_marks(highlighted)
    assert plain(highlighted) == result["title"]  # the whole title, nothing cut
    assert re.search(r"<mark>mechanism</mark>", highlighted)


def test_a_title_without_a_match_is_escaped_text(client: TestClient) -> None:
    body = search(client, q="", lang="en", size=100)
    for result in body["results"]:
        if result["title"] is not None:
            assert "<mark>" not in result["title_highlighted"]
            assert plain(result["title_highlighted"]) == result["title"]
            assert only_marks(result["title_highlighted"])


def test_a_snippet_from_the_middle_of_a_long_text_is_cut_between_words_with_ellipses(client: TestClient) -> None:
    text = " ".join((SAMPLES / "shared" / "UNEP-CBD-COP-12-11.txt").read_text(encoding="utf-8").split())
    body = search(client, q="convenor", lang="en")
    snippet = body["results"][0]["snippet"]
    assert "<mark>convenor</mark>" in snippet and only_marks(snippet)
    assert snippet.startswith(ELLIPSIS) and snippet.endswith(ELLIPSIS), snippet
    inner = " ".join(plain(snippet).strip(ELLIPSIS).split())
    at = text.find(inner)
    assert at > 0, inner  # a piece of the text, whitespace aside
    assert not text[at - 1].isalnum() and not text[at + len(inner)].isalnum(), inner  # no word cut in two


def test_a_snippet_holding_a_whole_short_field_has_no_ellipsis(client: TestClient) -> None:
    body = search(client, q="Bertholletia", lang="en", size=100)
    for result in body["results"]:
        snippet = result["snippet"]
        if snippet and plain(snippet) in {result["title"], result["summary"]}:
            assert not snippet.startswith(ELLIPSIS) and not snippet.endswith(ELLIPSIS)


# --- the original beside a translation -------------------------------------------------------------

TRANSLATED = "CARD-PE-1"


@pytest.fixture(scope="module")
def translated_client(
    tmp_path_factory: pytest.TempPathFactory, api_engine: tuple[str | None, str]
) -> Iterator[TestClient]:
    """One English record machine-translated into French, with a reviewed Spanish title."""
    settings = load_settings(
        data_dir=tmp_path_factory.mktemp("cards") / "data",
        es_url=api_engine[0],
        es_flavour=api_engine[1],
        index_name=f"chm-cards-test-{uuid.uuid4().hex[:10]}",
        rate_limit_anonymous=100_000,
    )
    catalogue = Catalogue(settings.catalogue_dsn)
    store(catalogue, permit(id=TRANSLATED, summary={"en": "Access to Bertholletia excelsa seeds in Madre de Dios."}))
    add_texts(
        catalogue,
        machine(TRANSLATED, "title", "fr", "Permis pour la recherche sur la noix du Brésil"),
        machine(TRANSLATED, "summary", "fr", "Accès aux graines de Bertholletia excelsa."),
        reviewed(TRANSLATED, "title", "es", "Permiso para investigar la castaña", actor="curator-ana"),
        reviewed(TRANSLATED, "summary", "es", "Acceso a semillas de Bertholletia excelsa.", actor="curator-ana"),
    )
    backend = get_backend(settings)
    backend.ensure_index()
    result = backend.bulk(build_document(row) for row in catalogue.iter_records(ids=[TRANSLATED]))
    assert result.indexed == 1, result
    backend.refresh()
    catalogue.close()
    with TestClient(create_app(settings)) as test_client:
        yield test_client
    if settings.es_url:
        backend.destroy()
    backend.close()


def test_a_machine_translated_result_carries_its_original(translated_client: TestClient) -> None:
    result = search(translated_client, q="", lang="fr")["results"][0]
    assert result["title"] == "Permis pour la recherche sur la noix du Brésil" and result["machine_translated"]
    assert result["original"] == {
        "title": "Permit for Brazil nut research",
        "summary": "Access to Bertholletia excelsa seeds in Madre de Dios.",
        "language": "en",
    }


def test_a_reviewed_translation_carries_its_original_too(translated_client: TestClient) -> None:
    result = search(translated_client, q="castaña", lang="es")["results"][0]
    assert result["translation_status"] == "reviewed"
    assert result["original"]["language"] == "en" and result["original"]["title"] == "Permit for Brazil nut research"
    assert "<mark>" in result["title_highlighted"] and plain(result["title_highlighted"]) == result["title"]


def test_the_original_shown_has_no_original_field(translated_client: TestClient) -> None:
    assert search(translated_client, q="", lang="en")["results"][0]["original"] is None
    # A reader with no version of their own gets, by the one display policy, a reviewed translation
    # before the original (reviewed > original > machine): so the original is offered to switch to.
    chinese = search(translated_client, q="", lang="zh")["results"][0]
    assert chinese["display_language"] == "es"
    assert chinese["original"] == {
        "title": "Permit for Brazil nut research",
        "summary": "Access to Bertholletia excelsa seeds in Madre de Dios.",
        "language": "en",
    }


def test_the_cbd_identifier_is_the_document_symbol_not_the_guid(client: TestClient) -> None:
    body = search(client, q="", lang="en", size=100)
    by_id = {r["id"]: r for r in body["results"]}
    # A harvested meeting document is keyed by a GUID; readers know it by its symbol.
    meeting = by_id["CC914A09-3A83-4801-A9B5-242138F95406"]
    assert meeting["cbd_id"] == "UNEP/CBD/COP/12/11"
    # The file of the same document is listed with it, not as a result of its own (one document).
    assert "UNEP-CBD-COP-12-11" not in by_id
    assert "UNEP-CBD-COP-12-11" in [s["id"] for s in meeting["sources"]]
    permit = by_id["B5F49425-6551-483C-9C00-1E7B8E529121"]
    assert permit["cbd_id"] is None  # a GUID is not shown as the CBD's identifier
    # A BCH record keeps the clearing-house's own identifier (its uniqueIdentifier) from ingest.
    lmo = by_id["9F828CDC-B20C-44BD-8980-CDD0EDC77D2F"]
    assert lmo["realm"] == "BCH" and lmo["cbd_id"] == "MON-ØØ81Ø-6"
    export = client.get("/api/v1/search/export", params={"format": "json", "realm": "BCH"}).json()
    assert {r["id"]: r["cbd_id"] for r in export["results"]}["9F828CDC-B20C-44BD-8980-CDD0EDC77D2F"] == "MON-ØØ81Ø-6"


@pytest.mark.parametrize("lang", ["zh", "ar", "ru"])
def test_the_snippet_is_in_the_language_the_card_shows(translated_client: TestClient, lang: str) -> None:
    """A reader with no version of their own sees the record in the language the display policy
    picks (here the reviewed Spanish): the snippet comes from that version too, not from whichever
    other language the query also matched (the English original, the French machine text)."""
    result = search(translated_client, q="Bertholletia", lang=lang)["results"][0]
    assert result["display_language"] == "es"
    assert result["snippet"] == "Acceso a semillas de <mark>Bertholletia</mark> excelsa."
