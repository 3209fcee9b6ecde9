"""Records and translations written straight into a catalogue, as ingest, the translate worker
or a curator would leave them.

For tests that need a record and its machine or reviewed versions without running the pipeline,
the worker or the curation API: the rows are the catalogue's own (``upsert``, ``FieldText``), so
everything that reads them (the index documents, the API, the feeds) sees what it sees in
production.
"""

from __future__ import annotations

from record_catalogue.keys import KeyStore
from record_catalogue.models import FieldText
from record_catalogue.record import Record
from record_catalogue.store import Catalogue, TextVersion


def permit(**overrides: object) -> Record:
    """An English ABS permit from Peru (``REC-1``), with ``overrides`` of any of its fields."""
    values: dict[str, object] = {
        "id": "REC-1",
        "realm": "ABS",
        "schema_name": "absPermit",
        "government": "pe",
        "title": {"en": "Permit for Brazil nut research"},
        "summary": {"en": "Access to Bertholletia excelsa seeds."},
        "source": "test.json",
    }
    values.update(overrides)
    return Record.model_validate(values)


def originals(record: Record) -> list[TextVersion]:
    """The record's texts as ingest stores them: each in the language it is given in, detected so."""
    return [
        TextVersion(field, lang, text, lang, 0.99) for field, by in record.texts().items() for lang, text in by.items()
    ]


def store(catalogue: Catalogue, record: Record) -> None:
    """Store an English ``record`` as ingest does."""
    catalogue.upsert(record, originals(record), "en")


def machine(
    record_id: str,
    field: str,
    language: str,
    text: str,
    *,
    model: str | None = None,
    status: str = "current",
    status_reason: str | None = None,
) -> FieldText:
    """A version the translate worker (Argos, ``model``) made, or left ``pending`` with its reason."""
    return FieldText(
        record_id=record_id,
        field=field,
        language=language,
        text=text,
        provenance="machine",
        status=status,
        status_reason=status_reason,
        engine="argos",
        model=model,
    )


def reviewed(record_id: str, field: str, language: str, text: str, *, actor: str | None = None) -> FieldText:
    """A version a curator (``actor``) wrote or approved."""
    return FieldText(record_id=record_id, field=field, language=language, text=text, provenance="reviewed", actor=actor)


def add_texts(catalogue: Catalogue, *rows: FieldText) -> None:
    """Store ``rows`` in one transaction."""
    with catalogue.sessions.begin() as session:
        session.add_all(rows)


def create_keys(catalogue_dsn: str, **keys: tuple[str, str]) -> dict[str, str]:
    """API keys made in the catalogue at ``catalogue_dsn`` as ``chm-search keys create`` makes them,
    ``label=(name, role)`` each; returns each label's key."""
    catalogue = Catalogue(catalogue_dsn)
    try:
        store = KeyStore(catalogue)
        return {label: store.create(name, role) for label, (name, role) in keys.items()}
    finally:
        catalogue.close()
