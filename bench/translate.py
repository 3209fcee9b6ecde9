"""Translation throughput: our translate stage against raw CTranslate2, in the same run.

    python bench/translate.py [--segments 400] [--rounds 3] [--size base] [--workers 1,2]

The model: no translation model can be downloaded on these machines, so the benchmark builds
one with the test model builder (``devtools/argos_models.py --size base``): a real
CTranslate2 Transformer with the shape of an Argos package (6+6 layers, d_model 512, 8 heads,
FFN 2048, 32k vocabulary, int8), whose weights copy word by word. It costs per token what a real
package of that shape costs; its output is not a translation. It is installed with the real
Argos install path and loaded by our engine.

Baseline: ``ctranslate2.Translator.translate_batch`` on the same distinct segments, already
tokenised, with the same decoding options and the same loaded model: what the model alone costs.
Ours: ``Translator.translate`` on texts made of those segments (about five sentences per text,
like record fields): segmentation, memory lookups, glossary placeholders, tokenisation,
translation, gate, language check and memory writes in SQLite. Segments are distinct, so our
stage gains nothing from de-duplication here. Prints segments/s of each and the ratio (goal ≥ 0.8).

Second run: the same texts again on the same memory (what a re-ingest of unchanged text, or a
new record repeating known sentences, costs): every segment is answered by the memory. Prints
the speed-up over the first run (goal ≥ 50×), and what the worker costs on an unchanged catalogue.

``--workers 1,2``: ``chm-search translate --follow`` processes sharing one PostgreSQL backlog,
against raw CTranslate2 with as many parallel batches (``bench/translate_workers.py``).
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from analyzers.detect import LanguageDetector  # noqa: E402
from devtools.argos_models import LEXICON, SIZES, Lexicon, build_package  # noqa: E402
from record_catalogue.codes import Realm  # noqa: E402
from record_catalogue.memory_store import TranslationMemory  # noqa: E402
from record_catalogue.record import Record  # noqa: E402
from record_catalogue.store import Catalogue, TextVersion  # noqa: E402
from search_index.tantivy_backend import TantivyBackend  # noqa: E402
from translate.argos_engine import ArgosEngine  # noqa: E402
from translate.glossary import Glossary  # noqa: E402
from translate.packages import install_file  # noqa: E402
from translate.segment import split_text  # noqa: E402
from translate.translator import TextRequest, Translator  # noqa: E402
from translate.worker import TranslateWorker  # noqa: E402

WORDS = [row[0] for row in LEXICON if row[0] not in ("hallucinate", "ramble")]
SENTENCES_PER_TEXT = 5
EN_FR = Lexicon.for_pair("en", "fr")


def make_segments(count: int, seed: int = 1) -> list[str]:
    """Distinct English sentences of 6-20 words (lexicon words, so ~1 token per word)."""
    rng = random.Random(seed)
    out: dict[str, None] = {}
    while len(out) < count:
        words = rng.choices(WORDS, k=rng.randint(6, 20))
        sentence = " ".join(words)
        out[sentence[:1].upper() + sentence[1:] + rng.choice([".", ".", ".", "!", "?"])] = None
    return list(out)


def texts_of(segments: list[str]) -> list[str]:
    return [" ".join(segments[i : i + SENTENCES_PER_TEXT]) for i in range(0, len(segments), SENTENCES_PER_TEXT)]


def raw_rate(engine: ArgosEngine, segments: list[str]) -> float:
    """Segments/s of translate_batch alone, on pre-tokenised input, with the engine's options."""
    translator = engine._get("en", "fr").translator
    tokens = engine.tokenize("en", "fr", segments)
    started = time.perf_counter()
    results = translator.translate_batch(
        tokens,
        replace_unknowns=True,
        max_batch_size=engine.max_batch_size,
        beam_size=engine.beam_size,
        num_hypotheses=1,
        length_penalty=0.2,
    )
    seconds = time.perf_counter() - started
    package = engine._get("en", "fr").package
    decoded = [package.tokenizer.decode(result.hypotheses[0]).strip() for result in results[:20]]
    assert decoded == [EN_FR.translate(segment) for segment in segments[:20]], "the model does not copy as built"
    return len(segments) / seconds


def stage(engine: ArgosEngine, texts: list[str], workdir: Path) -> tuple[float, float, Translator]:
    """Seconds for a first run on a fresh memory, then for a second run of the same texts."""
    catalogue = Catalogue(f"sqlite:///{workdir}/memory-{time.monotonic_ns()}.sqlite3")
    translator = Translator(engine, TranslationMemory(catalogue.sessions), Glossary.load())
    requests = [TextRequest("en", "fr", text) for text in texts]
    started = time.perf_counter()
    first = translator.translate(requests)
    first_seconds = time.perf_counter() - started
    translated = translator.stats.translated
    assert all(result.status == "current" for result in first), [r.reason for r in first if r.reason][:3]
    started = time.perf_counter()
    translator.translate(requests)
    second_seconds = time.perf_counter() - started
    assert translator.stats.translated == translated, "the second run must not call the model"
    translator.stats.translated = translated
    catalogue.close()
    return first_seconds, second_seconds, translator


def worker_rerun(engine: ArgosEngine, texts: list[str], workdir: Path) -> tuple[float, float, int]:
    """The worker on a catalogue of records: first run, then a run with nothing changed."""
    catalogue = Catalogue(f"sqlite:///{workdir}/worker.sqlite3")
    for n, text in enumerate(texts):
        record = Record(id=f"r{n:05d}", realm=Realm.CHM, schema_name="resource", summary={"en": text})
        catalogue.upsert(record, [TextVersion("summary", "en", text)], "en")
    backend = TantivyBackend(workdir / "index")
    worker = TranslateWorker(
        catalogue, backend, Translator(engine, TranslationMemory(catalogue.sessions), Glossary.load()), ["en", "fr"]
    )
    started = time.perf_counter()
    first = worker.run(languages=["fr"])
    first_seconds = time.perf_counter() - started
    started = time.perf_counter()
    worker.run(languages=["fr"])
    second_seconds = time.perf_counter() - started
    backend.close()
    catalogue.close()
    return first_seconds, second_seconds, first.fields_current


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--segments", type=int, default=400, help="distinct sentences to translate")
    parser.add_argument("--rounds", type=int, default=5, help="measurements of each side (medians are printed)")
    parser.add_argument("--size", choices=sorted(SIZES), default="base", help="model shape (base: an Argos package's)")
    parser.add_argument(
        "--workers", default="", help="worker counts to compare, e.g. 1,2 (needs PostgreSQL's programs)"
    )
    parser.add_argument("--worker-segments", type=int, default=200, help="segments per --workers round")
    parser.add_argument("--skip-stage", action="store_true", help="only the --workers comparison")
    args = parser.parse_args()
    counts = [int(part) for part in args.workers.split(",") if part.strip()]
    if any(count < 1 for count in counts):
        parser.error("--workers takes positive counts, e.g. 1,2")

    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        for name in ("XDG_DATA_HOME", "XDG_CONFIG_HOME", "XDG_CACHE_HOME"):
            os.environ[name] = str(workdir / name)  # Argos' own directories: never the user's
        started = time.perf_counter()
        archive = build_package("en", "fr", workdir / "build", size=args.size)
        install_file(archive, workdir / "packages")
        built = time.perf_counter() - started
        engine = ArgosEngine(workdir / "packages")
        engine.load("en", "fr")
        layers, d_model, heads, ffn, vocab = SIZES[args.size]
        print(
            f"model: translate-en_fr built by devtools/argos_models.py --size {args.size} in {built:.1f}s "
            f"({layers}+{layers} layers, d_model {d_model}, {heads} heads, FFN {ffn}, "
            f"vocabulary {vocab or 'lexicon'}), "
            "a copying Transformer with an Argos package's shape: no real model can be downloaded here"
        )
        texts = texts_of(make_segments(args.segments))
        # the segments as our stage cuts them (the baseline translates exactly those)
        segments = list(dict.fromkeys(p.text for text in texts for p in split_text(text, "en") if p.translate))
        tokens = engine.tokenize("en", "fr", segments)
        print(
            f"segments: {len(segments)} distinct English sentences, {sum(map(len, tokens)) / len(tokens):.1f} tokens "
            f"on average, in {len(texts)} texts; beam {engine.beam_size}, max_batch_size {engine.max_batch_size}, "
            f"{os.cpu_count()} cores"
        )
        if counts:
            from bench.translate_workers import report, scaling

            few = texts[: max(1, args.worker_segments // SENTENCES_PER_TEXT)]  # a round per count: keep it short
            few_segments = [p.text for text in few for p in split_text(text, "en") if p.translate]
            found = scaling(counts, few, few_segments, workdir / "packages", workdir, engine.beam_size, 5, args.rounds)
            report(found)
            if args.skip_stage:
                engine.close()
                return
        raw_rate(engine, segments[:32])  # warm-up: first calls allocate
        LanguageDetector().detect("The forest is protected.")  # warm-up: loads the word tables once
        raw: list[float] = []
        ours: list[float] = []
        model_share: list[float] = []
        speedups: list[float] = []
        seconds_second: list[float] = []
        for _ in range(args.rounds):  # alternate, so a busy machine slows both sides alike
            raw.append(raw_rate(engine, segments))
            first, second, translator = stage(engine, texts, workdir)
            assert translator.stats.translated == len(segments), translator.stats  # nothing deduplicated away
            ours.append(len(segments) / first)
            model_share.append(translator.stats.model_seconds / first)
            speedups.append(first / second)
            seconds_second.append(second)
        raw_median, ours_median = statistics.median(raw), statistics.median(ours)
        print(f"raw ctranslate2 translate_batch: {raw_median:8.1f} segments/s   (rounds: {_fmt(raw)})")
        print(f"our translate stage:             {ours_median:8.1f} segments/s   (rounds: {_fmt(ours)})")
        ratio = ours_median / raw_median
        print(f"ratio ours/raw: {ratio:.2f}   (goal ≥ 0.8: {'met' if ratio >= 0.8 else 'NOT met'})")
        share = statistics.median(model_share)
        print(
            f"inside our stage, the model's translate_batch took {share:.0%} of the time: the rest (segmenting, "
            f"memory, glossary, gate, SQLite) is {1 - share:.0%}, whatever the machine's load"
        )
        speedup = statistics.median(speedups)
        print(
            f"second run over unchanged text: {statistics.median(seconds_second) * 1000:.0f} ms for "
            f"{len(segments)} segments, all from the memory: {speedup:.0f}× faster than the first run "
            f"(goal ≥ 50×: {'met' if speedup >= 50 else 'NOT met'})"
        )
        first_run, rerun, fields = worker_rerun(engine, texts, workdir)
        print(
            f"worker: {fields} fields translated and indexed in {first_run:.2f}s; re-run on the unchanged catalogue "
            f"{rerun * 1000:.0f} ms ({first_run / rerun:.0f}× faster)"
        )
        engine.close()


def _fmt(values: list[float]) -> str:
    return ", ".join(f"{v:.1f}" for v in values)


if __name__ == "__main__":
    main()
