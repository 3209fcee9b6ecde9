"""records keep the clearing-house's own identifier (the BCH's ``uniqueIdentifier``)

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-06 19:35:00

``records.unique_identifier`` holds what a clearing-house calls a record by beside its GUID: the
BCH's ``uniqueIdentifier`` (a living modified organism's ``MON-ØØ81Ø-6``). Readers know records
by it, so cards and exports show it as the CBD identifier. Empty for existing records until their
next ingest (their content hash then changes only where they carry one).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"


def upgrade() -> None:
    with op.batch_alter_table("records", schema=None) as batch_op:
        batch_op.add_column(sa.Column("unique_identifier", sa.String(length=100), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("records", schema=None) as batch_op:
        batch_op.drop_column("unique_identifier")
