"""The sanity gate: machine output that is obviously broken is never shown to readers as a translation.

Neural models fail in recognisable ways: they loop ("salad salad salad"), stop early or ramble
(absurd length ratios), echo their input untranslated, or answer in the wrong language. Each
check below returns the reason for rejecting an output, or None; the caller stores the rejected
output with status ``failed`` and that reason, so readers keep seeing the original and curators
see what went wrong. The checks are deliberately conservative: a false alarm costs a curator a
look, a missed one puts nonsense in front of readers.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable

from analyzers.detect import Detection

_WORD = re.compile(r"\w+(?:['’-]\w+)*", re.UNICODE)
MIN_REPEATS = 3
MAX_NGRAM = 4
MAX_RATIO = 3.0
RATIO_SLACK = 10  # units added to both lengths, so short segments are not judged on ratios
IDENTICAL_MIN_WORDS = 3
COPIED_RUN_WORDS = 5  # this many source words in a row, kept as they were, is an untranslated stretch
SCRIPT_MIN_SHARE = 0.5
LANGUAGE_MIN_LETTERS = 40
LANGUAGE_MIN_CONFIDENCE = 0.8


def _is_wide(char: str) -> bool:
    return unicodedata.east_asian_width(char) in ("W", "F")


# Below this code point no character is wide (Unicode's first "W" is U+0378): text entirely below
# it (Latin, with its accents) needs no per-character look-up. The gate checks every segment a
# model translates and every answer the memory gives, so that look-up was most of its cost.
_NONE_WIDE_BELOW = next(chr(point) for point in range(0x10000) if _is_wide(chr(point)))


def _may_be_wide(text: str) -> bool:
    return bool(text) and max(text) >= _NONE_WIDE_BELOW


def tokens(text: str) -> list[str]:
    """Words, with each Chinese/Japanese character a word of its own (they are not spaced)."""
    out: list[str] = []
    for word in _WORD.findall(text.casefold()):
        if _may_be_wide(word) and any(_is_wide(c) for c in word):
            out.extend(word)
        else:
            out.append(word)
    return out


def length_units(text: str) -> int:
    """Characters, a wide (CJK) character counting as three: comparable across scripts."""
    chars = "".join(text.split())  # str.split() drops exactly the characters isspace() is true of
    if not _may_be_wide(chars):
        return len(chars)
    return len(chars) + 2 * sum(1 for c in chars if _is_wide(c))


def longest_loop(words: list[str]) -> tuple[int, list[str]]:
    """The most consecutive repeats of any n-gram (n ≤ MAX_NGRAM), and that n-gram."""
    best: tuple[int, list[str]] = (1, [])
    for n in range(1, MAX_NGRAM + 1):
        for start in range(len(words) - n):
            gram = words[start : start + n]
            repeats = 1
            position = start + n
            while words[position : position + n] == gram:
                repeats += 1
                position += n
            if repeats > best[0]:
                best = (repeats, gram)
    return best


def check_repetition(source: str, output: str) -> str | None:
    """A phrase repeated MIN_REPEATS times in a row in the output but not in the source."""
    repeats, gram = longest_loop(tokens(output))
    if repeats < MIN_REPEATS:
        return None
    if longest_loop(tokens(source))[0] >= MIN_REPEATS:
        return None  # the source repeats itself too (a list, a chant): the output may
    phrase = " ".join(gram)
    return f"repetition loop: {phrase!r} {repeats} times in a row"


def check_length(source: str, output: str) -> str | None:
    """Output far longer or shorter than the source (in length units, with slack for short text)."""
    src, out = length_units(source) + RATIO_SLACK, length_units(output) + RATIO_SLACK
    ratio = out / src
    if ratio > MAX_RATIO or ratio < 1 / MAX_RATIO:
        return f"absurd length ratio: output/source = {ratio:.2f}"
    return None


def check_identical(source: str, output: str) -> str | None:
    """Output equal to the input (ignoring case and spacing) when the input is real prose.

    Prose means at least IDENTICAL_MIN_WORDS words written in lower case: names, acronyms,
    document symbols and numbers are legitimately the same in every language.
    """
    prose = [word for word in _WORD.findall(source) if any(c.islower() for c in word)]
    if len(prose) < IDENTICAL_MIN_WORDS:
        return None  # names, codes, numbers are legitimately the same in every language
    if tokens(source) == tokens(output):
        return "output identical to the input (not translated)"
    return None


_TAG_LIKE = re.compile(r"<[^<>]{1,500}>")


def _is_prose(word: str) -> bool:
    """A word written in lower case without digits: not a name, an acronym or a symbol."""
    return word.islower() and not any(c.isdigit() for c in word)


def check_copied_run(source: str, output: str, words: int = COPIED_RUN_WORDS) -> str | None:
    """A stretch of ``words`` (COPIED_RUN_WORDS) lower-case source words kept in the same order in the output.

    A model that gives up on part of a sentence copies it through; the rest being translated,
    the segment passes the identity check, yet readers get a half-untranslated sentence. Names
    and titles (capitalised words) break a stretch, since they legitimately stay as they are.
    Linear in the length of both texts (n-gram sets), so a very long segment costs little.
    """
    n = words
    # Tag-like spans in the text (markup quoted as text, code) are not the source language:
    # they stay as they are in any translation, and break a stretch as names do.
    source, output = _TAG_LIKE.sub(" MARKUP ", source), _TAG_LIKE.sub(" MARKUP ", output)
    out = [word.casefold() for word in _WORD.findall(output)]
    grams = {tuple(out[i : i + n]) for i in range(len(out) - n + 1)}
    if not grams:
        return None
    run: list[str] = []
    for word in _WORD.findall(source):
        if not _is_prose(word):
            run = []
            continue
        run.append(word.casefold())
        if len(run) >= n and tuple(run[-n:]) in grams:
            return f"untranslated stretch kept from the source: {' '.join(run[-n:])!r}"
    return None


# The scripts of the UN languages whose script differs from the source languages' Latin one.
_SCRIPT_RANGES: dict[str, tuple[tuple[int, int], ...]] = {
    "ar": ((0x0600, 0x06FF), (0x0750, 0x077F), (0x08A0, 0x08FF), (0xFB50, 0xFDFF), (0xFE70, 0xFEFF)),
    "ru": ((0x0400, 0x04FF), (0x0500, 0x052F)),
    "zh": ((0x3400, 0x4DBF), (0x4E00, 0x9FFF), (0xF900, 0xFAFF), (0x20000, 0x2FA1F)),
}
SCRIPT_NAMES = {"ar": "Arabic", "ru": "Cyrillic", "zh": "Chinese"}


def _in_script(char: str, language: str) -> bool:
    point = ord(char)
    return any(low <= point <= high for low, high in _SCRIPT_RANGES[language])


def check_script(output: str, target: str) -> str | None:
    """Output into Arabic, Chinese or Russian whose letters are mostly not in that script, at any length.

    Words with a capital or a digit (names, acronyms, document symbols: ``UNEP/CBD/COP/12/11``,
    ``GBF``) may stay in Latin letters; everything else must be in the target's script. Detection
    cannot judge a two-word title; the script can.
    """
    if target not in _SCRIPT_RANGES:
        return None
    in_script = sum(1 for c in output if c.isalpha() and _in_script(c, target))
    foreign = sum(
        1
        for word in _WORD.findall(output)
        if not any(c.isupper() or c.isdigit() for c in word)
        for c in word
        if c.isalpha() and not _in_script(c, target)
    )
    if foreign and in_script < SCRIPT_MIN_SHARE * (in_script + foreign):
        total = in_script + foreign
        return f"wrong script: {in_script} of {total} letters are {SCRIPT_NAMES[target]}, expected {target}"
    return None


def check_segment(source: str, output: str, target: str | None = None) -> str | None:
    """The first reason to reject one translated segment into ``target``, or None."""
    if not output.strip() and source.strip():
        return "empty output"
    return (
        check_repetition(source, output)
        or check_length(source, output)
        or check_identical(source, output)
        or (check_script(output, target) if target else None)
        or check_copied_run(source, output)
    )


def check_language(output: str, target: str, detect: Callable[[str], Detection]) -> str | None:
    """A whole translated field in the wrong script, or confidently detected in another language."""
    wrong_script = check_script(output, target)
    if wrong_script:
        return wrong_script
    letters = sum(1 for c in output if c.isalpha())
    if letters < LANGUAGE_MIN_LETTERS:
        return None  # too short for detection to be trusted
    found = detect(output)
    if found.language in (target, "und") or found.confidence < LANGUAGE_MIN_CONFIDENCE:
        return None
    return f"wrong language: output detected as {found.language} ({found.confidence:.2f}), expected {target}"
