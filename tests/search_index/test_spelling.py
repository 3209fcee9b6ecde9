"""The choice behind "did you mean" (search_index.query_plan), the same for every engine."""

from __future__ import annotations

import pytest

from search_index.query_plan import closest_word, edit_distance, max_edits, spelling_word


@pytest.mark.parametrize(
    ("a", "b", "distance"),
    [("polinators", "pollinators", 1), ("permtis", "permits", 1), ("kitten", "sitting", 3), ("abc", "abc", 0)],
)
def test_edit_distance_counts_a_swap_as_one(a: str, b: str, distance: int) -> None:
    assert edit_distance(a, b, 5) == distance


def test_edit_distance_stops_past_its_limit() -> None:
    assert edit_distance("abcdefgh", "zyxwvuts", 2) == 3
    assert edit_distance("ab", "abcdef", 2) == 3


def test_the_fewest_edits_then_the_most_documents_then_alphabetical() -> None:
    candidates = [("pollination", 50), ("pollinators", 3), ("pollinator", 9), ("palinators", 1)]
    assert closest_word("polinators", candidates) == "pollinators"  # one edit beats two, however common
    assert closest_word("polinator", candidates) == "pollinator"
    assert closest_word("polinatorz", [("palinators", 9), ("pollinators", 3)]) == "palinators"  # then documents
    assert closest_word("tie", [("tee", 2), ("tip", 2)]) == "tee"


def test_no_correction_beyond_the_limit_or_with_another_first_letter() -> None:
    assert max_edits("mangr") == 1 and max_edits("mangrov") == 2
    assert closest_word("mnagr", [("mango", 5)]) is None  # two edits for five letters
    assert closest_word("bangrove", [("mangrove", 5)]) is None
    assert closest_word("mangrove", [("mangrove", 5)]) is None  # the word itself is no correction


def test_only_words_of_letters_are_corrected() -> None:
    assert spelling_word("Récifs") == "récifs"
    assert spelling_word("COP15") is None and spelling_word("abc") is None and spelling_word("l'aire") is None
