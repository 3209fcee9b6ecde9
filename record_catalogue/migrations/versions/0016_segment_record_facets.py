"""segment rows keep their records' realms, types and countries; the queue filters by them on the row

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-07 02:00:00

The review queue's filters by clearing-house, record type and country asked, for every sentence,
whether one of the records using it has that realm, type or country: a join of every use to its
record. On SQLite at 50,000 sentences that cost 580 ms of CPU a page for one clearing-house
(issue 13: goal 200 ms; SQLite joins by index lookups, one per use and one per sentence). Each
segment row now keeps the distinct realms, types and countries of its records as ",ABS,BCH,"
(``record_realms``, ``record_schemas``, ``record_governments``), kept with ``use_count`` by the
writers of uses (``record_catalogue.segment_uses``) and by the catalogue when a record's realm,
type or country changes; the filters test the row. Existing rows are filled here.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None

COLUMNS = {"record_realms": "realm", "record_schemas": "schema_name", "record_governments": "government"}
AGGREGATE = {"sqlite": "group_concat(DISTINCT r.{column})", "postgresql": "string_agg(DISTINCT r.{column}, ',')"}
FILL = """
UPDATE translation_memory SET {target} = coalesce(',' || (
    SELECT {aggregate} FROM translation_uses u JOIN records r ON r.id = u.record_id
    WHERE u.source_hash = translation_memory.source_hash
      AND u.source_language = translation_memory.source_language
      AND u.target_language = translation_memory.target_language
      AND r.{column} IS NOT NULL
) || ',', '') WHERE engine = 'segment'
"""


def upgrade() -> None:
    for target in COLUMNS:
        op.add_column("translation_memory", sa.Column(target, sa.Text(), server_default="", nullable=False))
    aggregate = AGGREGATE[op.get_bind().dialect.name]
    for target, column in COLUMNS.items():
        op.execute(FILL.format(target=target, column=column, aggregate=aggregate.format(column=column)))


def downgrade() -> None:
    with op.batch_alter_table("translation_memory") as batch_op:
        for target in reversed(COLUMNS):
            batch_op.drop_column(target)
