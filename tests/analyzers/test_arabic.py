"""The embedded engine's Arabic analysis (analyzers.arabic) gives the very terms the server
engines' chm_ar analyzer gives (Lucene's normaliser and light stemmer, with a leading و kept as
a second term), checked against a real OpenSearch node's _analyze."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest

from analyzers import arabic
from analyzers.analysis import analyzer_name, elasticsearch_analysis
from devservers.opensearch import request

WORDS = (
    "التنوع البيولوجي والمناطق المحمية وطنية الوطنية وزارة والتقاسم وتقاسم للمنافع بالسلامة "
    "الأحيائية الاحيائية كالبحر فالأمر لجنة اللجنة ولجنة وللسلامة ورق وزن مُحَمَّد التقريــر "
    "إدارة آبار أسماك المستشفى مدرسة قانونها المعلمون الموظفين بيئية ٢٠٢٤ و وو"
)


@pytest.fixture(scope="module")
def analysed_index(opensearch_node: str) -> Iterator[str]:
    name = f"chm-arabic-{uuid.uuid4().hex[:8]}"
    status, answer = request(
        "PUT",
        f"{opensearch_node}/{name}",
        {"settings": {"number_of_shards": 1, "number_of_replicas": 0, "analysis": elasticsearch_analysis()}},
    )
    assert status == 200, answer
    yield f"{opensearch_node}/{name}"
    request("DELETE", f"{opensearch_node}/{name}")


def test_the_python_mirror_gives_the_server_engines_terms(analysed_index: str) -> None:
    status, answer = request("POST", f"{analysed_index}/_analyze", {"analyzer": analyzer_name("ar"), "text": WORDS})
    assert status == 200, answer
    by_position: dict[int, list[str]] = {}
    for token in answer["tokens"]:
        by_position.setdefault(token["position"], []).append(token["token"])
    server = [sorted(terms) for _, terms in sorted(by_position.items())]
    assert server == [sorted(terms) for terms in arabic.positions(WORDS)]


def test_a_leading_waw_gives_two_terms_unless_it_starts_the_article() -> None:
    assert arabic.positions("وطنية الوطنية") == [("طن", "وطن"), ("وطن",)]
    assert arabic.positions("والتقاسم وتقاسم") == [("تقاسم",), ("تقاسم", "وتقاسم")]
    assert arabic.positions("وزن") == [("وزن",)]  # three letters: Lucene keeps the و as well
