"""A rebuild (``chm-search reindex``) while other processes keep writing: nothing lost, no crash.

Found by ``bench/load.py``: a push committing to the version a rebuild had just retired and
deleted answered 500 (tantivy could not read back the files it had written), and a change
committed after the rebuild had read that record was missing from the new version.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ingest.sources.files import read_path
from record_catalogue.settings import Settings
from record_catalogue.store import Catalogue
from search_index.base import IndexRetired, SearchQuery
from search_index.tantivy_backend import TantivyBackend
from tests.conftest import SAMPLES
from tests.ingest.test_pipeline import pipeline


def _target(tmp_path: Path, title: str) -> Path:
    doc = json.loads((SAMPLES / "shared" / "national-target.json").read_text())
    doc["title"]["en"] = title
    path = tmp_path / "target.json"
    path.write_text(json.dumps(doc))
    return path


def _titles(backend: TantivyBackend, text: str) -> list[str]:
    return [hit.id for hit in backend.search(SearchQuery(text=text, lang="en")).hits]


def test_a_commit_to_a_version_a_rebuild_retired_says_so(settings: Settings, catalogue: Catalogue) -> None:
    writer_side = pipeline(settings, catalogue)
    writer_side.run(read_path(SAMPLES / "shared"))
    rebuilder = pipeline(settings, catalogue)  # another process: its own backend on the same folder
    old = writer_side.backend.current_version()
    doc = writer_side.backend.get("UNEP-CBD-COP-12-11")
    assert doc is not None
    writer_side.backend.bulk([doc])  # written, not yet committed
    rebuilder.rebuild_index()
    assert rebuilder.backend.current_version() != old
    with pytest.raises(IndexRetired):
        writer_side.backend.refresh()


def test_a_push_during_a_rebuild_lands_in_the_new_version(
    settings: Settings, catalogue: Catalogue, tmp_path: Path
) -> None:
    writer_side = pipeline(settings, catalogue)
    writer_side.run(read_path(_target(tmp_path, "Expanding marine protected areas")))
    rebuilder = pipeline(settings, catalogue)
    other = pipeline(settings, catalogue)

    def push_meanwhile(count: int) -> None:
        # The rebuild has read the record (there is one): a push now changes it and commits to
        # the version about to be retired, as the API would.
        if count == 1:
            other.run(read_path(_target(tmp_path, "Restoring degraded wetlands")))

    rebuilder.rebuild_index(progress=push_meanwhile)
    fresh = TantivyBackend(settings.index_dir)
    assert _titles(fresh, "wetlands") != [], "the change made during the rebuild is missing from the new version"
    assert _titles(fresh, "marine protected") == []
    assert catalogue.ids_needing_index() == []


def test_the_writer_retries_on_the_live_version(settings: Settings, catalogue: Catalogue, tmp_path: Path) -> None:
    writer_side = pipeline(settings, catalogue)
    writer_side.run(read_path(SAMPLES / "shared"))
    rebuilder = pipeline(settings, catalogue)
    path = _target(tmp_path, "Restoring degraded wetlands")
    # Written to the old version, then the rebuild retires it before the writer commits.
    original = writer_side.backend.bulk

    def bulk_then_rebuild(docs, version=None):  # type: ignore[no-untyped-def]
        result = original(docs, version)
        if rebuilder.backend.current_version() == writer_side.backend.current_version() and not swapped:
            swapped.append(True)
            rebuilder.rebuild_index()
        return result

    swapped: list[bool] = []
    writer_side.backend.bulk = bulk_then_rebuild  # type: ignore[method-assign]
    report = writer_side.run(read_path(path))
    assert swapped and report.errors == 0
    assert _titles(TantivyBackend(settings.index_dir), "wetlands") != []
