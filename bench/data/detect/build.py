"""Builds the labelled language-detection set: ``tune.jsonl`` and ``test.jsonl`` beside this file.

Run from the repository root (needs ``babel``, only to build; the benchmark reads the JSONL files)::

    .venv/bin/python bench/data/detect/build.py

Every item is ``{"text", "languages", "source", "kind"}``. ``languages`` is a list: a text that
occurs, character for character, under several languages ("Convention" in English and French,
"Canada" in all three Latin-script languages) is right in any of them, since no detector can tell
which one a writer meant. The split is by source (or by a stable hash of a group id, so that the
translations of one string stay in the same split); exact texts that are in ``tune`` are removed
from ``test`` so that nothing tuned on is scored on. See README.md here for what each source is.
"""

from __future__ import annotations

import json
import re
import unicodedata
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[3]
HERE = Path(__file__).resolve().parent
LANGS = ("ar", "en", "es", "fr", "ru", "zh")
_TAGS = re.compile(r"<[^>]+>")
_SPACE = re.compile(r"\s+")
_LINKS = re.compile(r"(?:\b[a-z][a-z0-9+.-]*://|\bwww\.)\S+|\S+@\S+\.\w+", re.I)
_LATIN_WORD = re.compile(r"[A-Za-z\u00c0-\u024f]{2,}")
# CLDR's pseudo-locale test regions and "Unknown Region": not names anyone writes.
_PSEUDO_TERRITORIES = {"XA", "XB", "ZZ"}

# (text, language, source, kind, split)
Row = tuple[str, str, str, str, str]


def _plain(text: str) -> str:
    return _SPACE.sub(" ", _TAGS.sub(" ", text)).strip()


def _kind(text: str) -> str:
    plain = _plain(text)
    if len(plain) <= 40:
        return "label"
    if plain.endswith("?") or plain.endswith("？") or plain.endswith("؟"):
        return "question"
    return "title" if len(plain) <= 160 else "paragraph"


def _hash_split(key: str, tune_share: int = 1, modulo: int = 2) -> str:
    return "tune" if zlib.crc32(key.encode()) % modulo < tune_share else "test"


def _has_words(text: str, language: str) -> bool:
    """False for strings with no language in them: links, section numbers, document symbols.

    ("http://www.cbd.int/", "A.1. A.2.", "UNEP/CBD/COP/12/11"): a Latin-script text needs a word of
    two letters or more that is not a capitalised acronym of four letters or fewer.
    """
    if language in ("ar", "ru", "zh"):
        return True
    words = _LATIN_WORD.findall(_LINKS.sub(" ", _plain(text)))
    return any(not (word.isupper() and len(word) <= 4) for word in words)


def _script_fits(text: str, language: str) -> bool:
    """Drops label noise: a Latin string left untranslated in the Chinese slot, and the like."""
    counts = {"arabic": 0, "cyrillic": 0, "han": 0, "latin": 0}
    for char in _plain(text):
        if not char.isalpha():
            continue
        name = unicodedata.name(char, "")
        if name.startswith("ARABIC"):
            counts["arabic"] += 1
        elif name.startswith("CYRILLIC"):
            counts["cyrillic"] += 1
        elif name.startswith("CJK"):
            counts["han"] += 1
        elif "LATIN" in name:
            counts["latin"] += 1
    if sum(counts.values()) == 0:
        return False
    wanted = {"ar": "arabic", "ru": "cyrillic", "zh": "han"}.get(language, "latin")
    return max(counts.items(), key=lambda kv: kv[1])[0] == wanted


def _lstrings(node: Any) -> Iterator[dict[str, str]]:
    """Every language map (``{"en": ..., "fr": ...}``) anywhere in a JSON document."""
    if isinstance(node, dict):
        keyed = {k: v for k, v in node.items() if k in LANGS and isinstance(v, str)}
        if keyed:
            yield keyed
            return
        for value in node.values():
            yield from _lstrings(value)
    elif isinstance(node, list):
        for value in node:
            yield from _lstrings(value)


def cbd_configuration() -> Iterator[Row]:
    """Real CBD UI strings: record-type titles and descriptions in six languages."""
    splits = {
        "realm-configuration-abs": "tune",
        "realm-configuration-bch": "test",
        "realm-configuration-chm": "test",
        "schema-name": "test",
    }
    for name, split in splits.items():
        document = json.loads((ROOT / "record_catalogue" / "data" / f"{name}.json").read_text(encoding="utf-8"))
        for lstring in _lstrings(document):
            for language, text in lstring.items():
                yield text, language, f"cbd:{name}", _kind(text), split


def babel_names() -> Iterator[Row]:
    """CLDR display names: a sample of countries and regions, major languages, months, days."""
    from babel import Locale

    locales = {code: Locale(code) for code in LANGS}
    territories = sorted(locales["en"].territories)
    languages = ["ar", "en", "es", "fr", "ru", "zh", "de", "pt", "it", "ja", "ko", "hi", "sw", "nl", "tr"]
    languages += ["pl", "uk", "fa", "he", "el", "sv", "fi", "da", "no", "ca", "qu", "gn", "ay", "bn", "ur"]
    for code in territories:
        if code in _PSEUDO_TERRITORIES:
            continue
        bucket = zlib.crc32(code.encode()) % 4
        if bucket > 1:
            continue  # half the territories: country names should not swamp the short strings
        split = "tune" if bucket == 0 else "test"
        for language, locale in locales.items():
            name = locale.territories.get(code)
            if name:
                yield name, language, "babel:territory", "label", split
    for code in languages:
        split = _hash_split(f"language:{code}")
        for language, locale in locales.items():
            name = locale.languages.get(code)
            if name:
                yield name, language, "babel:language", "label", split
    for number in range(1, 13):
        split = _hash_split(f"month:{number}")
        for language, locale in locales.items():
            yield locale.months["stand-alone"]["wide"][number], language, "babel:month", "label", split
    for number in range(7):
        split = _hash_split(f"day:{number}")
        for language, locale in locales.items():
            yield locale.days["format"]["wide"][number], language, "babel:day", "label", split


def handwritten() -> Iterator[Row]:
    """Strings written for this set: UI labels, questions, titles, sentences, legal paragraphs."""
    for name in ("handwritten-labels.tsv", "handwritten-sentences.tsv"):
        lines = (HERE / name).read_text(encoding="utf-8").splitlines()
        header = lines[0].lstrip("# ").split("\t")
        for line in lines[1:]:
            if not line.strip() or line.startswith("#"):
                continue
            row = dict(zip(header, line.split("\t"), strict=True))
            split = _hash_split(f"handwritten:{row['id']}")
            kind = row.get("kind", "label")
            for language in LANGS:
                yield row[language], language, f"handwritten:{kind}", _kind(row[language]), split


def sample_records() -> Iterator[Row]:
    """Text fields of the hand-written illustrative records in ``samples/records``."""
    for path in sorted((ROOT / "samples" / "records").glob("*.json")):
        split = _hash_split(f"record:{path.name}")
        document = json.loads(path.read_text(encoding="utf-8"))
        for lstring in _lstrings(document):
            for language, text in lstring.items():
                yield text, language, "samples:records", _kind(text), split


def cop_document() -> Iterator[Row]:
    """Paragraphs (and headings) of a real CBD document, UNEP/CBD/COP/12/11, English only."""
    text = (ROOT / "samples" / "shared" / "UNEP-CBD-COP-12-11.txt").read_text(encoding="utf-8")
    blocks = re.split(r"\n\s*(?:\d+\.|[A-Z]\.|[IVX]+\.)\s*\n|\n\s*\n", text)
    for number, block in enumerate(blocks):
        plain = _SPACE.sub(" ", block).strip()
        if sum(ch.isalpha() for ch in plain) < 3:
            continue
        split = "tune" if number % 2 == 0 else "test"
        yield plain, "en", "samples:cop-12-11", _kind(plain), split


def build() -> dict[str, list[dict[str, Any]]]:
    """Gathers all sources, merges identical texts into multi-label items, keeps test held out."""
    merged: dict[str, dict[str, dict[str, Any]]] = {"tune": {}, "test": {}}
    for source in (cbd_configuration, babel_names, handwritten, sample_records, cop_document):
        for text, language, origin, kind, split in source():
            text = text.strip()
            if not text or not _script_fits(text, language) or not _has_words(text, language):
                continue
            item = merged[split].setdefault(text, {"text": text, "languages": [], "source": origin, "kind": kind})
            if language not in item["languages"]:
                item["languages"].append(language)
    for text in list(merged["test"]):
        if text in merged["tune"]:
            del merged["test"][text]
    result: dict[str, list[dict[str, Any]]] = {}
    for split, items in merged.items():
        for item in items.values():
            item["languages"].sort()
        result[split] = sorted(items.values(), key=lambda item: (item["source"], item["text"]))
    return result


def main() -> None:
    for split, items in build().items():
        with (HERE / f"{split}.jsonl").open("w", encoding="utf-8") as out:
            for item in items:
                out.write(json.dumps(item, ensure_ascii=False) + "\n")
        short = sum(len(_plain(item["text"])) <= 40 for item in items)
        multi = sum(len(item["languages"]) > 1 for item in items)
        print(f"{split}: {len(items)} texts, {short} of 40 characters or fewer, {multi} multi-label")


if __name__ == "__main__":
    main()
