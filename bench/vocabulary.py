"""The multilingual vocabulary's cost: building it, and widening a query with it.

Usage::

    .venv/bin/python bench/vocabulary.py [--rounds 5] [--queries 2000]

Both figures are printed against a baseline measured in the same run, on the same input:

- **building** (once per process, and again when the data file or the glossary changes) against
  the least any term lookup must do: folding every term of every concept (`term_key`) into a
  plain dict. What ours adds is the Russian stems and the prefixes that let a multi-word term be
  found inside a longer query. Both start with the vocabulary's own term and stem memos empty,
  as a new process does.
- **widening a query** (every search) against parsing the same query text (`parse_query_text`),
  the step every search takes before it: the expansion should cost about what the parse does.

The best of ``--rounds`` is reported (the least disturbed by the rest of the machine). These were
timed tests once; a timing asserted in the suite fails on a loaded machine without the code
having changed, so the figures live here and in README.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from search_index.query_text import parse_query_text  # noqa: E402
from search_index.vocabulary import (  # noqa: E402
    DEFAULT_PATH,
    Concept,
    Vocabulary,
    _russian_stem,
    catalogue_concepts,
    glossary_concepts,
    read_vocabulary,
    term_key,
)
from translate.glossary import Glossary  # noqa: E402

# Queries a reader types: treaty words in the six languages, acronyms, identifiers, names, plain words.
QUERY_WORDS = (
    "diversité biologique",
    "biological diversity",
    "diversidad biológica",
    "охраняемые территории",
    "биологическое разнообразие",
    "التنوع البيولوجي",
    "تنوع بيولوجي",
    "生物多样性",
    "LMO",
    "MON810",
    "living modified organism",
    "Brésil",
    "Brazil",
    "aichi 11",
    "protected areas",
    "national report",
    "access and benefit-sharing",
    "Nagoya Protocol",
    "maize",
    "forest",
    "Mijikenda",
    "SERFOR",
    "ecosystemes",
    "wetlands restoration",
)


def best_of(rounds: int, run: Callable[[], object], cold: bool = False) -> float:
    """The least wall time of ``rounds`` runs of ``run``, in seconds; ``cold``: each run starts
    with the term keys and stems unremembered, as in a new process."""
    best = float("inf")
    for _ in range(rounds):
        if cold:
            term_key.cache_clear()
            _russian_stem.cache_clear()
        started = time.perf_counter()
        run()
        best = min(best, time.perf_counter() - started)
    return best


def plain_dict(concepts: tuple[Concept, ...]) -> dict[str, list[int]]:
    """The baseline lookup: every term folded, mapped to its concepts' numbers."""
    index: dict[str, list[int]] = {}
    for number, concept in enumerate(concepts):
        for _lang, text in concept.terms:
            key = term_key(text)
            if key:
                index.setdefault(key, []).append(number)
    return index


def queries(count: int) -> list[str]:
    """``count`` queries of one to four pieces from QUERY_WORDS, seeded."""
    rng = random.Random(15)
    return [" ".join(rng.sample(QUERY_WORDS, rng.randint(1, 4))) for _ in range(count)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=5, help="runs of each measurement; the best is reported")
    parser.add_argument("--queries", type=int, default=2000, help="queries widened a round")
    args = parser.parse_args()

    concepts = (*read_vocabulary(DEFAULT_PATH), *glossary_concepts(Glossary.load().rows), *catalogue_concepts())
    terms = sum(len(concept.terms) for concept in concepts)
    print(f"load average {os.getloadavg()[0]:.2f}; {len(concepts):,} concepts, {terms:,} terms")

    ours_build = best_of(args.rounds, lambda: Vocabulary(concepts), cold=True)
    base_build = best_of(args.rounds, lambda: plain_dict(concepts), cold=True)
    print(
        f"building: ours {ours_build * 1000:.1f} ms, plain dict of folded terms {base_build * 1000:.1f} ms: "
        f"ratio {ours_build / base_build:.2f}"
    )

    vocabulary = Vocabulary(concepts)
    texts = queries(args.queries)
    parsed = [parse_query_text(text) for text in texts]
    for one in parsed:  # the concepts' terms are built when first matched: warm them
        vocabulary.expand(one)
    ours_expand = best_of(args.rounds, lambda: [vocabulary.expand(one) for one in parsed])
    base_parse = best_of(args.rounds, lambda: [parse_query_text(text) for text in texts])
    per_query = ours_expand / len(texts) * 1e6
    per_parse = base_parse / len(texts) * 1e6
    print(
        f"widening a query: ours {per_query:.1f} µs, parsing it {per_parse:.1f} µs: "
        f"ratio {ours_expand / base_parse:.2f} ({len(texts):,} queries)"
    )


if __name__ == "__main__":
    main()
