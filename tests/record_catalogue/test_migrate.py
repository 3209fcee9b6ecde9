"""Bringing a catalogue's schema up to date on every start, and not loading Alembic when it is."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from alembic import command
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, text

from record_catalogue.db import alembic_config, at_head, head_revision
from record_catalogue.store import Catalogue


def test_the_head_revision_is_alembics() -> None:
    assert head_revision() == ScriptDirectory.from_config(alembic_config()).get_current_head()


def test_an_older_catalogue_is_migrated_on_opening(tmp_path: Path) -> None:
    dsn = f"sqlite:///{tmp_path}/old.sqlite3"
    engine = create_engine(dsn)
    config = alembic_config()
    older = str(int(head_revision()) - 1).zfill(4)
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, older)
    assert not at_head(engine)
    Catalogue(dsn).close()
    with engine.connect() as connection:
        assert connection.execute(text("SELECT version_num FROM alembic_version")).scalar() == head_revision()
    assert at_head(engine)
    engine.dispose()


def test_a_new_catalogue_is_created_and_one_at_head_opens_without_alembic(tmp_path: Path) -> None:
    dsn = f"sqlite:///{tmp_path}/new.sqlite3"
    assert not at_head(create_engine(dsn))
    Catalogue(dsn).close()
    opened = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys; from record_catalogue.store import Catalogue; "
            f"Catalogue({dsn!r}).close(); print(sorted(m for m in sys.modules if m.split('.')[0] == 'alembic'))",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    assert opened.stdout.strip() == "[]", opened.stdout
