"""harvested sources: their settings and high-water marks, the items each gave, thesaurus labels

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-06 15:30:00

``chm-search sources add|run`` and ``chm-search harvest`` keep here what each source is, how far
it has been read (``high_water``), which records it gave (to fetch only what changed and remove
what it withdrew) and the six-language labels of the thesaurus terms records refer to.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"


def upgrade() -> None:
    op.create_table(
        "harvest_sources",
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("params", sa.JSON(), nullable=False),
        sa.Column("high_water", sa.String(length=40), nullable=True),
        sa.Column("validators", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_run_id", sa.String(length=40), nullable=True),
        sa.Column("last_run_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_status", sa.String(length=16), nullable=True),
        sa.Column("last_counts", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("name"),
    )
    op.create_table(
        "harvest_items",
        sa.Column("source", sa.String(length=100), nullable=False),
        sa.Column("item_id", sa.String(length=200), nullable=False),
        sa.Column("record_id", sa.String(length=200), nullable=False),
        sa.Column("remote_updated", sa.String(length=40), nullable=True),
        sa.Column("etag", sa.String(length=200), nullable=True),
        sa.Column("fetched_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["source"], ["harvest_sources.name"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("source", "item_id"),
    )
    op.create_index("ix_harvest_items_record_id", "harvest_items", ["record_id"])
    op.create_table(
        "thesaurus_terms",
        sa.Column("identifier", sa.String(length=200), nullable=False),
        sa.Column("domain", sa.String(length=100), nullable=True),
        sa.Column("labels", sa.JSON(), nullable=False),
        sa.Column("fetched_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("identifier"),
    )


def downgrade() -> None:
    op.drop_table("thesaurus_terms")
    op.drop_index("ix_harvest_items_record_id", table_name="harvest_items")
    op.drop_table("harvest_items")
    op.drop_table("harvest_sources")
