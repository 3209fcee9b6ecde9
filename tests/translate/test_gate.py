"""The sanity gate's checks on their own (on real model output in test_translator.py)."""

from __future__ import annotations

import random
import re
import unicodedata

from analyzers.detect import Detection, LanguageDetector
from translate.gate import (
    check_identical,
    check_language,
    check_length,
    check_repetition,
    check_segment,
    length_units,
    tokens,
)


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


def test_target_script_is_checked_for_arabic_chinese_and_russian_at_every_length() -> None:
    from translate.gate import check_script

    assert check_script("la forêt", "ar") == "wrong script: 0 of 7 letters are Arabic, expected ar"
    assert check_script("El bosque", "ru") is not None  # two words: too short for detection, not for the script
    assert check_script("forest", "zh") is not None
    assert check_script("الغابة محمية", "ar") is None
    assert check_script("Лес охраняется", "ru") is None
    assert check_script("森林受到保护", "zh") is None
    # names, acronyms and symbols may stay in Latin letters; a Latin word among the script's is fine
    assert check_script("UNEP/CBD/COP/12/11", "ar") is None
    assert check_script("Протокол Nagoya о доступе", "ru") is None
    assert check_script("GBF 生物多样性框架", "zh") is None
    assert check_script("la forêt", "fr") is None  # Latin-script targets are left to detection
    assert check_segment("The forest.", "El bosque.", "ar") is not None
    assert check_language("el bosque", "ar", LanguageDetector().detect) is not None  # the whole field too


def test_long_stretches_of_source_words_kept_in_the_output_are_flagged() -> None:
    from translate.gate import check_copied_run

    source = "The report on the conservation and sustainable use of marine biodiversity was adopted."
    half = "Le rapport on the conservation and sustainable use of marine biodiversity a été adopté."
    assert check_copied_run(source, half) == (
        "untranslated stretch kept from the source: 'on the conservation and sustainable'"
    )
    assert check_segment(source, half, "fr") is not None
    # four words, or a name in capitals, is not a stretch
    assert check_copied_run("the plan of action for the region", "le plan of action for la région") is None
    assert (
        check_copied_run(
            "Convention on Biological Diversity and the Cartagena Protocol on Biosafety",
            "Convention on Biological Diversity et le Cartagena Protocol on Biosafety",
        )
        is None
    )
    # linear in the length: a 50,000-character segment is judged at once
    long_source = " ".join(f"word{n % 97}x" for n in range(8000))
    assert check_copied_run(long_source, "un texte") is None


def test_markup_quoted_in_a_text_is_not_an_untranslated_stretch() -> None:
    """`<img src=x onerror=…>` kept as it is in a translation is markup, not untranslated words."""
    from translate.gate import check_copied_run

    source = 'The forest <img src=x onerror="window.alert(document.cookie)"> is protected.'
    output = 'La forêt <img src=x onerror="window.alert(document.cookie)"> est protégée.'
    assert check_copied_run(source, output) is None
    untranslated = "the forest is protected by the law of the land"
    assert check_copied_run(untranslated, "La forêt is protected by the law of la terre") is not None


def test_lengths_and_words_are_counted_as_their_definitions_say_in_every_script() -> None:
    """The quick paths (no look-up for text with no possibly wide character) give what the
    plain definitions give: a wide character is three units and a word of its own."""

    def wide(char: str) -> bool:
        return unicodedata.east_asian_width(char) in ("W", "F")

    def plain_units(text: str) -> int:
        return sum(3 if wide(c) else 1 for c in text if not c.isspace())

    def plain_tokens(text: str) -> list[str]:
        out: list[str] = []
        for word in re.findall(r"\w+(?:['’-]\w+)*", text.casefold()):
            out.extend(word) if any(wide(c) for c in word) else out.append(word)
        return out

    alphabet = (
        "abc XYZ éèçñü ÆØ ß\u0301 \u0377\u0378\u0379 ΩЖиё ё التنوع ה 生物多样性 かな 한국 ＡＢ１ 　 \t\n\u2009\u00a0"
        "-'’.,;:!? 0123 \U00020000\U0001f600"
    )
    rng = random.Random(15)
    for _ in range(3000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randrange(0, 40)))
        assert length_units(text) == plain_units(text), text
        assert tokens(text) == plain_tokens(text), text
