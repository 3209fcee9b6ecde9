"""``--dist loadgroup`` that works on pytest 9.2: the tests of one ``xdist_group`` go to one worker.

pytest-xdist 3.8 tells its scheduler a test's group by appending ``@group`` to the test's id in the
worker (``item._nodeid``); pytest 9.2 keeps ids elsewhere, so the suffix is lost and every grouped
test is scheduled on its own, silently (pytest-xdist issue 1386). Here each worker writes the
groups it collected to a file the controller named (``pytest_configure_node``), and the
controller's loadgroup scheduler reads them before it hands out the first test. Where xdist's
own suffix does arrive (an older pytest) its groups are the same ones.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

import pytest

INPUT_KEY = "chm_xdist_groups"  # the directory, in each worker's workerinput
GROUPS_DIRECTORY = pytest.StashKey[Path]()


def _directory(config: pytest.Config) -> Path:
    if GROUPS_DIRECTORY not in config.stash:
        config.stash[GROUPS_DIRECTORY] = Path(tempfile.mkdtemp(prefix="chm-xdist-groups-"))
    return config.stash[GROUPS_DIRECTORY]


@pytest.hookimpl(optionalhook=True)
def pytest_configure_node(node: Any) -> None:
    """Controller: where this worker writes the groups of the tests it collected."""
    node.workerinput[INPUT_KEY] = str(_directory(node.config))


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Worker: ``{test id: group}`` for every test with an ``xdist_group`` mark (several marks: their
    names joined, as xdist joins them)."""
    workerinput = getattr(config, "workerinput", None)
    if not workerinput or INPUT_KEY not in workerinput:
        return
    groups = {}
    for item in items:
        marks = item.iter_markers("xdist_group")
        names = {str(mark.args[0] if mark.args else mark.kwargs.get("name", "default")) for mark in marks}
        if names:
            groups[item.nodeid] = "_".join(sorted(names))
    target = Path(workerinput[INPUT_KEY]) / f"{workerinput['workerid']}.json"
    partial = target.with_suffix(".partial")
    partial.write_text(json.dumps(groups), encoding="utf-8")
    os.replace(partial, target)  # whole or absent when the controller reads it


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> Any:
    """Controller: xdist's loadgroup scheduler, told each test's group by the workers' files."""
    if config.getvalue("dist") != "loadgroup":
        return None
    from xdist.scheduler import LoadGroupScheduling

    directory = _directory(config)

    class GroupsFromWorkers(LoadGroupScheduling):
        def __init__(self, config: pytest.Config, log: Any) -> None:
            super().__init__(config, log)
            self.groups: dict[str, str] = {}

        def schedule(self) -> None:
            # Every worker has sent its collection (so has written its file) before this runs.
            for path in sorted(directory.glob("*.json")):
                self.groups = json.loads(path.read_text(encoding="utf-8"))
                break
            super().schedule()

        def _split_scope(self, nodeid: str) -> str:
            return self.groups.get(nodeid) or str(super()._split_scope(nodeid))

    return GroupsFromWorkers(config, log)


def pytest_unconfigure(config: pytest.Config) -> None:
    if GROUPS_DIRECTORY in config.stash:
        shutil.rmtree(config.stash[GROUPS_DIRECTORY], ignore_errors=True)
