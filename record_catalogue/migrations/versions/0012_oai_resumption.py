"""harvest sources remember where an unfinished OAI-PMH list stopped (its resumptionToken)

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-06 18:50:00

``harvest_sources.resumption`` holds, while an OAI-PMH ``ListRecords`` is being read, the token of
the next page and the request it continues (``from``/``until``/set/prefix, the first response's
date); a run stopped half-way (an error, kill -9) continues from it instead of reading the list
again. Empty for existing sources: their next run starts from their high-water mark, as before.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"


def upgrade() -> None:
    with op.batch_alter_table("harvest_sources", schema=None) as batch_op:
        batch_op.add_column(sa.Column("resumption", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("harvest_sources", schema=None) as batch_op:
        batch_op.drop_column("resumption")
