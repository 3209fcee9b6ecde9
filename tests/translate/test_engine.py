"""The Argos engine on real packages: install, load, translate in batches, routes, broken models."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from devtools.argos_models import Lexicon, build_package
from tests.translate.conftest import Models
from translate.argos_engine import ArgosEngine
from translate.engines import ModelLoadError
from translate.packages import PackageError, install_file, install_from_index, installed, remove


def test_packages_are_installed_with_argos_and_listed(models: Models) -> None:
    found = {(p.source, p.target): p for p in installed(models.installed)}
    assert set(found) == {("en", "fr"), ("es", "en"), ("en", "ru"), ("en", "ar")}
    assert found["en", "fr"].name == "translate-en_fr" and found["en", "fr"].version == "1.0"
    assert found["en", "fr"].problem is None
    assert (found["en", "fr"].path / "model" / "model.bin").is_file()


def test_the_model_translates_as_the_lexicon_predicts(engine: ArgosEngine) -> None:
    sentences = ["The forest is protected.", "The cat eats the fish in the river!", "Zorblax 2020, today."]
    expected = [Lexicon.for_pair("en", "fr").translate(s) for s in sentences]
    assert expected[0] == "La forêt est protégée."
    assert engine.translate("en", "fr", sentences) == expected
    assert expected[2] == "Zorblax 2020, aujourd'hui."  # unknown words and numbers are copied


def test_a_batch_is_one_model_call(engine: ArgosEngine) -> None:
    calls, done = engine.calls, engine.segments_translated
    batch = [f"The forest {n} is protected." for n in range(100)] + ["", "  "]
    out = engine.translate("en", "fr", batch)
    assert engine.calls == calls + 1 and engine.segments_translated == done + 100
    assert out[7] == "La forêt 7 est protégée." and out[-2:] == ["", ""]


def test_routes_pivot_through_english_and_avoid_broken_models(engine: ArgosEngine) -> None:
    routes = engine.routes([("es", "fr"), ("en", "ru"), ("en", "zh")])
    route = routes.find("es", "fr")
    assert route is not None and route.pivot == "es>en>fr"
    assert route.model_version == "translate-es_en@1.0>translate-en_fr@1.0"
    assert routes.find("en", "ru") is None
    assert "model en→ru failed to load: translate-en_ru 1.0" in routes.why_not("en", "ru")
    assert (
        routes.why_not("en", "zh")
        == "no translation model for en→zh; install one with: chm-search models install en zh"
    )
    assert "nor es→en and en→zh" not in routes.why_not("en", "zh")
    assert "(nor fr→en and en→zh to pivot through English)" in routes.why_not("fr", "zh")


def test_a_model_that_fails_to_load_says_which_and_why(engine: ArgosEngine) -> None:
    with pytest.raises(ModelLoadError) as caught:
        engine.load("en", "ru")
    message = str(caught.value)
    assert message.startswith("translate-en_ru 1.0 (") and "translate-en_ru-1_0" in message
    assert "\n" not in message
    assert engine.translate("en", "fr", ["The cat."]) == ["La chat."]  # the others go on


def test_install_replaces_the_same_pair_and_remove(packages: Path, tmp_path: Path) -> None:
    newer = build_package("en", "fr", tmp_path / "v2", version="2.0")
    install_file(newer, packages)
    versions = [p.version for p in installed(packages) if (p.source, p.target) == ("en", "fr")]
    assert versions == ["2.0"]
    assert [p.version for p in remove("en", "fr", packages)] == ["2.0"]
    with pytest.raises(PackageError, match="no en→fr package is installed"):
        remove("en", "fr", packages)


def test_bad_archives_are_refused_with_a_reason(packages: Path, tmp_path: Path) -> None:
    text = tmp_path / "x.argosmodel"
    text.write_text("not a zip")
    with pytest.raises(PackageError, match="not an Argos package"):
        install_file(text, packages)
    no_model = tmp_path / "y.argosmodel"
    with zipfile.ZipFile(no_model, "w") as zipped:
        zipped.writestr("pkg/metadata.json", '{"from_code": "en", "to_code": "de"}')
    with pytest.raises(PackageError, match="no pkg/model/ directory"):
        install_file(no_model, packages)
    with pytest.raises(PackageError, match="no such file"):
        install_file(tmp_path / "missing.argosmodel", packages)


def test_a_broken_package_directory_is_listed_with_its_problem(packages: Path) -> None:
    (packages / "translate-en_fr-1_0" / "sentencepiece.model").unlink()
    (packages / "junk").mkdir()
    found = {p.path.name: p for p in installed(packages)}
    assert found["translate-en_fr-1_0"].problem == "no sentencepiece.model or bpe.model"
    assert found["junk"].problem is not None and "metadata.json" in found["junk"].problem
    with pytest.raises(ModelLoadError, match=r"no sentencepiece\.model"):
        ArgosEngine(packages).load("en", "fr")


def test_install_from_an_index_downloads_and_installs(
    models: Models, packages: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The index path end to end, against a package index served on the loopback interface."""
    import json
    import shutil
    import threading
    from functools import partial
    from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

    from record_catalogue.settings import get_settings

    site = tmp_path / "site"
    site.mkdir()
    shutil.copy(models.archives["es_en"], site / "translate-es_en.argosmodel")

    class Quiet(SimpleHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(Quiet, directory=str(site)))
    base = f"http://127.0.0.1:{server.server_address[1]}/"
    (site / "index.json").write_text(
        json.dumps([{"from_code": "es", "to_code": "en", "links": [base + "translate-es_en.argosmodel"]}])
    )
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        monkeypatch.setenv("CHM_ARGOS_INDEX_URL", base)
        get_settings.cache_clear()
        fresh = tmp_path / "fresh"
        package = install_from_index("es", "en", fresh, timeout=5)
        assert (package.source, package.target, package.version) == ("es", "en", "1.0")
        assert ArgosEngine(fresh).translate("es", "en", ["El gato."]) == ["The cat."]
        with pytest.raises(PackageError, match="the Argos index has no en→zh package"):
            install_from_index("en", "zh", fresh, timeout=5)
    finally:
        server.shutdown()
        server.server_close()
