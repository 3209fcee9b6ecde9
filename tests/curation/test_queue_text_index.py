"""The review queue's text filter on PostgreSQL reads trigram indexes (migration 0014, issue 13).

Before: ``ILIKE '%…%'`` on the source and the translation had no index that could serve it, so a
page filtered by text read every sentence of the memory. The query here has the queue's form
(``translate.curation.Curation._text_contains``: ``icontains`` of either text, autoescaped).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import or_, select, text

from record_catalogue.memory_models import TranslationMemoryEntry as Entry
from record_catalogue.store import Catalogue
from tests.conftest import catalogue_database

INDEXES = {"ix_translation_memory_source_trgm", "ix_translation_memory_target_trgm"}


@pytest.fixture
def postgresql(request: pytest.FixtureRequest) -> Iterator[Catalogue]:
    """A fresh PostgreSQL catalogue, migrated (SQLite has no such index: its LIKE scan stays)."""
    with catalogue_database("postgresql", request) as url:
        assert url is not None
        catalogue = Catalogue(url)
        yield catalogue
        catalogue.close()


def test_the_text_filter_is_served_by_trigram_indexes(postgresql: Catalogue) -> None:
    with postgresql.engine.connect() as connection:
        names = connection.execute(text("SELECT indexname FROM pg_indexes WHERE tablename = 'translation_memory'"))
        assert set(names.scalars()) >= INDEXES
        needle = "forêt 100%"
        query = select(Entry.id).where(
            or_(
                Entry.source_text.icontains(needle, autoescape=True),
                Entry.target_text.icontains(needle, autoescape=True),
            )
        )
        connection.execute(text("SET enable_seqscan = off"))  # an empty table: ask whether it *can* use them
        compiled = query.compile(connection, compile_kwargs={"literal_binds": True})
        plan = "\n".join(connection.execute(text(f"EXPLAIN {compiled}")).scalars())
    assert all(name in plan for name in INDEXES), plan
