"""Sentence segmentation per language, and putting texts back together."""

from __future__ import annotations

import pytest

from translate.segment import Piece, chunk_long, join_pieces, split_text


def sentences(text: str, language: str, max_chars: int = 400) -> list[str]:
    pieces = split_text(text, language, max_chars)
    assert "".join(p.text for p in pieces) == text  # nothing lost, nothing added
    return [p.text for p in pieces if p.translate]


def test_english_sentences_abbreviations_and_initials() -> None:
    text = "The Parties met in 2010. See e.g. Art. 5 of the Protocol! Dr. J. Smith agreed. Was it approx. five? Yes."
    assert sentences(text, "en") == [
        "The Parties met in 2010.",
        "See e.g. Art. 5 of the Protocol!",
        "Dr. J. Smith agreed.",
        "Was it approx. five?",
        "Yes.",
    ]


def test_a_sentence_starts_with_a_capital_or_a_number() -> None:
    assert sentences("It ends here. and goes on. 42 is next.", "en") == ["It ends here. and goes on.", "42 is next."]


@pytest.mark.parametrize(
    ("language", "text", "expected"),
    [
        (
            "zh",
            "生物多样性很重要。我们必须保护森林！是吗？好的；谢谢",
            ["生物多样性很重要。", "我们必须保护森林！", "是吗？", "好的；", "谢谢"],
        ),
        ("ar", "هذا نص عربي. هل هو جيد؟ نعم؛ جيد جدا", ["هذا نص عربي.", "هل هو جيد؟", "نعم؛", "جيد جدا"]),
        (
            "ru",
            "Это текст. Т. е. пример. Ещё одно предложение.",
            ["Это текст.", "Т. е. пример.", "Ещё одно предложение."],
        ),
        (
            "fr",
            "Voir p. 4 de M. Dupont. « Bien » dit-il. Fin.",
            ["Voir p. 4 de M. Dupont.", "« Bien » dit-il.", "Fin."],
        ),
        ("es", "¿Dónde está? ¡Aquí! Sr. López lo dijo.", ["¿Dónde está?", "¡Aquí!", "Sr. López lo dijo."]),
    ],
)
def test_sentences_per_language(language: str, text: str, expected: list[str]) -> None:
    assert sentences(text, language) == expected


def test_paragraphs_and_surrounding_whitespace_are_kept() -> None:
    text = "  First one. Second one.\n\nNew paragraph.\n"
    pieces = split_text(text, "en")
    assert pieces == [
        Piece("  ", False),
        Piece("First one.", True),
        Piece(" ", False),
        Piece("Second one.", True),
        Piece("\n\n", False),
        Piece("New paragraph.", True),
        Piece("\n", False),
    ]


def test_long_sentences_are_cut_at_clauses_then_spaces() -> None:
    clause = "the forest is protected by the national strategy"
    sentence = ", ".join([clause] * 20) + "."
    chunks = chunk_long(sentence, 120, "en")
    assert all(len(c) <= 120 for c in chunks)
    assert "".join(chunks).replace(" ", "") == sentence.replace(" ", "")
    assert all(c.rstrip().endswith(",") for c in chunks[:-1])
    words = "word " * 100
    assert all(len(c) <= 50 for c in chunk_long(words.strip(), 50, "en"))
    assert [len(c) for c in chunk_long("森" * 100, 40, "zh")] == [40, 40, 20]


def test_empty_and_blank_texts_have_nothing_to_translate() -> None:
    assert split_text("", "en") == []
    assert sentences("   \n ", "en") == []


def test_join_puts_translations_in_place_and_drops_spaces_between_chinese_sentences() -> None:
    pieces = split_text("One. Two.\nThree.", "en")
    assert join_pieces(pieces, ["Un.", "Deux.", "Trois."], "fr") == "Un. Deux.\nTrois."
    assert join_pieces(pieces, ["一。", "二。", "三。"], "zh") == "一。二。\n三。"
