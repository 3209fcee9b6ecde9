"""rate limits shared by every API process: one token bucket per client

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-06 14:00:00

Two API processes behind one address used to enforce a limit each (so a partner got twice its
limit). On PostgreSQL the buckets now live here, taken with one atomic statement per request
(``record_catalogue.rate_limits``); SQLite keeps them in each process's memory.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"


def upgrade() -> None:
    op.create_table(
        "rate_limits",
        sa.Column("client", sa.String(length=240), nullable=False),
        sa.Column("tokens", sa.Float(), nullable=False),
        sa.Column("updated", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("client"),
    )


def downgrade() -> None:
    op.drop_table("rate_limits")
