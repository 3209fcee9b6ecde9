"""drop two indexes no query uses, which every ingested record paid for

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-25 23:30:00

``ix_field_texts_record_id`` repeats the lead of the ``uq_field_text`` unique index (record_id,
field, language, provenance), which serves every lookup by record. ``ix_record_entities_type_id``
serves no query: entities are searched and faceted in the search index; the catalogue reads them
by record. A record carries about eleven entity rows, so that index was a quarter of the cost of
storing it (bench/ingest.py).
"""

from __future__ import annotations

from alembic import op

revision = "0005"
down_revision = "0004"


def upgrade() -> None:
    with op.batch_alter_table("field_texts") as batch_op:
        batch_op.drop_index("ix_field_texts_record_id")
    with op.batch_alter_table("record_entities") as batch_op:
        batch_op.drop_index("ix_record_entities_type_id")


def downgrade() -> None:
    with op.batch_alter_table("record_entities") as batch_op:
        batch_op.create_index("ix_record_entities_type_id", ["type", "entity_id"], unique=False)
    with op.batch_alter_table("field_texts") as batch_op:
        batch_op.create_index("ix_field_texts_record_id", ["record_id"], unique=False)
