"""The sanity gate's checks on their own (on real model output in test_translator.py)."""

from __future__ import annotations

from analyzers.detect import Detection, LanguageDetector
from translate.gate import check_identical, check_language, check_length, check_repetition, check_segment


def test_repetition_loops_of_words_and_phrases() -> None:
    assert check_repetition("Green salad.", "La salade salade salade.") == "repetition loop: 'salade' 3 times in a row"
    reason = check_repetition("The plan.", "le plan de la le plan de la le plan de la")
    assert reason is not None and "'le plan de la' 3 times" in reason
    assert check_repetition("Une salade.", "Une salade verte et une salade.") is None
    assert check_repetition("no no no, never", "non non non, jamais") is None  # the source repeats too
    assert check_repetition("森林", "的的的的") is not None  # Chinese characters count one by one


def test_absurd_length_ratios_but_not_on_short_segments() -> None:
    assert check_length("Yes.", "Oui.") is None
    assert check_length("Hi", "Bonjour tout le monde") is None  # short: the slack absorbs it
    assert check_length("The forest.", "blablabla " * 20) is not None
    assert check_length("A long sentence about the protection of forests and rivers.", "Forêt.") is not None
    assert check_length("The forest is protected by the strategy.", "森林受到战略保护。") is None  # CJK weighs more


def test_output_identical_to_prose_input() -> None:
    assert check_identical("The cat eats the fish.", "the cat  eats the fish.") is not None
    assert check_identical("UNEP/CBD/COP/12/11", "UNEP/CBD/COP/12/11") is None
    assert check_identical("Nagoya Protocol", "Nagoya Protocol") is None
    assert check_segment("Some text.", "") == "empty output"


def test_wrong_language_on_whole_fields_only() -> None:
    detect = LanguageDetector().detect
    spanish = "El bosque está protegido por la estrategia nacional del gobierno y las comunidades locales."
    reason = check_language(spanish, "fr", detect)
    assert reason is not None and reason.startswith("wrong language: output detected as es")
    assert check_language(spanish, "es", detect) is None
    assert check_language("El bosque.", "fr", detect) is None  # too short to judge
    assert check_language(spanish, "fr", lambda _text: Detection("und", 0.0)) is None
