"""The API server loads no harvester: every API process (``chm-search serve``'s workers, each
test server) would pay for the HTTP client, the feed and OAI-PMH readers it never uses.

The facet labels the API reads from the harvested thesaurus are made in
``analyzers.entities.labels``; the harvester (``ingest.harvest``) only stores the terms.
"""

from __future__ import annotations

import json
from pathlib import Path

from tests.commands import environment, run_python

PROBE = """
import json, sys
import {module}
print(json.dumps(sorted(m for m in sys.modules if m == "ingest.harvest" or m.startswith("ingest.harvest."))))
"""


def harvest_modules_loaded_by(module: str, tmp_path: Path) -> list[str]:
    done = run_python(["-c", PROBE.format(module=module)], environment(tmp_path))
    assert done.returncode == 0, done.stderr
    loaded: list[str] = json.loads(done.stdout.splitlines()[-1])
    return loaded


def test_the_api_app_imports_no_harvester(tmp_path: Path) -> None:
    assert harvest_modules_loaded_by("search_api.app", tmp_path) == []


def test_the_probe_sees_the_harvester(tmp_path: Path) -> None:
    """A module that uses the harvester loads it (a guard that cannot fail guards nothing)."""
    assert "ingest.harvest" in harvest_modules_loaded_by("ingest.harvest.thesaurus", tmp_path)
