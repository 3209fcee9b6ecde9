"""Snippets of huge records on OpenSearch: what highlighting costs when a hit holds megabytes.

    python bench/snippets.py [--es-url http://127.0.0.1:9200] [--huge 5] [--chars 100000] [--rounds 20]

An ingest key may push records of up to CHM_MAX_RECORD_CHARS (5 million characters), each field up
to CHM_MAX_FIELD_CHARS (1 million). Such a record holding a searched word tens of thousands of
times made the engine enumerate every occurrence and cut passages from the whole text for each
search that found it (issue 13: ~10 s per search). Snippets are meant to come from the first
``CHM_SNIPPET_WINDOW_CHARS`` of a text (``SearchQuery.snippet_window``).

Indexes ``--small`` ordinary records and ``--huge`` records whose texts (five languages,
``--chars`` each) repeat the searched word, then times, in alternating rounds of the same run:

- baseline: the search with snippets off (``highlight=False``), which the window cannot change;
- windowed: the same search with snippets, as the API makes it (window ``--window``, the default
  of ``CHM_SNIPPET_WINDOW_CHARS``);
- whole text: snippets from the whole text, as before the window reached OpenSearch (skipped with
  ``--no-whole``: at a million characters a record, one such search runs for minutes, and the
  node keeps working on it after the client gives up).

Prints p50/p95 of each and their ratios to the baseline, after checking the answers: every
huge record found, each with a highlighted snippet, and a word only past the window still finding
them (found by any word, highlighted from the window). A node is started with
``devservers.opensearch`` unless ``--es-url`` names one.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from record_catalogue.codes import Realm, TranslationStatus  # noqa: E402
from record_catalogue.settings import load_settings  # noqa: E402
from search_index.base import IndexDocument, SearchQuery  # noqa: E402
from search_index.elastic.backend import ElasticBackend  # noqa: E402

LANGUAGES = ("en", "es", "fr", "ru", "ar")
WORDS = {"en": "forest", "es": "bosque", "fr": "forêt", "ru": "лес", "ar": "غابة"}
PAST_THE_WINDOW = "zanzibarite"


def document(doc_id: str, texts: dict[str, str], title: str) -> IndexDocument:
    """An index document as ``search_index.documents.build_document`` makes them."""
    languages = sorted(texts)
    return {
        "id": doc_id,
        "realm": Realm.CHM,
        "schema": "resource",
        "government": "br",
        "original_language": languages[0],
        "languages": languages,
        "title": {languages[0]: title},
        "summary": {},
        "text": texts,
        "status": dict.fromkeys(languages, TranslationStatus.ORIGINAL),
        "names": f"{doc_id} {title}",
        "entities": [],
        "date": "2024-06-01",
        "year": 2024,
        "url": None,
        "cbd_id": None,
        "updated_at": "2026-01-01T00:00:00+00:00",
        "realms": [Realm.CHM],
        "sources": [],
    }


def huge_text(lang: str, chars: int) -> str:
    sentence = f"The {WORDS[lang]} report number {{}} describes the state of the {WORDS[lang]}. "
    parts: list[str] = []
    size = 0
    n = 0
    while size < chars - 100:
        part = sentence.format(n)
        parts.append(part)
        size += len(part)
        n += 1
    return "".join(parts) + f" {PAST_THE_WINDOW}"


@contextmanager
def node(es_url: str | None, tmp: Path) -> Iterator[str]:
    if es_url:
        yield es_url.rstrip("/")
        return
    from devservers.opensearch import start_cluster

    cluster = start_cluster(tmp / "opensearch", nodes=1, heap="1g", fast_start=False)
    try:
        yield cluster.url
    finally:
        cluster.stop()


def timed(backend: ElasticBackend, query: SearchQuery) -> float:
    started = time.perf_counter()
    backend.search(query)
    return (time.perf_counter() - started) * 1000


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--es-url")
    parser.add_argument("--small", type=int, default=200)
    parser.add_argument("--huge", type=int, default=5)
    parser.add_argument("--chars", type=int, default=100_000, help="characters of each language's text")
    parser.add_argument("--window", type=int, default=20_000, help="CHM_SNIPPET_WINDOW_CHARS")
    parser.add_argument("--no-whole", action="store_true", help="skip the whole-text searches")
    parser.add_argument("--rounds", type=int, default=20)
    args = parser.parse_args()
    with (
        tempfile.TemporaryDirectory(prefix="chm-bench-snippets-") as temporary,
        node(args.es_url, Path(temporary)) as url,
    ):
        settings = load_settings(
            es_url=url, es_flavour="opensearch", index_name=f"chm-bench-snippets-{os.getpid()}", data_dir=temporary
        )
        backend = ElasticBackend(settings)
        try:
            backend.ensure_index()
            small = [
                document(f"small-{i}", {"en": f"A short note {i} on the forest and its trees."}, f"Note {i}")
                for i in range(args.small)
            ]
            texts = {lang: huge_text(lang, args.chars) for lang in LANGUAGES}
            huge = [document(f"huge-{i}", texts, f"Huge record {i}") for i in range(args.huge)]
            result = backend.bulk([*small, *huge])
            backend.refresh()
            assert not result.errors, result.errors[:3]
            print(f"indexed {args.small} small records and {args.huge} of {len(LANGUAGES)} x {args.chars:,} characters")

            with_snippets = SearchQuery(text="forest report", lang="en", size=20, snippet_window=args.window)
            without = SearchQuery(text="forest report", lang="en", size=20, highlight=False)
            whole = SearchQuery(text="forest report", lang="en", size=20, snippet_window=2 * args.chars)
            answer = backend.search(with_snippets)
            found = {hit.id: hit for hit in answer.hits}
            assert answer.total == args.huge, f"{answer.total} found, expected the {args.huge} huge records"
            assert all("<mark>" in (hit.snippet or "") for hit in found.values()), "a huge record without a snippet"
            past = backend.search(SearchQuery(text=PAST_THE_WINDOW, lang="en", size=20, snippet_window=args.window))
            assert past.total == args.huge, f"{past.total} found by the word past the window"
            print(f"answers checked: {answer.total} huge records found, each with a highlighted snippet;")
            print(f"  {PAST_THE_WINDOW!r} (only past the window) finds {past.total}; e.g. {answer.hits[0].snippet!r}")

            runs: dict[str, tuple[SearchQuery, list[float]]] = {
                "baseline (no snippets)": (without, []),
                f"windowed ({args.window:,})": (with_snippets, []),
            }
            if not args.no_whole:
                runs["whole text"] = (whole, [])
            for query, _ in runs.values():  # warm up
                timed(backend, query)
            for _ in range(args.rounds):
                for query, times in runs.values():
                    times.append(timed(backend, query))
            base = runs["baseline (no snippets)"][1]
            b50, b95 = statistics.median(base), percentile(base, 0.95)
            print(f"{'':24}{'p50 ms':>10}{'p95 ms':>10}{'p50 ratio':>11}{'p95 ratio':>11}")
            for name, (_, times) in runs.items():
                p50, p95 = statistics.median(times), percentile(times, 0.95)
                print(f"{name:24}{p50:>10.1f}{p95:>10.1f}{p50 / b50:>10.2f}x{p95 / b95:>10.2f}x")
        finally:
            backend.destroy()
            backend.close()


if __name__ == "__main__":
    main()
