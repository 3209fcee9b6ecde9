"""A hostile TMX file is a one-line refusal, not a traceback (issue 13, item 7)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.commands import run
from translate.tmx import MAX_DEPTH, TmxError, read_tmx


def deep_tmx(path: Path, depth: int = 200_000) -> Path:
    """One unit whose English segment holds ``depth`` nested ``<hi>`` elements."""
    path.write_text(
        '<?xml version="1.0"?><tmx version="1.4"><header srclang="en"/><body><tu>'
        '<tuv xml:lang="en"><seg>' + "<hi>" * depth + "Protected areas" + "</hi>" * depth + "</seg></tuv>"
        '<tuv xml:lang="fr"><seg>Aires protégées</seg></tuv></tu></body></tmx>',
        encoding="utf-8",
    )
    return path


def test_deeply_nested_tmx_is_refused(tmp_path: Path) -> None:
    with pytest.raises(TmxError, match=f"nests elements more than {MAX_DEPTH} levels deep"):
        read_tmx(deep_tmx(tmp_path / "deep.tmx"))
    shallow = deep_tmx(tmp_path / "shallow.tmx", depth=3)  # highlighted runs as TMX has them
    units, bad = read_tmx(shallow)
    assert bad == [] and [(u.source_text, u.target_text) for u in units] == [("Protected areas", "Aires protégées")]


def test_memory_import_of_a_deep_tmx_is_one_line(tmp_path: Path) -> None:
    result = run(tmp_path, "memory", "import", str(deep_tmx(tmp_path / "deep.tmx")))
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert f"deep.tmx nests elements more than {MAX_DEPTH} levels deep (<hi>)" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
