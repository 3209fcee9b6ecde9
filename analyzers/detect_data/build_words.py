"""Builds ``words.tsv.gz``: how common each word is in English, Spanish and French.

The detector's word evidence comes from this table. It is derived from wordfreq's "large" lists
(https://pypi.org/project/wordfreq/, data CC BY-SA 4.0), which are needed only to rebuild it::

    pip install --target build/wordfreq wordfreq
    PYTHONPATH=build/wordfreq .venv/bin/python analyzers/detect_data/build_words.py

A word is kept when its Zipf frequency (log10 of occurrences per billion words) reaches
``KEEP_ZIPF`` in at least one of the three languages; its frequency in each language is then
stored down to ``FLOOR_ZIPF`` (below that, 0 = unknown), as an integer in tenths. Only words in
Latin letters (with inner apostrophes) are kept: Arabic, Cyrillic and Han are settled by script.
"""

from __future__ import annotations

import gzip
import importlib
import math
import unicodedata
from pathlib import Path

LANGUAGES = ("en", "es", "fr")
KEEP_ZIPF = 2.0
FLOOR_ZIPF = 1.0
OUT = Path(__file__).resolve().parent / "words.tsv.gz"


def _latin_word(word: str) -> bool:
    if not word or word.startswith("'") or word.endswith("'"):
        return False
    for char in word:
        if char == "'":
            continue
        if not char.isalpha() or "LATIN" not in unicodedata.name(char, ""):
            return False
    return True


def main() -> None:
    # Imported by name: wordfreq is needed only here, to rebuild the table, and is no dependency.
    get_frequency_dict = importlib.import_module("wordfreq").get_frequency_dict
    table: dict[str, list[int]] = {}
    for index, language in enumerate(LANGUAGES):
        for word, frequency in get_frequency_dict(language, wordlist="large").items():
            zipf = math.log10(frequency) + 9
            word = unicodedata.normalize("NFC", word.replace("’", "'"))
            if zipf >= FLOOR_ZIPF and _latin_word(word):
                row = table.setdefault(word, [0, 0, 0])
                row[index] = max(row[index], round(zipf * 10))
    kept = sorted((word, row) for word, row in table.items() if max(row) >= KEEP_ZIPF * 10)
    lines = [f"# word\t{chr(9).join(LANGUAGES)}\tZipf x 10, from wordfreq 'large' lists (CC BY-SA 4.0)"]
    lines += [f"{word}\t{row[0]}\t{row[1]}\t{row[2]}" for word, row in kept]
    OUT.write_bytes(gzip.compress(("\n".join(lines) + "\n").encode("utf-8"), compresslevel=9, mtime=0))
    print(f"{OUT.name}: {len(kept)} words, {OUT.stat().st_size} bytes")


if __name__ == "__main__":
    main()
