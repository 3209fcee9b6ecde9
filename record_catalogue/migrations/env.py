"""Alembic environment: the connection is handed in by ``catalogue.db.migrate``."""

from __future__ import annotations

from alembic import context

from record_catalogue import (
    event_models,  # noqa: F401 - readers' events
    memory_models,  # noqa: F401 - the translation memory's tables
    work_models,  # noqa: F401 - the translation backlog's tables
)
from record_catalogue.dialect import modelled
from record_catalogue.models import Base

config = context.config
connection = config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run migrations through catalogue.db.migrate (chm-search migrate)")
context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=True, include_name=modelled)
with context.begin_transaction():
    context.run_migrations()
