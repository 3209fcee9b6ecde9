"""Language detection benchmark: accuracy and speed of our detector against plain langdetect.

Usage::

    .venv/bin/python bench/detect.py                 # the held-out test split
    .venv/bin/python bench/detect.py --split tune    # the split the detector was tuned on
    .venv/bin/python bench/detect.py --errors        # also list every miss of our detector

Reads ``bench/data/detect/{split}.jsonl`` (how it was built: bench/data/detect/README.md). A
prediction is right when it is one of the item's ``languages`` (several only for texts that are
identical in several languages, e.g. "Convention"); ``und`` is always wrong. "Short" is 40
characters or fewer of plain text (HTML stripped). Speeds are measured in this run, one core, on
the same texts for every detector, after each has loaded its data (the load is shown apart).

Baseline: plain langdetect, seeded (seed 0), restricted to the six UN languages by loading only
their profiles. lingua (the issue's reference detector) is measured too when it is installed;
it is not a dependency.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from analyzers.detect import LanguageDetector  # noqa: E402

DATA = ROOT / "bench" / "data" / "detect"
SIX = ("ar", "en", "es", "fr", "ru", "zh")
TARGET_ALL = 0.987
TARGET_SHORT = 0.974
REPEAT = 3
_TAGS = re.compile(r"<[^>]+>")
_SPACE = re.compile(r"\s+")

Predict = Callable[[str], str]


def plain_length(text: str) -> int:
    return len(_SPACE.sub(" ", _TAGS.sub(" ", text)).strip())


def load(split: str) -> list[dict[str, Any]]:
    with (DATA / f"{split}.jsonl").open(encoding="utf-8") as lines:
        return [json.loads(line) for line in lines if line.strip()]


def ours() -> Predict:
    detector = LanguageDetector()
    return lambda text: detector.detect(text).language


def langdetect_six() -> Predict:
    """langdetect as it comes, seeded, with only the six UN languages' profiles loaded."""
    from langdetect.detector_factory import PROFILES_DIRECTORY, DetectorFactory
    from langdetect.lang_detect_exception import LangDetectException

    factory = DetectorFactory()
    profiles = []
    for code in SIX:
        name = "zh-cn" if code == "zh" else code
        profiles.append((Path(PROFILES_DIRECTORY) / name).read_text(encoding="utf-8"))
    factory.load_json_profile(profiles)
    factory.set_seed(0)

    def predict(text: str) -> str:
        try:
            detector = factory.create()
            detector.append(_TAGS.sub(" ", text))
            found = str(detector.detect())
        except LangDetectException:
            return "und"
        return "zh" if found.startswith("zh") else found

    return predict


def lingua_six() -> Predict | None:
    """lingua restricted to the six, models preloaded; None when lingua is not installed."""
    try:
        from lingua import Language, LanguageDetectorBuilder
    except ImportError:
        return None
    languages = [Language.ARABIC, Language.ENGLISH, Language.SPANISH, Language.FRENCH, Language.RUSSIAN]
    detector = LanguageDetectorBuilder.from_languages(*languages, Language.CHINESE).with_preloaded_language_models()
    built = detector.build()

    def predict(text: str) -> str:
        found = built.detect_language_of(_TAGS.sub(" ", text))
        return found.iso_code_639_1.name.lower() if found is not None else "und"

    return predict


def measure(name: str, make: Callable[[], Predict | None], items: list[dict[str, Any]]) -> dict[str, Any] | None:
    """Accuracy from the first pass; speed as the fastest of ``REPEAT`` passes, each with a fresh
    detector (so no pass profits from answers memoised by an earlier one) on a machine that
    other work may share."""
    best: list[float] | None = None
    predictions: list[str] = []
    load_seconds = 0.0
    for attempt in range(REPEAT):
        started = time.perf_counter()
        predict = make()
        if predict is None:
            return None
        # Warm-up: loads whatever the detector loads lazily (a German text wakes our langdetect arbiter).
        predict("Warm-up: loads whatever the detector loads lazily.")
        predict("Die Vertragsparteien verpflichten sich, die biologische Vielfalt zu erhalten.")
        if attempt == 0:
            load_seconds = time.perf_counter() - started
        seconds: list[float] = []
        answers: list[str] = []
        for item in items:
            before = time.perf_counter()
            answers.append(predict(item["text"]))
            seconds.append(time.perf_counter() - before)
        if attempt == 0:
            predictions = answers
        if best is None or sum(seconds) < sum(best):
            best = seconds
    return {"name": name, "predictions": predictions, "seconds": best, "load": load_seconds}


Item = dict[str, Any]


def share_right(result: dict[str, Any], items: list[Item], keep: Callable[[Item], bool]) -> tuple[int, int]:
    """(right, total) over the items ``keep`` selects."""
    right = total = 0
    for item, predicted in zip(items, result["predictions"], strict=True):
        if keep(item):
            total += 1
            right += predicted in item["languages"]
    return right, total


def accuracy(result: dict[str, Any], items: list[Item], keep: Callable[[Item], bool]) -> str:
    right, total = share_right(result, items, keep)
    return f"{right / total:7.2%} ({total - right:>3} wrong of {total:>4})" if total else "      -"


def is_short(item: Item) -> bool:
    return bool(item["short"])


def is_long(item: Item) -> bool:
    return not item["short"]


def is_latin(item: Item) -> bool:
    return all(code in ("en", "es", "fr") for code in item["languages"])


def everything(item: Item) -> bool:
    return True


def primary(item: Item) -> str:
    return str(item["languages"][0]) if len(item["languages"]) == 1 else "multi"


def in_group(code: str, short_only: bool) -> Callable[[Item], bool]:
    def keep(item: Item) -> bool:
        return primary(item) == code and (is_short(item) or not short_only)

    return keep


def report(results: list[dict[str, Any]], items: list[Item], show_errors: bool) -> None:
    groups = sorted({primary(item) for item in items}, key=lambda code: (code == "multi", code))
    for result in results:
        print(f"\n== {result['name']}")
        print(f"  all texts            {accuracy(result, items, everything)}")
        print(f"  ≤ 40 characters      {accuracy(result, items, is_short)}")
        print(f"  > 40 characters      {accuracy(result, items, is_long)}")
        print(f"  Latin script only    {accuracy(result, items, is_latin)}   (en/es/fr: the hard part)")
        for code in groups:
            every = accuracy(result, items, in_group(code, short_only=False))
            shorts = accuracy(result, items, in_group(code, short_only=True))
            print(f"  {code:<6} all {every}   short {shorts}")
        spent: dict[bool, list[float]] = defaultdict(list)
        for item, seconds in zip(items, result["seconds"], strict=True):
            spent[is_short(item)].append(seconds)
        per_short = 1000 * sum(spent[True]) / max(1, len(spent[True]))
        per_long = 1000 * sum(spent[False]) / max(1, len(spent[False]))
        result["rate"] = len(items) / sum(result["seconds"])
        print(
            f"  speed: {result['rate']:,.0f} texts/s; {per_short:.3f} ms per short text, "
            f"{per_long:.3f} ms per longer text; load {result['load']:.2f} s"
        )
    baseline = next(result for result in results if result["name"].startswith("langdetect"))
    print("\n== summary")
    for result in results:
        right, total = share_right(result, items, everything)
        right_short, total_short = share_right(result, items, is_short)
        print(
            f"  {result['name']:<34} all {right / total:7.2%}  short {right_short / total_short:7.2%}  "
            f"{result['rate']:>9,.0f} texts/s  ({result['rate'] / baseline['rate']:.1f}x langdetect)"
        )
    ours = results[0]
    right, total = share_right(ours, items, everything)
    right_short, total_short = share_right(ours, items, is_short)
    met = right / total >= TARGET_ALL and right_short / total_short >= TARGET_SHORT
    print(f"  targets (≥ {TARGET_ALL:.1%} all, ≥ {TARGET_SHORT:.1%} short): {'met' if met else 'NOT met'}")
    if show_errors:
        print("\n== misses of our detector")
        for predicted, item in zip(ours["predictions"], items, strict=True):
            if predicted not in item["languages"]:
                text = _SPACE.sub(" ", item["text"])[:90]
                print(f"  {predicted:>3} for {'/'.join(item['languages']):<8} {item['source']:<28} {text}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--split", default="test", choices=["test", "tune"])
    parser.add_argument("--errors", action="store_true", help="list every text our detector gets wrong")
    parser.add_argument("--no-lingua", action="store_true", help="skip lingua even when it is installed")
    args = parser.parse_args()
    items = load(args.split)
    for item in items:
        item["short"] = plain_length(item["text"]) <= 40
    n_short = sum(1 for item in items if item["short"])
    print(f"{args.split} split: {len(items)} texts, {n_short} of 40 characters or fewer")
    results = []
    for name, make in (
        ("ours (analyzers.detect)", ours),
        ("langdetect, seeded, six profiles", langdetect_six),
        ("lingua, six, preloaded (reference)", None if args.no_lingua else lingua_six),
    ):
        if make is None:
            continue
        result = measure(name, make, items)
        if result is not None:
            results.append(result)
    report(results, items, args.errors)


if __name__ == "__main__":
    main()
