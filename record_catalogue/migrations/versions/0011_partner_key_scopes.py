"""partner keys' scopes: the search presets a key's searches are held to, and the origins its CORS allows

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-06 17:10:00

``api_keys.presets`` maps a search filter (realm, schema, government, original_language, entity)
to the values every search made with the key is held to; ``api_keys.origins`` lists the web
origins (scheme://host[:port]) allowed to call the API with it from a browser. Both empty for
existing keys: nothing changes for them.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"


def upgrade() -> None:
    with op.batch_alter_table("api_keys", schema=None) as batch_op:
        batch_op.add_column(sa.Column("presets", sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column("origins", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("api_keys", schema=None) as batch_op:
        batch_op.drop_column("origins")
        batch_op.drop_column("presets")
