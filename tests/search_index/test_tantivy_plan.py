"""Documents prepared in another process (``tantivy_plan``, ``encode_document``) make exactly the
index that documents built value by value in the writer made: the segment files are byte for byte
those of the Tantivy document as it was built before the split (``_reference_document`` below, the
former ``to_tantivy``).

Why it matters: ingest's worker processes now do the per-document Python work of indexing
(fields chosen, Arabic analysed, stored JSON serialised) and the writer only makes Tantivy's
document from it; a field left out, a value in another order or an Arabic token at another
position would change what searches find, silently. So the check is on the index's own bytes, for
documents made by ingest's own path from the generated corpus (six languages, Arabic
pre-tokenized, entities, dates) and for hand-made ones that use every field.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
import pytest
import tantivy

from analyzers import arabic
from analyzers.analysis import SPELLING_LANGUAGES, has_exact_form, preanalysed, tantivy_analyzers
from analyzers.detect import LanguageDetector
from devtools.corpus import write_jsonl
from ingest.prepare import prepare_batch
from ingest.sources.files import read_path
from ingest.tagging import RecordTagger
from record_catalogue.languages import UN_LANGUAGES, UNDETERMINED
from record_catalogue.store import RowMaker
from search_index.base import TEXT_FIELD_BOOSTS, EncodedDocument, versions
from search_index.tantivy_backend import (
    TANTIVY_PLAN,
    WRITER_HEAP,
    TantivyBackend,
    _date_days,
    build_schema,
    encode_document,
    to_tantivy,
)
from search_index.tantivy_query import SPELLING_SOURCES, exact_field_name, field_name

EVERY_FIELD: list[dict[str, Any]] = [
    {
        "id": "X-1",
        "realm": "ABS",
        "realms": ["ABS", "CHM"],
        "schema": "measure",
        "government": "eg",
        "original_language": "ar",
        "languages": ["ar", "en"],
        "title": {"ar": "والتنوع البيولوجي في المناطق المحمية", "en": "Protected areas"},
        "summary": {"ar": "تقرير وطني عن الموارد الجينية", "fr": "Aires protégées et forêts"},
        "text": {"ru": "Охраняемые территории", "zh": "保护区和遗传资源", "es": "Áreas protegidas"},
        "status": {"ar": "original", "en": "original"},
        "names": "X-1 Protected areas UNEP/CBD/COP/DEC/14/8",
        "entities": ["country:eg", "decision:cop-xiv-8", "species:zea-mays"],
        "date": "2021-03-04",
        "year": 2021,
    },
    {
        "id": "X-2",
        "realm": "BCH",
        "schema": "biosafetyLaw",
        "government": None,
        "original_language": "en",
        "languages": [],
        "title": {"en": "Only a title"},
        "summary": {},
        "text": {},
        "status": {},
        "names": "",
        "entities": [],
        "date": None,
        "year": None,
    },
]


def _reference_document(doc: dict[str, Any]) -> tantivy.Document:
    """The Tantivy document as ``to_tantivy`` built it before its work was split in two."""
    tdoc = tantivy.Document()
    tdoc.add_text("id", doc["id"])
    for name in ("schema", "government", "original_language"):
        if doc.get(name):
            tdoc.add_text(name, str(doc[name]))
    for realm in doc.get("realms") or [doc["realm"]]:
        tdoc.add_text("realm", str(realm))
    for lang in doc.get("languages") or []:
        tdoc.add_text("languages", lang)
    for entity in doc.get("entities") or []:
        tdoc.add_text("entity", entity)
    for name, _boost in TEXT_FIELD_BOOSTS:
        for lang, value in versions(doc, name).items():
            if not value or not (lang in UN_LANGUAGES or lang == UNDETERMINED):
                continue
            if preanalysed(lang):
                tokens = [
                    tantivy.Token(term, position, start, end)
                    for position, (start, end, terms) in enumerate(arabic.tokens(value))
                    for term in terms
                ]
                tdoc.add_pre_tokenized_text(field_name(name, lang), tantivy.PreTokenizedString(value, tokens))
            else:
                tdoc.add_text(field_name(name, lang), value)
            if has_exact_form(lang):
                tdoc.add_text(exact_field_name(name, lang), value)
            if name in SPELLING_SOURCES and lang in SPELLING_LANGUAGES:
                tdoc.add_text(f"spelling_{lang}", value)
    if doc.get("names"):
        tdoc.add_text("names", doc["names"])
    year = doc.get("year")
    if year is not None:
        tdoc.add_integer("year", int(year))
    tdoc.add_integer("date_days", _date_days(doc.get("date")))
    tdoc.add_bytes("source", orjson.dumps(doc))
    return tdoc


def _segments(directory: Path) -> dict[str, bytes]:
    """The files of the index's one segment, by extension (their names carry a random id)."""
    files = {path.suffix: path.read_bytes() for path in directory.iterdir() if len(path.stem) == 32}
    assert files, f"no segment in {directory}"
    return files


def _reference(docs: list[dict[str, Any]], directory: Path) -> dict[str, bytes]:
    """The documents as the embedded index took them before: ``to_tantivy``, value by value."""
    directory.mkdir()
    index = tantivy.Index(build_schema(), path=str(directory))
    for name, analyzer in tantivy_analyzers().items():
        index.register_tokenizer(name, analyzer)
    writer = index.writer(heap_size=WRITER_HEAP, num_threads=1)
    for doc in docs:
        writer.delete_documents_by_term("id", doc["id"])
        writer.add_document(_reference_document(doc))
    writer.commit()
    writer.wait_merging_threads()
    return _segments(directory)


def _through_backend(docs: list[Any], directory: Path) -> dict[str, bytes]:
    backend = TantivyBackend(directory)
    backend.ensure_index()
    result = backend.bulk(docs)
    assert not result.errors and result.indexed == len(docs)
    backend.refresh()
    version = backend.current_version()
    backend.close()
    assert version is not None
    return _segments(directory / version)


@pytest.fixture(scope="module")
def ingested(tmp_path_factory: pytest.TempPathFactory) -> list[dict[str, Any]]:
    """Index documents of 150 generated records, made by ingest's own path (detection, tagging, rows)."""
    dump = write_jsonl(tmp_path_factory.mktemp("corpus") / "corpus.jsonl", 150)
    result = prepare_batch(
        list(read_path(dump, defer=True)),
        lambda ids: {},
        LanguageDetector(UN_LANGUAGES),
        RecordTagger(UN_LANGUAGES),
        UN_LANGUAGES,
        RowMaker.for_url("sqlite://"),
    )
    docs = [dict(new.document) for new in result.new]
    assert len(docs) == 150
    assert any("ar" in doc["title"] for doc in docs) and any(doc["entities"] for doc in docs)
    return docs


@pytest.mark.parametrize("encoded", [False, True], ids=["documents", "encoded"])
def test_prepared_documents_make_the_same_index(ingested: list[dict[str, Any]], tmp_path: Path, encoded: bool) -> None:
    docs = ingested + EVERY_FIELD
    sent: list[Any] = [encode_document(doc) for doc in docs] if encoded else docs  # type: ignore[arg-type]
    assert not encoded or all(isinstance(doc, EncodedDocument) for doc in sent)
    assert _through_backend(sent, tmp_path / "json") == _reference(docs, tmp_path / "reference")


def test_stored_document_is_the_same(tmp_path: Path) -> None:
    backend = TantivyBackend(tmp_path / "index")
    backend.ensure_index()
    backend.bulk([encode_document(EVERY_FIELD[0])])  # type: ignore[list-item,arg-type]
    backend.refresh()
    assert backend.get("X-1") == EVERY_FIELD[0]
    backend.close()


def test_values_tantivy_refuses_are_reported_not_indexed(tmp_path: Path) -> None:
    """Encoded or not, a document Tantivy cannot take is reported, and the one indexed before
    under its id is left as it was (nothing deleted before the new document is known good)."""
    backend = TantivyBackend(tmp_path / "index")
    backend.ensure_index()
    backend.bulk([EVERY_FIELD[1]])
    backend.refresh()
    bad: list[dict[str, Any]] = [
        {**EVERY_FIELD[1], "entities": [7]},
        {**EVERY_FIELD[1], "languages": [None]},
        {**EVERY_FIELD[1], "year": 2**63},
        {**EVERY_FIELD[1], "date": "not a date"},
    ]
    for doc in bad:
        with pytest.raises((TypeError, ValueError, OverflowError)):
            to_tantivy(doc)  # type: ignore[arg-type]
        encoded = encode_document(doc)  # type: ignore[arg-type]
        for sent in (doc, encoded) if encoded is not None else (doc,):
            result = backend.bulk([sent])  # type: ignore[list-item]
            assert [doc_id for doc_id, _ in result.errors] == ["X-2"] and result.indexed == 0
    assert encode_document({**EVERY_FIELD[1], "date": "not a date"}) is None  # type: ignore[arg-type]
    backend.refresh()
    assert backend.get("X-2") == EVERY_FIELD[1]
    backend.close()


def test_markers_invalid_and_foreign_documents(tmp_path: Path) -> None:
    backend = TantivyBackend(tmp_path / "index")
    backend.ensure_index()
    assert encode_document({"id": "M-1", "merged_into": "X-2"}) is None  # bulk deletes it itself
    assert encode_document({**EVERY_FIELD[1], "realm": ""}) is None  # type: ignore[arg-type]
    docs: list[Any] = [
        {**EVERY_FIELD[1], "id": "bad", "realm": ""},
        EncodedDocument("foreign", "source-json", b"{}"),
        encode_document(EVERY_FIELD[1]),  # type: ignore[arg-type]
    ]
    result = backend.bulk(docs)
    backend.refresh()
    assert [doc_id for doc_id, _ in result.errors] == ["bad", "foreign"]
    assert result.indexed == 1 and backend.count() == 1
    assert docs[2].kind == TANTIVY_PLAN
    backend.close()
