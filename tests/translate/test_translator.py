"""The translate stage on a real model: memory, batching, glossary, pivot, gate, rich text."""

from __future__ import annotations

from devtools.argos_models import Lexicon
from record_catalogue.memory_store import TranslationMemory
from record_catalogue.store import Catalogue
from translate.argos_engine import ArgosEngine
from translate.curation import Curation
from translate.glossary import Glossary
from translate.translator import COPIED, TextRequest, Translator

EN_FR = Lexicon.for_pair("en", "fr")


def test_batches_across_texts_and_never_translates_a_segment_twice(translator: Translator) -> None:
    engine = translator.engine
    assert isinstance(engine, ArgosEngine)
    calls, done = engine.calls, engine.segments_translated
    texts = [f"The forest {n} is protected. The cat eats the fish." for n in range(30)]
    results = translator.translate([TextRequest("en", "fr", t) for t in texts])
    assert [r.text for r in results] == [EN_FR.translate(t) for t in texts]
    assert all(r.status == "current" for r in results)
    # 31 distinct sentences of 30 texts: one model call, each sentence once
    assert engine.calls == calls + 1 and engine.segments_translated == done + 31
    assert translator.stats.translated == 31 and translator.stats.from_memory == 0

    again = translator.translate([TextRequest("en", "fr", t) for t in texts])
    assert [r.text for r in again] == [r.text for r in results]
    assert engine.calls == calls + 1 and engine.segments_translated == done + 31  # memory answered all
    assert translator.stats.from_memory == 31


def test_memory_is_in_the_catalogue_and_survives_a_new_translator(
    translator: Translator, store: Catalogue, engine: ArgosEngine
) -> None:
    translator.translate([TextRequest("en", "fr", "The river is green.")])
    memory = TranslationMemory(store.sessions)
    assert memory.count("machine") == 1
    fresh = Translator(engine, memory, Glossary.load())
    before = engine.segments_translated
    assert fresh.translate([TextRequest("en", "fr", "The river is green.")])[0].text == "La rivière est vert."
    assert engine.segments_translated == before


def test_glossary_terms_come_out_as_the_glossary_says(engine: ArgosEngine, store: Catalogue) -> None:
    text = "The biological diversity of the forests is protected by the Nagoya Protocol."
    # word by word, the model gets the term wrong ...
    raw = Translator(engine, TranslationMemory(store.sessions), Glossary([])).translate([TextRequest("en", "fr", text)])
    assert raw[0].text == "La biologique diversité de la forêts est protégée par la Nagoya Protocole."
    # ... the glossary puts the official terms in place
    done = Translator(engine, TranslationMemory(store.sessions), Glossary.load()).translate(
        [TextRequest("en", "fr", text)]
    )
    assert done[0].text == "La diversité biologique de la forêts est protégée par la Protocole de Nagoya."
    start = Translator(engine, TranslationMemory(store.sessions), Glossary.load()).translate(
        [TextRequest("en", "fr", "Biological diversity is important.")]
    )
    assert start[0].text == "Diversité biologique est important."


def test_pivot_through_english_with_provenance(translator: Translator) -> None:
    [result] = translator.translate([TextRequest("es", "fr", "El gato come el pez en el río.")])
    assert result.text == "La chat mange la poisson dans la rivière."
    assert result.status == "current" and result.engine == "argos" and result.pivot == "es>en>fr"
    assert result.model is not None and result.model.startswith("translate-es_en 1.0 + translate-en_fr 1.0; glossary ")
    # each half is remembered too: es→en is now free
    engine = translator.engine
    assert isinstance(engine, ArgosEngine)
    before = engine.segments_translated
    assert translator.translate([TextRequest("es", "en", "El gato come el pez en el río.")])[0].text == (
        "The cat eats the fish in the river."
    )
    assert engine.segments_translated == before


def test_missing_pair_and_broken_model_are_pending_with_the_reason(translator: Translator) -> None:
    missing, broken, fine = translator.translate(
        [TextRequest("en", target, "The forest.") for target in ("zh", "ru", "fr")]
    )
    assert (missing.status, missing.text) == ("pending", "")
    assert missing.reason == "no translation model for en→zh; install one with: chm-search models install en zh"
    assert broken.status == "pending" and broken.reason is not None
    assert broken.reason.startswith("model en→ru failed to load: translate-en_ru 1.0")
    assert fine.status == "current" and fine.text == "La forêt."


def test_a_pair_without_a_model_is_answered_from_reviewed_sentences_alone(
    translator: Translator, store: Catalogue
) -> None:
    memory = translator.memory
    memory.add_reviewed("en", "zh", "The forest is protected.", "森林受到保护。", "curator@cbd")
    memory.add_reviewed("en", "zh", "The river is green.", "河流是绿色的。", "lin@cbd")
    memory.add_reviewed("en", "zh", "The cat eats the fish.", "猫吃鱼。", "lin@cbd")
    cat = memory.states("en", "zh", ["The cat eats the fish."])["The cat eats the fish."]
    # a curator rejects their own sentence: a rejected translation is no answer
    Curation(store, None).review(cat.id, status="rejected", text=None, version=cat.version, actor="lin@cbd")
    whole, html, partly, rejected, numbers = translator.translate(
        [
            TextRequest("en", "zh", "The forest is protected. The river is green."),
            TextRequest("en", "zh", "<p>The forest is protected.</p>", html=True),
            TextRequest("en", "zh", "The forest is protected. The sea is blue."),
            TextRequest("en", "zh", "The cat eats the fish."),
            TextRequest("en", "zh", "2020"),
        ]
    )
    assert (whole.status, whole.text) == ("current", "森林受到保护。河流是绿色的。")
    assert whole.reviewed_by == ("curator@cbd", "lin@cbd") and whole.engine is None and whole.model is None
    assert [part.kind for part in whole.parts] == ["reviewed", "reviewed"]
    assert (html.status, html.text) == ("current", "<p>森林受到保护。</p>")
    missing = "no translation model for en→zh; install one with: chm-search models install en zh"
    for pending in (partly, rejected, numbers):  # a sentence the memory lacks, a rejected one, nothing to review
        assert (pending.status, pending.text, pending.reason) == ("pending", "", missing)
    stats = translator.stats
    assert (stats.segments, stats.reviewed, stats.pending_texts) == (2, 2, 3)


def test_very_long_text_is_translated_whole(translator: Translator) -> None:
    paragraph = " ".join(
        f"The forest {n} is protected by the national strategy, and the river is green." for n in range(60)
    )
    run_on = ", ".join(["the cat eats the fish"] * 120) + "."  # one 2,600-character sentence
    text = "\n\n".join([paragraph] * 5 + [run_on])
    [result] = translator.translate([TextRequest("en", "fr", text)])
    assert result.status == "current"
    assert result.text == EN_FR.translate(text)
    assert len(text) > 20_000


def test_empty_fields_and_fields_without_letters(translator: Translator) -> None:
    empty, blank, code = translator.translate(
        [
            TextRequest("en", "fr", ""),
            TextRequest("en", "fr", "  \n"),
            TextRequest("en", "fr", "UNEP/CBD/COP/12/11 — 2020"),
        ]
    )
    assert (empty.text, empty.status) == ("", "current")
    assert blank.status == "current" and blank.text.strip() == ""
    assert (code.text, code.status) == ("UNEP/CBD/COP/12/11 — 2020", "current")


def test_text_already_in_the_target_language_is_copied_not_failed(translator: Translator) -> None:
    french = "La forêt est protégée par la stratégie nationale du gouvernement et des communautés locales."
    [result] = translator.translate([TextRequest("en", "fr", f"The cat eats the fish. {french}")])
    assert result.status == "current"
    assert result.text == f"La chat mange la poisson. {french}"
    assert translator.stats.copied == 1
    memory = translator.memory
    assert memory.lookup("en", "fr", "argos", "translate-en_fr@1.0", [french])[french].status_reason == COPIED


def test_sanity_gate_rejects_bad_model_output(translator: Translator) -> None:
    loop, ramble, echo, wrong = translator.translate(
        [
            TextRequest("en", "fr", "The cat will hallucinate today."),
            TextRequest("en", "fr", "Ramble."),
            TextRequest("en", "fr", "Zorblax frobnicates quickly."),
            TextRequest("en", "ar", "The forest is protected by the government and the local communities today."),
        ]
    )
    assert loop.status == "failed" and loop.reason is not None
    assert "repetition loop: 'salade' 4 times in a row" in loop.reason
    assert loop.text == "La chat va salade salade salade salade aujourd'hui."  # kept for the curators
    assert ramble.status == "failed" and ramble.reason is not None and "absurd length ratio" in ramble.reason
    assert echo.status == "failed" and echo.reason is not None and "output identical to the input" in echo.reason
    assert wrong.status == "failed" and wrong.reason is not None
    # Latin letters where Arabic was asked for: refused sentence by sentence, by script
    assert wrong.reason.endswith("wrong script: 0 of 54 letters are Arabic, expected ar")
    # the verdict is remembered with the segment, and a re-run asks the model nothing
    remembered = translator.memory.lookup("en", "fr", "argos", "translate-en_fr@1.0", ["Ramble."])
    assert remembered["Ramble."].status == "failed"
    engine = translator.engine
    assert isinstance(engine, ArgosEngine)
    before = engine.segments_translated
    assert translator.translate([TextRequest("en", "fr", "Ramble.")])[0].status == "failed"
    assert engine.segments_translated == before


def test_html_keeps_its_markup(translator: Translator) -> None:
    html = (
        '<p class="x">The <b>forest</b> is protected.</p><ul><li>The cat &amp; the fish.</li></ul><code>the cat</code>'
    )
    [result] = translator.translate([TextRequest("en", "fr", html)])
    assert result.status == "current"
    assert result.text == (
        '<p class="x">La <b>forêt</b> est protégée.</p><ul><li>La chat &amp; la poisson.</li></ul><code>the cat</code>'
    )


def test_a_reviewed_segment_beats_the_machine(translator: Translator) -> None:
    translator.memory.add_reviewed("en", "fr", "The cat eats the fish.", "Le chat mange le poisson.", "curator@cbd")
    [result] = translator.translate([TextRequest("en", "fr", "The cat eats the fish. The river is green.")])
    assert result.text == "Le chat mange le poisson. La rivière est vert."
    assert translator.stats.reviewed == 1


def test_a_pivot_whose_first_step_copies_the_source_is_refused(translator: Translator) -> None:
    """es→en→ar where es→en gives the Spanish back: refused at that step (and never stored as Arabic),
    whatever the second model makes of it; es→en→fr likewise."""
    spanish = "Zorblax frobnicates quickly."  # words the es→en model does not know: copied through
    into_arabic, into_french = translator.translate(
        [TextRequest("es", "ar", spanish), TextRequest("es", "fr", spanish)]
    )
    for result, path in ((into_arabic, "es>en>ar"), (into_french, "es>en>fr")):
        assert result.status == "failed" and result.pivot == path
        assert "step es→en: output identical to the input (not translated)" in (result.reason or "")
    # the verdict is kept with the route's answer: a re-run refuses it again without the model
    again = translator.translate([TextRequest("es", "ar", spanish)])[0]
    assert again.status == "failed" and "step es→en" in (again.reason or "")


def test_stored_plain_text_is_never_parsed_as_html(translator: Translator) -> None:
    """Catalogue texts are plain (ingest extracts text from HTML): one that mentions a tag and an
    ampersand keeps them as characters, rather than coming back entity-escaped."""
    text = "The cat & the fish <b>."
    [plain] = translator.translate([TextRequest("en", "fr", text, html=False)])
    assert plain.status == "current" and plain.text == "La chat & la poisson <b>."
    [escaped] = translator.translate([TextRequest("en", "fr", "The cat &amp; the fish.", html=False)])
    assert "&amp;amp;" not in escaped.text


def test_the_counts_add_up_with_pivots_memory_copies_and_glossary_retries(translator: Translator) -> None:
    """Each distinct segment counted once by where its translation came from (the CLI printed
    '2083 distinct segments (2082 by the model, 144 from memory …)' when pivot steps and memory
    hits of the steps were counted as segments)."""
    french = "La forêt est protégée par la stratégie nationale du gouvernement et des communautés locales."
    requests = [
        TextRequest("en", "fr", f"The cat eats the fish. {french}"),
        TextRequest("es", "fr", "El gato come el pescado. El bosque."),  # pivot: two model inputs each
        TextRequest("en", "fr", "The national strategy on biological diversity."),  # glossary placeholder
    ]
    translator.translate(requests)
    translator.translate([*requests, TextRequest("en", "fr", "The river is green.")])
    s = translator.stats
    assert s.segments == s.translated + s.from_memory + s.reviewed + s.rejected_segments + s.copied
    assert (s.segments, s.translated, s.copied, s.from_memory) == (11, 5, 2, 4)  # a remembered copy is a copy
    assert s.model_inputs == 7  # the pivot's two sentences went through two models
    assert "11 distinct segments: 5 by the model, 4 from memory, 0 reviewed" in s.summary()
