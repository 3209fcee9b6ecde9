"""A curator approving while the translate worker runs: nothing is lost, reviewed wins.

Both run for real: the worker translates with the Argos model and stores under the catalogue's
write lock; the API commits the approval and re-indexes; each has its own embedded index
object, as two processes would (the index admits one writer at a time: each waits its turn).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest

from record_catalogue.settings import load_settings
from tests.curation.conftest import CORRECTED, FOREST, LANGUAGES, Doc, World, eventually
from tests.engines import drop_server_index
from tests.translate.conftest import Models
from translate.argos_engine import ArgosEngine
from translate.worker import TranslateReport, TranslateWorker


class PausingEngine(ArgosEngine):
    """The real Argos engine, running ``hook`` once before its first translation of a run."""

    hook: Callable[[], None] | None = None

    def translate(self, source: str, target: str, segments: Sequence[str]) -> list[str]:
        hook, self.hook = self.hook, None
        if hook is not None:
            hook()
        return super().translate(source, target, segments)


@pytest.fixture
def separate(tmp_path: Path, models: Models, stack: dict[str, Any]) -> Iterator[tuple[World, PausingEngine]]:
    engine = PausingEngine(models.installed, intra_threads=1)
    settings = load_settings(
        data_dir=tmp_path / "data",
        languages=LANGUAGES,
        **stack,
    )
    world = World(settings, engine)
    world.app.state.services._backend = None  # the API opens its own index, as another process would
    yield world, engine
    world.close()
    engine.close()
    drop_server_index(settings)


def test_an_approval_made_while_the_model_runs_wins(separate: tuple[World, PausingEngine]) -> None:
    world, engine = separate
    world.ingest(Doc("a", FOREST))
    world.translate()
    item = world.item_for(FOREST)
    # New records hold the sentence (answered from memory) and a new one (for the model). While the
    # model is busy with the new one, after the worker has read the sentence as a machine one, a
    # curator corrects the sentence.
    world.ingest(Doc("b", f"{FOREST} The river is green."), Doc("c", FOREST, "The cat eats the fish."))
    responses = []

    def approve() -> None:
        responses.append(world.put("ana", item["id"], text=CORRECTED, status="reviewed", version=1))

    engine.hook = approve
    report = world.translate()
    assert [r.status_code for r in responses] == [200]
    assert report.fields_current == 3
    # the worker noticed the change under its lock and assembled the fields again from the memory
    assert world.texts("a")["title", "fr", "reviewed"].text == CORRECTED  # reached by the approval
    assert world.texts("b")["title", "fr", "machine"].text == f"{CORRECTED} La rivière est vert."
    assert world.texts("c")["title", "fr", "reviewed"].text == CORRECTED
    assert ("title", "fr", "machine") not in world.texts("c")
    assert world.item_for(FOREST, status="reviewed")["record_count"] == 3

    def searched() -> dict[str, str]:
        return {h["id"]: h["translation_status"] for h in world.search("strictement")}

    # c's summary is the machine's: the record as a whole is machine-translated, its title reviewed
    assert eventually(lambda: searched() == {"a": "reviewed", "b": "machine", "c": "machine"}), searched()


def test_a_worker_thread_and_a_curator_thread_at_once(separate: tuple[World, PausingEngine]) -> None:
    world, _engine = separate
    world.ingest(Doc("seed", FOREST))
    world.translate()
    item = world.item_for(FOREST)
    docs = [Doc(f"rec-{n:02}", FOREST, f"The forest {n} is protected.") for n in range(24)]
    world.ingest(*docs)
    worker = TranslateWorker(
        world.catalogue, world.backend, world.translator, world.settings.languages, batch_records=3
    )
    started = threading.Event()
    reports: list[TranslateReport] = []
    errors: list[BaseException] = []

    def run() -> None:
        try:
            reports.append(worker.run(languages=["fr"], progress=lambda _r: started.set()))
        except BaseException as exc:  # surfaced below
            errors.append(exc)
            started.set()

    thread = threading.Thread(target=run)
    thread.start()
    assert started.wait(60)
    response = world.put("ana", item["id"], text=CORRECTED, status="reviewed", version=1)
    thread.join(120)
    assert not thread.is_alive() and not errors, errors
    assert response.status_code == 200
    assert reports[0].fields_current + reports[0].fields_failed == 48
    for doc in [Doc("seed", FOREST), *docs]:
        title = world.texts(doc.id)["title", "fr", "reviewed"]
        assert (title.text, title.status) == (CORRECTED, "current"), doc.id
    assert world.item_for(FOREST, status="reviewed")["record_count"] == 25

    def found() -> int:
        return len(world.search("strictement", size=100))

    assert eventually(lambda: found() == 25), found()


def test_two_curators_saving_the_same_version_at_the_same_moment(world: World) -> None:
    """Both read version 1 and save at once (on PostgreSQL truly side by side): one wins, the
    other gets 409 with the winner's version, and the records hold the winner's text."""
    world.ingest(Doc("a", FOREST), Doc("b", FOREST))
    world.translate()
    item = world.item_for(FOREST)
    texts = {"ana": "La forêt est bien protégée.", "ben": "La forêt est très protégée."}
    start = threading.Barrier(2)
    answers: dict[str, tuple[int, dict[str, object]]] = {}

    def save(who: str) -> None:
        start.wait()
        response = world.put(who, item["id"], text=texts[who], status="reviewed", version=1)
        answers[who] = (response.status_code, response.json())

    threads = [threading.Thread(target=save, args=(who,)) for who in texts]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert sorted(status for status, _ in answers.values()) == [200, 409], answers
    [winner] = [who for who, (status, _) in answers.items() if status == 200]
    [loser] = [who for who in texts if who != winner]
    conflict = answers[loser][1]
    assert conflict["current"]["version"] == 2 and conflict["current"]["text"] == texts[winner]  # type: ignore[index]
    assert world.texts("a")["title", "fr", "reviewed"].text == texts[winner]
    assert world.texts("b")["title", "fr", "reviewed"].text == texts[winner]
