"""The LibreTranslate-compatible endpoints, with LibreTranslate's own Python client as a real client.

A real catalogue (SQLite with the embedded index, PostgreSQL with the suite's OpenSearch node), the
real tiny Argos models (``tests/translate/conftest.py``: en→fr word by word), the translate
worker and a curator's correction through the API; then ``libretranslatepy`` talks to a real
``chm-search serve`` on loopback as a CAT tool would, and gets the curator's sentence back.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from libretranslatepy import LibreTranslateAPI  # type: ignore[import-untyped]

from devtools.commands import CLI_ARGS, clean_environment
from devtools.served import SERVE, serving
from record_catalogue.keys import KeyStore
from record_catalogue.settings import get_settings
from tests.curation import conftest as curation
from tests.curation.conftest import CAT, CORRECTED, DIVERSITY, FOREST, MACHINE, RIVER, Doc, World
from tests.engines import engine_environment
from tests.translate.conftest import Models

ROOT = Path(__file__).resolve().parents[2]
# The curation suite's world (catalogue, index, worker, API, curator keys) and the session's models.
models = curation.models
engine = curation.engine
world = curation.world

TRANSLATE = "/libretranslate/translate"


@pytest.fixture
def reviewed(world: World, models: Models, monkeypatch: pytest.MonkeyPatch) -> World:
    """The forest sentence corrected by a curator; the cat sentence rejected; a translator's key."""
    monkeypatch.setenv("CHM_MODELS_DIR", str(models.installed))  # the API's own engine, on the test models
    get_settings.cache_clear()
    world.ingest(Doc("chm-1", FOREST), Doc("abs-1", f"{FOREST} {CAT}", realm="ABS"))
    world.translate()
    forest = world.item_for(FOREST)
    assert forest["text"] == MACHINE
    assert world.put("ana", forest["id"], text=CORRECTED, status="reviewed", version=1).status_code == 200
    cat = world.item_for(CAT)
    assert world.put("ben", cat["id"], status="rejected", version=cat["version"]).status_code == 200
    world.keys["translator"] = KeyStore(world.catalogue).create("Trados at the Secretariat", "translator")
    world.keys["slow"] = KeyStore(world.catalogue).create("Slow tool", "translator", rate_limit=2)
    return world


@pytest.fixture
def server(reviewed: World, models: Models) -> Iterator[str]:
    """``chm-search serve`` on a free loopback port, on the world's catalogue and index."""
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("CHM_", "ARGOS_", "XDG_"))}
    environment.update(models.env())
    environment.update(
        CHM_DATA_DIR=str(reviewed.settings.data_dir),
        CHM_LANGUAGES="en,fr,es",
        CHM_CATALOGUE_URL=reviewed.settings.catalogue_dsn,
        **engine_environment(reviewed.settings),
    )
    with serving(SERVE, environment, "/libretranslate/languages") as served:
        yield served.url


def post_json(url: str, body: dict[str, Any]) -> tuple[int, Any]:
    request = urllib.request.Request(
        url, data=json.dumps(body).encode(), headers={"Content-Type": "application/json"}, method="POST"
    )
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def test_libretranslatepy_gets_the_curators_translation_from_a_real_server(reviewed: World, server: str) -> None:
    client = LibreTranslateAPI(f"{server}/libretranslate", api_key=reviewed.keys["translator"])
    assert client.translate(FOREST, "en", "fr") == CORRECTED  # the curator's sentence, not the machine's
    assert client.translate(RIVER, "en", "fr") == "La rivière est vert."  # new: the model, through the gate
    assert client.translate(DIVERSITY, "en", "fr") == "La diversité biologique est protégée."  # glossary term
    detected = client.detect("The forest of the country is protected by the national law and the government.")
    assert detected[0]["language"] == "en" and 50 <= detected[0]["confidence"] <= 100
    languages = {language["code"]: language for language in client.languages()}
    assert set(languages) == {"en", "fr", "es"}
    assert languages["en"]["name"] == "English" and languages["en"]["targets"] == ["fr"]
    assert languages["es"]["targets"] == ["en", "fr"]  # fr through English

    # Weblate's backend: JSON, q a list, the key in the body; provenance is an extra field it ignores
    status, body = post_json(
        f"{server}{TRANSLATE}",
        {
            "q": [FOREST, f"{FOREST} {RIVER}", CAT],
            "source": "en",
            "target": "fr",
            "api_key": reviewed.keys["translator"],
        },
    )
    assert status == 200, body
    assert body["translatedText"] == [CORRECTED, f"{CORRECTED} La rivière est vert.", CAT]
    first, mixed, rejected = body["provenance"]
    assert first == {
        "kind": "reviewed",
        "reviewedBy": ["Ana (Secretariat)"],
        "sentences": {"reviewed": 1, "machine": 0},
    }
    assert mixed["kind"] == "mixed" and mixed["sentences"] == {"reviewed": 1, "machine": 1}
    assert mixed["engine"] == "argos" and mixed["model"].startswith("translate-en_fr 1.0; glossary ")
    assert rejected["kind"] == "untranslated" and "rejected by Ben (Secretariat)" in rejected["reason"]

    # without a key, with a wrong one: LibreTranslate's errors, which its client raises as HTTP errors
    with pytest.raises(urllib.error.HTTPError) as missing:
        LibreTranslateAPI(f"{server}/libretranslate").translate(FOREST, "en", "fr")
    assert missing.value.code == 400 and "API key" in json.loads(missing.value.read())["error"]
    with pytest.raises(urllib.error.HTTPError) as wrong:
        LibreTranslateAPI(f"{server}/libretranslate", api_key="chm_nope").translate(FOREST, "en", "fr")
    assert wrong.value.code == 403 and json.loads(wrong.value.read()) == {
        "error": "Invalid API key (unknown or revoked)"
    }
    # the server goes on
    assert client.translate(FOREST, "en", "fr") == CORRECTED


def lt(world: World, body: dict[str, Any], who: str | None = "translator", path: str = TRANSLATE) -> Any:
    if who is not None:
        body = {**body, "api_key": world.keys[who]}
    return world.client.post(path, json=body)


def test_keys_roles_and_rate_limits(reviewed: World) -> None:
    body = {"q": FOREST, "source": "en", "target": "fr"}
    missing = lt(reviewed, body, who=None)
    assert missing.status_code == 400 and missing.json()["error"].startswith("Please contact the server operator")
    unknown = reviewed.client.post(TRANSLATE, json={**body, "api_key": "chm_unknown"})
    assert unknown.status_code == 403 and unknown.json() == {"error": "Invalid API key (unknown or revoked)"}
    curator = lt(reviewed, body, who="ana")
    assert curator.status_code == 403 and "has role 'curator', not 'translator'" in curator.json()["error"]
    assert lt(reviewed, body, who="root").json()["translatedText"] == CORRECTED  # admin may
    header = reviewed.client.post(TRANSLATE, json=body, headers={"X-API-Key": reviewed.keys["translator"]})
    assert header.status_code == 200 and header.json()["translatedText"] == CORRECTED
    detect = lt(reviewed, {"q": "La forêt est protégée par la loi nationale du pays."}, path="/libretranslate/detect")
    assert detect.status_code == 200 and detect.json()[0]["language"] == "fr"
    assert lt(reviewed, {"q": "x"}, who=None, path="/libretranslate/detect").status_code == 400
    # a key with a limit of 2 a minute: the third request is told to slow down, with Retry-After
    assert [lt(reviewed, body, who="slow").status_code for _ in range(2)] == [200, 200]
    limited = lt(reviewed, body, who="slow")
    assert limited.status_code == 429 and limited.json()["error"].startswith("Slowdown:")
    assert int(limited.headers["Retry-After"]) >= 1
    assert lt(reviewed, body).status_code == 200  # other keys go on


def test_bad_requests_get_libretranslate_errors(reviewed: World) -> None:
    def error(body: dict[str, Any]) -> tuple[int, str]:
        response = lt(reviewed, body)
        assert set(response.json()) == {"error"}, response.text
        return response.status_code, response.json()["error"]

    many = error({"q": ["The forest."] * 10_000, "source": "en", "target": "fr"})
    assert many == (
        400,
        "Invalid request: request (10000 texts) exceeds text limit (1000 texts); send them in several requests",
    )
    long = error({"q": [FOREST * 1100, FOREST * 1100], "source": "en", "target": "fr"})
    assert long == (400, "Invalid request: request (52800 characters) exceeds text limit (50000 characters)")
    assert error({"q": FOREST, "source": "en", "target": "de"}) == (400, "de is not supported (languages: en, fr, es)")
    assert error({"q": FOREST, "source": "xx", "target": "fr"})[1].startswith("xx is not supported")
    no_model = error({"q": FOREST, "source": "en", "target": "es"})
    assert no_model[0] == 400
    assert no_model[1].startswith("Spanish (es) is not available as a target language from English (en): ")
    assert "chm-search models install en es" in no_model[1]
    assert error({"q": FOREST, "source": "en", "target": "fr", "format": "xml"}) == (
        400,
        "xml format is not supported (formats: text, html)",
    )
    assert error({"source": "en", "target": "fr"}) == (400, "Invalid request: missing q parameter")
    assert error({"q": FOREST, "target": "fr"}) == (400, "Invalid request: missing source parameter")
    assert error({"q": [FOREST, 3], "source": "en", "target": "fr"})[1] == (
        "Invalid request: q must be a text or a list of texts"
    )
    broken = reviewed.client.post(TRANSLATE, content=b"{not json", headers={"Content-Type": "application/json"})
    assert broken.status_code == 400 and broken.json() == {"error": "Invalid JSON format"}
    huge = reviewed.client.post(
        TRANSLATE, content=b"q=" + b"a" * 500_000, headers={"Content-Type": "application/x-www-form-urlencoded"}
    )
    assert huge.status_code == 413 and "exceeds" in huge.json()["error"]
    # and the next request is served
    assert lt(reviewed, {"q": FOREST, "source": "en", "target": "fr"}).json()["translatedText"] == CORRECTED


def test_auto_detection_html_and_one_bad_text_among_good_ones(reviewed: World) -> None:
    sentence = "The national strategy protects the forest and the river of the country."
    auto = lt(reviewed, {"q": [sentence, "Ἀθῆναι καὶ Σπάρτη", FOREST], "source": "auto", "target": "fr"}).json()
    assert auto["translatedText"][0] == "La nationale stratégie protège la forêt et la rivière de la pays."
    assert auto["detectedLanguage"][0]["language"] == "en" and auto["detectedLanguage"][0]["confidence"] > 50
    # a short text is detected with the whole batch (as LibreTranslate does): here that is English
    assert auto["translatedText"][2] == CORRECTED and auto["detectedLanguage"][2]["language"] == "en"
    alone = lt(reviewed, {"q": ["Ἀθῆναι καὶ Σπάρτη"], "source": "auto", "target": "fr"}).json()
    assert alone["translatedText"] == ["Ἀθῆναι καὶ Σπάρτη"]  # kept as it is, saying why
    assert alone["detectedLanguage"] == [{"confidence": 0.0, "language": "und"}]
    assert alone["provenance"][0] == {
        "kind": "untranslated",
        "reason": "its language could not be detected; send source",
    }

    html = lt(
        reviewed, {"q": f'<p class="x">{FOREST} <b>{RIVER}</b></p>', "source": "en", "target": "fr", "format": "html"}
    )
    assert html.json()["translatedText"] == f'<p class="x">{CORRECTED} <b>La rivière est vert.</b></p>'
    plain = lt(reviewed, {"q": "The forest <b> & the river.", "source": "en", "target": "fr"}).json()
    assert "<b> &" in plain["translatedText"] and "&amp;" not in plain["translatedText"]  # text stays text
    pivot = lt(reviewed, {"q": "El bosque es protegida.", "source": "es", "target": "fr"}).json()
    assert pivot["provenance"]["kind"] == "machine" and pivot["provenance"]["pivot"] == "es>en>fr"
    same = lt(reviewed, {"q": FOREST, "source": "en", "target": "en"}).json()
    assert same == {"translatedText": FOREST, "provenance": {"kind": "unchanged"}}


BOSQUE = "El bosque está protegido."
RIO = "El río es verde."


def import_tmx(world: World, tmp_path: Path, units: dict[str, str], actor: str) -> None:
    """A translator's TMX of en→es sentences, imported as reviewed with ``chm-search memory import``."""
    body = "".join(
        f'<tu srclang="en"><tuv xml:lang="en"><seg>{source}</seg></tuv>'
        f'<tuv xml:lang="es"><seg>{target}</seg></tuv></tu>'
        for source, target in units.items()
    )
    path = tmp_path / "spanish.tmx"
    path.write_text(
        f'<?xml version="1.0" encoding="UTF-8"?>\n<tmx version="1.4"><header srclang="en"/><body>{body}</body></tmx>',
        encoding="utf-8",
    )
    environment = clean_environment(
        CHM_DATA_DIR=str(world.settings.data_dir),
        CHM_LANGUAGES="en,fr,es",
        CHM_CATALOGUE_URL=world.settings.catalogue_dsn,
        **engine_environment(world.settings),
    )
    command = [sys.executable, *CLI_ARGS, "memory", "import", str(path)]
    done = subprocess.run(
        [*command, "--as-reviewed", "--actor", actor], capture_output=True, text=True, env=environment, cwd=ROOT
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_a_pair_without_a_model_is_answered_from_the_reviewed_memory(
    reviewed: World, server: str, tmp_path: Path
) -> None:
    """No en→es model is installed; a translator's reviewed TMX covers two sentences."""
    import_tmx(reviewed, tmp_path, {FOREST: BOSQUE, RIVER: RIO}, "Carla (Secretariat)")
    client = LibreTranslateAPI(f"{server}/libretranslate", api_key=reviewed.keys["translator"])
    assert client.translate(FOREST, "en", "es") == BOSQUE
    assert client.translate(f"{FOREST} {RIVER}", "en", "es") == f"{BOSQUE} {RIO}"
    # a sentence the memory lacks: LibreTranslate's 400, naming the missing model and what fixes it
    with pytest.raises(urllib.error.HTTPError) as missing:
        client.translate(f"{FOREST} {CAT}", "en", "es")
    assert missing.value.code == 400
    message = json.loads(missing.value.read())["error"]
    assert message.startswith("Spanish (es) is not available as a target language from English (en): ")
    assert "no translation model for en→es" in message and "chm-search models install en es" in message
    assert message.endswith("the translation memory has no reviewed translation of every sentence of the text")

    # a batch: what the memory covers is answered, the rest kept as it is with the reason
    status, body = post_json(
        f"{server}{TRANSLATE}",
        {
            "q": [RIVER, CAT, f"<p>{FOREST}</p>"],
            "source": "en",
            "target": "es",
            "format": "html",
            "api_key": reviewed.keys["translator"],
        },
    )
    assert status == 200, body
    assert body["translatedText"] == [RIO, CAT, f"<p>{BOSQUE}</p>"]
    river, cat, forest = body["provenance"]
    assert river == {
        "kind": "reviewed",
        "reviewedBy": ["Carla (Secretariat)"],
        "sentences": {"reviewed": 1, "machine": 0},
    }
    assert forest["kind"] == "reviewed"
    assert cat["kind"] == "untranslated" and cat["reason"].startswith("no translation model for en→es")
    # a batch the memory answers none of is the pair's 400
    status, body = post_json(
        f"{server}{TRANSLATE}",
        {"q": [CAT, "The sea is blue."], "source": "en", "target": "es", "api_key": reviewed.keys["translator"]},
    )
    assert status == 400 and body["error"].endswith("of every sentence of any of the texts")
    # detected sources take the same path
    status, body = post_json(
        f"{server}{TRANSLATE}",
        {"q": "The forest is protected.", "source": "auto", "target": "es", "api_key": reviewed.keys["translator"]},
    )
    assert status == 200 and body["translatedText"] == BOSQUE and body["provenance"]["kind"] == "reviewed"
    # and a model's pair is unchanged
    assert client.translate(FOREST, "en", "fr") == CORRECTED


def test_the_worker_fills_a_pair_without_a_model_from_the_reviewed_memory(world: World, models: Models) -> None:
    """The worker's path is the same: a field whose sentences curators translated becomes a reviewed
    translation though no en→es model is installed; a field with one sentence missing stays pending."""
    world.ingest(Doc("covered", f"{FOREST} {RIVER}"), Doc("partly", f"{FOREST} {CAT}"))
    world.translator.memory.add_reviewed("en", "es", FOREST, BOSQUE, "Carla (Secretariat)")
    world.translator.memory.add_reviewed("en", "es", RIVER, RIO, "Dan (Secretariat)")
    report = world.translate(("es",))
    covered = world.texts("covered")[("title", "es", "reviewed")]
    assert (covered.text, covered.status) == (f"{BOSQUE} {RIO}", "current")
    assert covered.actor == "Carla (Secretariat), Dan (Secretariat)"
    partly = world.texts("partly")[("title", "es", "machine")]
    assert (partly.status, partly.text) == ("pending", "")
    assert partly.status_reason is not None and partly.status_reason.startswith("no translation model for en→es")
    assert (report.fields_current, report.fields_pending) == (1, 1)
    # readers of Spanish find the record by the curators' words
    assert [hit["id"] for hit in world.search("bosque protegido río", lang="es")] == ["covered"]
