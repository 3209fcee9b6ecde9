"""Language detection, restricted to the languages the system knows.

How a text is decided, and why:

1. **Clean.** HTML (tags, ``<script>``/``<style>`` blocks, entities), links and e-mail addresses
   are dropped; a very long text is read through a bounded window, so a 50 MB field costs what a
   page costs.
2. **Script.** Arabic, Cyrillic and Han each belong to exactly one of the six UN languages, so the
   script decides them (Han letters count three times: one carries about as much as three Latin
   ones). Letters that Russian, Arabic or Chinese do not use (Ukrainian ``ї``, Persian ``پ``,
   Japanese kana) make such a text ``und``: it is in a language the system does not know. Greek,
   Hangul and other scripts are ``und`` too.
3. **Words, for Latin script.** English, Spanish and French share an alphabet, and short labels
   ("Country", "Pays", "País", "Meta", "Parties") are where character n-gram detectors fail:
   a label has too few letters for n-gram statistics. A word, though, is strong evidence: how
   common it is in each language (``detect_data/words.tsv.gz``, Zipf frequencies from wordfreq)
   is a naive-Bayes word model. Words the table does not know get a weak character n-gram score
   built from langdetect's own profiles. A small prior favours English, the clearing-houses' most
   frequent language, which settles words that are common in two languages ("Parties",
   "Convention") the way they most often are meant.
4. **langdetect, seeded, on longer texts.** When a text of 40 characters or more is not clearly
   one language, or too few of its words are English, Spanish or French words, langdetect (seed
   0, so the same text always gets the same answer) is asked too: its 55 profiles recognise
   German, Portuguese, Italian... (which then give ``und``), and its probabilities for English,
   Spanish and French are averaged with ours. It runs on few texts, so ingest keeps its speed.
5. **Restricted.** Scores are always computed over all of English, Spanish and French; a text
   whose best language is not configured is ``und`` (a French text in an English/Russian
   deployment is ``und``, never "English"). Below ``MIN_CONFIDENCE`` the answer is ``und`` too.

Every step is deterministic: same text, same answer, in any order and any thread.
"""

from __future__ import annotations

import gzip
import html
import json
import math
import re
import string
import threading
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from record_catalogue.languages import UN_LANGUAGES, UNDETERMINED

# Below this the answer is ``und``. Latin-script texts are scored over three languages, so a third
# is a coin toss; 0.4 keeps a two-way tie ("Organisations": en or fr) as a guess, which the
# pipeline needs to store a text, and refuses a three-way one ("Laos").
MIN_CONFIDENCE = 0.4
LANGDETECT_SEED = 0

SCRIPT_LANGUAGE = {"arabic": "ar", "cyrillic": "ru", "han": "zh"}
LATIN_LANGUAGES: tuple[str, ...] = ("en", "es", "fr")

WORDS_PATH = Path(__file__).resolve().parent / "detect_data" / "words.tsv.gz"

# Tuned on the ``tune`` split of bench/data/detect (never on ``test``); see bench/detect.py.
HAN_WEIGHT = 3.0
FOREIGN_LETTER_SHARE = 0.03  # of a script's letters, e.g. Ukrainian і/ї/є/ґ among Cyrillic ones
KANA_SHARE = 0.02  # Chinese never writes kana; a stray one in a long text may be a quoted name
WORD_FLOOR = 1.0  # Zipf frequency given to a word unknown in a language (the table stops at 1.0)
OOV_WEIGHT = 0.1  # weight of the character n-gram score of a word the table does not know
OOV_CLIP = 3.0  # at most this many orders of magnitude of n-gram evidence per unknown word
PRIOR = (0.1, 0.0, 0.0)  # English, Spanish, French, in Zipf units (powers of ten)
SHARPNESS = 1.0  # posterior ∝ 10 ** (SHARPNESS * score)
LANGDETECT_MIN_CHARS = 40
LANGDETECT_BELOW = 0.95  # ask langdetect when our best posterior is below this
COVERAGE_FLOOR = 0.8  # share of words common (Zipf ≥ 2) in the best language; below it, suspect another
FOREIGN_PROBABILITY = 0.7  # langdetect's probability of a non-UN language that makes a text ``und``

_RAW_WINDOW = 60_000  # characters of raw input read (half from the start, half from the middle)
_SAMPLE = 5_000  # characters of plain text scored
_MAX_TOKENS = 800
_CACHE_CHARS = 64  # texts up to this long are memoised (labels repeat across records)
_CACHE_SIZE = 50_000

_COMMENTS = re.compile(r"<!--.*?-->", re.S)
_BLOCKS = re.compile(r"<(script|style|head)\b[^>]*>.*?</\1\s*>", re.I | re.S)
_TAGS = re.compile(r"</?[A-Za-z!?][^>]*>")
_LINKS = re.compile(r"(?:\b[a-z][a-z0-9+.-]*://|\bwww\.)\S+|\S+@\S+\.\w+", re.I)

# Every character of this class is a letter (a test checks it), so _script counts the letters of
# a Latin text without testing each character.
_LATIN_CLASS = "A-Za-z\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u024f\u1e00-\u1eff"
_LATIN = re.compile(f"[{_LATIN_CLASS}]+")
_NOT_LATIN = re.compile(f"[^\\x00-\\x7f{_LATIN_CLASS}]+")  # what may be another script's letters
_TOKEN = re.compile(f"[{_LATIN_CLASS}]+(?:'[{_LATIN_CLASS}]+)*")
# The scripts below lie outside ASCII and _LATIN_CLASS: _script counts them among what _NOT_LATIN
# finds. Runs, not single letters: findall then builds a string a word rather than one a letter.
_ARABIC_CLASS = (
    "\u0620-\u064a\u066e-\u06d3\u06d5\u06ee\u06ef\u06fa-\u06ff"  # Arabic letters
    "\u0750-\u077f\u08a0-\u08ff\ufb50-\ufdff\ufe70-\ufefc"  # supplements, presentation forms
)
_CYRILLIC_CLASS = "\u0400-\u052f"
_HAN_CLASS = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0002fa1f"
_ARABIC = re.compile(f"[{_ARABIC_CLASS}]+")
_CYRILLIC = re.compile(f"[{_CYRILLIC_CLASS}]+")
_HAN = re.compile(f"[{_HAN_CLASS}]+")
_SCRIPTS = re.compile(f"[{_ARABIC_CLASS}{_CYRILLIC_CLASS}{_HAN_CLASS}]+")
_NOT_SCRIPTS = re.compile(f"[^{_ARABIC_CLASS}{_CYRILLIC_CLASS}{_HAN_CLASS}]+")
_KANA = re.compile("[\u3041-\u3096\u30a1-\u30fa\u31f0-\u31ff\uff66-\uff9d]+")
# Letters of Persian/Urdu (not Arabic) and of Ukrainian, Belarusian, Serbian, Macedonian, Kazakh
# (not Russian): enough of them means a language the system does not know, in a familiar script.
_NOT_ARABIC = re.compile("[\u067e\u0686\u0698\u06a9\u06af\u06cc\u0679\u0688\u0691\u06ba\u06be\u06c1\u06d2]+")
_NOT_RUSSIAN = re.compile("[іїєґўђјљњћџәғқңөұүһІЇЄҐЎЂЈЉЊЋЏӘҒҚҢӨҰҮҺ]+")
# Alphabets with none of those letters: most Russian and Arabic texts are written in them alone.
_RUSSIAN_ALPHABET = re.compile("[\u0410-\u044f\u0401\u0451]+")
_ARABIC_ALPHABET = re.compile("[\u0620-\u064a]+")
_ASCII_LETTERS = string.ascii_letters.encode("ascii")
# Latin letters English, Spanish and French do not use (Portuguese ã, German ß, Polish ł...): in
# a longer text they send it to langdetect, which knows those languages. Names have them too, so
# they never decide on their own.
_ALIEN = re.compile("[ãõäößåøłąęśźżńčšžřěőűğşıðþìòÃÕÄÖÅØŁĄĘŚŹŻŃČŠŽŘĚŐŰĞŞİÐÞÌÒ\u1ea0-\u1ef9]")

_lock = threading.Lock()


@dataclass(frozen=True)
class Detection:
    """A language code (or ``und``) and how sure we are, from 0 to 1.

    For ``und`` the confidence is that of the refused best guess (too low, or a language not
    configured), or how sure langdetect is that the text is in a language outside the six; 0 when
    there was nothing to go on (no letters, another script).
    """

    language: str
    confidence: float


def _plain(text: str) -> str:
    """The readable text: no markup, links or runs of space, from a bounded window of the input."""
    if len(text) > _RAW_WINDOW:
        half = _RAW_WINDOW // 2
        middle = len(text) // 2
        text = text[:half] + " " + text[middle : middle + half]
    if "<" in text:
        text = _TAGS.sub(" ", _BLOCKS.sub(" ", _COMMENTS.sub(" ", text)))
    if "&" in text:
        text = html.unescape(text)
    if "://" in text or "www." in text or "@" in text:
        text = _LINKS.sub(" ", text)
    # Same as re.sub(r"\s+", " ", text).strip() (str.split and re's \s agree on what is space), faster.
    return " ".join(text.split())


def _sample(plain: str) -> str:
    """At most ``_SAMPLE`` characters: the start and a slice of the middle of a long text."""
    if len(plain) <= _SAMPLE:
        return plain
    head = _SAMPLE * 7 // 10
    middle = len(plain) // 2
    return plain[:head] + " " + plain[middle : middle + _SAMPLE - head]


def _count(pattern: re.Pattern[str], text: str) -> int:
    """How many characters of ``text`` ``pattern`` (a character class, repeated) matches."""
    return len("".join(pattern.findall(text)))


def _script(sample: str) -> tuple[str, float]:
    """The dominant script (``arabic``, ``cyrillic``, ``han``, ``latin``, ``other``, ``none``) and its share.

    Only letters count. A script-decided language is refused (``other``) when letters foreign to
    it are more than ``FOREIGN_LETTER_SHARE`` of that script's letters, or when kana show Japanese.
    """
    # Testing characters one by one (str.isalpha) is slow, so it is left to those that need it:
    # the characters outside ASCII and the Latin class, in a Latin text few or none.
    if sample.isascii():
        # Every ASCII letter is a Latin one, so Latin has all the letters there are, or none.
        return ("latin", 1.0) if _LATIN.search(sample) else ("none", 0.0)
    rest = "".join(_NOT_LATIN.findall(sample))
    if not rest:
        return "latin", 1.0  # there is a non-ASCII character, and it is a Latin letter
    scripts = "".join(_SCRIPTS.findall(rest))  # Arabic, Cyrillic and Han characters
    others = "" if len(scripts) == len(rest) else "".join(_NOT_SCRIPTS.findall(rest))  # kana, Greek, «»...
    # Each character is ASCII, a non-ASCII Latin letter or in rest: Latin letters are what is
    # left once rest and ASCII non-letters are taken away (counted on bytes, much faster).
    ascii_non_letters = len(sample.encode("ascii", "ignore").translate(None, _ASCII_LETTERS))
    latin = len(sample) - len(rest) - ascii_non_letters
    letters = (
        latin + (len(scripts) if scripts.isalpha() else sum(map(str.isalpha, scripts))) + sum(map(str.isalpha, others))
    )
    if letters == 0:
        return "none", 0.0
    # A text is usually in one script, and in its core alphabet: then scans that build no list
    # settle the counts, and that no letter foreign to the language is there.
    arabic = cyrillic = han = 0
    not_arabic = not_russian = -1  # not counted yet
    if not scripts:
        pass
    elif _RUSSIAN_ALPHABET.fullmatch(scripts):
        cyrillic, not_russian = len(scripts), 0
    elif _ARABIC_ALPHABET.fullmatch(scripts):
        arabic, not_arabic = len(scripts), 0
    elif _CYRILLIC.fullmatch(scripts):
        cyrillic = len(scripts)
    elif _ARABIC.fullmatch(scripts):
        arabic = len(scripts)
    elif _HAN.fullmatch(scripts):
        han = len(scripts)
    else:
        arabic, cyrillic, han = _count(_ARABIC, scripts), _count(_CYRILLIC, scripts), _count(_HAN, scripts)
    kana = _count(_KANA, others) if han else 0
    other = max(0, letters - arabic - cyrillic - han - latin)  # kana are in "other"
    weighted = {"arabic": arabic, "cyrillic": cyrillic, "han": han * HAN_WEIGHT, "latin": latin, "other": other}
    script, top = max(weighted.items(), key=lambda kv: kv[1])
    share = top / sum(weighted.values())
    if script == "arabic":
        if not_arabic < 0:
            not_arabic = _count(_NOT_ARABIC, scripts)
        if not_arabic >= max(1.0, FOREIGN_LETTER_SHARE * arabic):
            return "other", share
    if script == "cyrillic":
        if not_russian < 0:
            not_russian = _count(_NOT_RUSSIAN, scripts)
        if not_russian >= max(1.0, FOREIGN_LETTER_SHARE * cyrillic):
            return "other", share
    if script == "han" and kana >= max(1.0, KANA_SHARE * (han + kana)):
        return "other", share
    return script, share


# --- word and character evidence for English, Spanish and French -----------------------------


_words_table: dict[str, int] | None = None
_words_lock = threading.Lock()


def _words() -> dict[str, int]:
    """Word → Zipf frequencies ×10 in en, es, fr, packed in one int (8 bits each) to keep it small.

    Loaded once per process (a third of a second, ~35 MB), on first use, by one thread.
    """
    global _words_table
    if _words_table is None:
        with _words_lock:
            if _words_table is None:
                table: dict[str, int] = {}
                with gzip.open(WORDS_PATH, "rt", encoding="utf-8") as lines:
                    for line in lines:
                        if line.startswith("#"):
                            continue
                        word, en, es, fr = line.rstrip("\n").split("\t")
                        table[word] = (int(en) << 16) | (int(es) << 8) | int(fr)
                _words_table = table
    return _words_table


def _unpack(packed: int) -> tuple[int, int, int]:
    return packed >> 16, (packed >> 8) & 0xFF, packed & 0xFF


@lru_cache(maxsize=1)
def _ngrams() -> tuple[dict[str, tuple[float, float, float]], tuple[tuple[float, float, float], ...]]:
    """Character 1–3-gram log10 probabilities for en, es, fr from langdetect's bundled profiles.

    Returns the table and, per n-gram length, the log10 probability of an n-gram a profile lacks.
    """
    from langdetect.detector_factory import PROFILES_DIRECTORY

    profiles: list[dict[str, Any]] = []
    for language in LATIN_LANGUAGES:
        with open(Path(PROFILES_DIRECTORY) / language, encoding="utf-8") as handle:
            profiles.append(json.load(handle))
    unseen = tuple(
        (
            math.log10(0.5 / profiles[0]["n_words"][n]),
            math.log10(0.5 / profiles[1]["n_words"][n]),
            math.log10(0.5 / profiles[2]["n_words"][n]),
        )
        for n in range(3)
    )
    keys = {gram for profile in profiles for gram in profile["freq"] if gram == gram.lower()}
    table: dict[str, tuple[float, float, float]] = {}
    for gram in keys:
        n = len(gram) - 1
        values = [
            math.log10((profile["freq"][gram] + 0.5) / profile["n_words"][n])
            if gram in profile["freq"]
            else unseen[n][index]
            for index, profile in enumerate(profiles)
        ]
        table[gram] = (values[0], values[1], values[2])
    return table, unseen


@lru_cache(maxsize=20_000)
def _oov_score(word: str) -> tuple[float, float, float]:
    """How English/Spanish/French a word the table lacks looks, from its letters (log10, max 0)."""
    table, unseen = _ngrams()
    padded = f" {word} "
    totals = [0.0, 0.0, 0.0]
    for n in (1, 2, 3):
        for start in range(len(padded) - n + 1):
            gram = padded[start : start + n]
            if gram.isspace():
                continue
            values = table.get(gram, unseen[n - 1])
            totals[0] += values[0]
            totals[1] += values[1]
            totals[2] += values[2]
    best = max(totals)
    return (
        max(-OOV_CLIP, totals[0] - best),
        max(-OOV_CLIP, totals[1] - best),
        max(-OOV_CLIP, totals[2] - best),
    )


def _tokens(sample: str) -> list[str]:
    """Lower-cased Latin words; short all-capital acronyms (CBD, ABS, COP) carry no language."""
    found = _TOKEN.findall(sample.replace("’", "'").replace("`", "'"))
    shouting = all(token.isupper() for token in found) and sum(len(token) > 4 for token in found) >= 2
    tokens = []
    for token in found[:_MAX_TOKENS]:
        if len(token) <= 4 and token.isupper() and not shouting:
            continue
        tokens.append(token.lower())
    return tokens


@dataclass(frozen=True)
class _Latin:
    """The word model's view of a Latin-script text."""

    posterior: tuple[float, float, float]
    tokens: int
    known: int  # tokens the word table has, in any of the three languages
    coverage: float  # share of tokens the best language knows as a common word


def _lookup(words: dict[str, int], token: str) -> list[tuple[int, int, int]] | None:
    """The token's frequencies, or its parts' for an elision the table lacks ("l'objectif")."""
    packed = words.get(token)
    if packed is not None:
        return [_unpack(packed)]
    if "'" in token:
        found = [words.get(part) for part in token.split("'") if part]
        if found and all(part is not None for part in found):
            return [_unpack(part) for part in found if part is not None]
    return None


# What one occurrence of a word adds: its en, es, fr scores, then flags (_COMMON_EN... _KNOWN; a
# sum of flags times counts counts each, as long as no count reaches 2**16: _MAX_TOKENS is far
# below), then the number of parts of an elision (1 for other words).
_Evidence = tuple[float, float, float, int, int]
_COMMON_EN, _COMMON_ES, _COMMON_FR, _KNOWN = 1 << 48, 1 << 32, 1 << 16, 1
_EVIDENCE_CACHE_SIZE = 50_000  # words; about 10 MB when full


def _evidence(token: str) -> _Evidence:
    """What one occurrence of ``token`` adds to each language's score, worked out once per word."""
    words = _words()
    floor = WORD_FLOOR
    packed = words.get(token)
    if packed is not None:
        z_en, z_es, z_fr = (packed >> 16) / 10.0, ((packed >> 8) & 0xFF) / 10.0, (packed & 0xFF) / 10.0
        flags = _KNOWN + _COMMON_EN * (z_en >= 2.0) + _COMMON_ES * (z_es >= 2.0) + _COMMON_FR * (z_fr >= 2.0)
        return (
            z_en if z_en > floor else floor,
            z_es if z_es > floor else floor,
            z_fr if z_fr > floor else floor,
            flags,
            1,
        )
    parts = _lookup(words, token)
    if parts is None:
        oov = _oov_score(token)
        return (floor + OOV_WEIGHT * oov[0], floor + OOV_WEIGHT * oov[1], floor + OOV_WEIGHT * oov[2], 0, 1)
    flags = (
        _KNOWN
        + _COMMON_EN * all(zipf[0] >= 20 for zipf in parts)
        + _COMMON_ES * all(zipf[1] >= 20 for zipf in parts)
        + _COMMON_FR * all(zipf[2] >= 20 for zipf in parts)
    )
    return (
        sum(max(zipf[0] / 10.0, floor) for zipf in parts),
        sum(max(zipf[1] / 10.0, floor) for zipf in parts),
        sum(max(zipf[2] / 10.0, floor) for zipf in parts),
        flags,
        len(parts),
    )


class _EvidenceCache(dict[str, _Evidence]):
    """Word → _evidence(word), filled on first use; emptied when full, to bound its memory."""

    def __missing__(self, token: str) -> _Evidence:
        evidence = _evidence(token)
        if len(self) >= _EVIDENCE_CACHE_SIZE:
            self.clear()
        self[token] = evidence
        return evidence


_EVIDENCE = _EvidenceCache()


def _score_latin(sample: str) -> _Latin:
    """Naive Bayes over words: each adds its log10 frequency in each language to that language.

    Written for speed (it runs on every Latin-script text field): each distinct word is weighted
    by its count, and what it adds is worked out once and cached across texts (_EVIDENCE). The
    terms are those of the straightforward sum, added in the same order, so no result changes.
    """
    en, es, fr = PRIOR
    flags = 0
    tokens = _tokens(sample)
    evidence = _EVIDENCE.__getitem__
    for token, count in Counter(tokens).items():
        score_en, score_es, score_fr, word_flags, parts = evidence(token)
        if parts == 1:
            en += count * score_en
            es += count * score_es
            fr += count * score_fr
        else:
            weight = count / parts  # an elided pair ("l'objectif") counts as one word
            en += weight * score_en
            es += weight * score_es
            fr += weight * score_fr
        flags += count * word_flags
    known = flags & 0xFFFF  # tokens the table knows; above, tokens common (Zipf ≥ 2) in each language
    common = (flags >> 48, (flags >> 32) & 0xFFFF, (flags >> 16) & 0xFFFF)
    best = max(en, es, fr)
    weights = (10.0 ** (SHARPNESS * (en - best)), 10.0 ** (SHARPNESS * (es - best)), 10.0 ** (SHARPNESS * (fr - best)))
    total = sum(weights)
    posterior = (weights[0] / total, weights[1] / total, weights[2] / total)
    top = max(range(3), key=lambda index: posterior[index])
    coverage = common[top] / len(tokens) if tokens else 0.0
    return _Latin(posterior, len(tokens), known, coverage)


# --- langdetect, seeded ----------------------------------------------------------------------


class _Langdetect:
    """langdetect over all its profiles, seeded: each call starts from the same random state."""

    def __init__(self) -> None:
        self._factory: Any = None

    def probabilities(self, text: str) -> dict[str, float]:
        from langdetect.lang_detect_exception import LangDetectException

        factory = self._ready()
        try:
            detector = factory.create()
            detector.set_max_text_length(2_000)
            detector.append(text)
            found = detector.get_probabilities()
        except LangDetectException:
            return {}
        result: dict[str, float] = {}
        for item in found:
            code = "zh" if item.lang.startswith("zh") else str(item.lang)
            result[code] = result.get(code, 0.0) + float(item.prob)
        return result

    def _ready(self) -> Any:
        with _lock:
            if self._factory is None:
                from langdetect.detector_factory import PROFILES_DIRECTORY, DetectorFactory

                factory = DetectorFactory()
                factory.load_profile(PROFILES_DIRECTORY)
                factory.set_seed(LANGDETECT_SEED)
                self._factory = factory
            return self._factory


_LANGDETECT = _Langdetect()


# --- the detector ------------------------------------------------------------------------------


class LanguageDetector:
    """Detects among ``languages`` (the six UN languages by default; others are never detected)."""

    def __init__(self, languages: Sequence[str] = UN_LANGUAGES) -> None:
        self.languages = tuple(languages)
        self._cache: dict[str, Detection] = {}

    def detect(self, text: str) -> Detection:
        """The language of ``text`` among the allowed ones, or ``und`` when unsure."""
        if len(text) <= _CACHE_CHARS:
            cached = self._cache.get(text)
            if cached is None:
                cached = self._detect(text)
                if len(self._cache) >= _CACHE_SIZE:
                    self._cache.clear()
                self._cache[text] = cached
            return cached
        return self._detect(text)

    def detect_many(self, texts: Sequence[str]) -> list[Detection]:
        """``detect`` for each text, in order."""
        return [self.detect(text) for text in texts]

    def _detect(self, text: str) -> Detection:
        sample = _sample(_plain(text))
        script, share = _script(sample)
        if script in SCRIPT_LANGUAGE:
            code = SCRIPT_LANGUAGE[script]
            if code in self.languages:
                return Detection(code, round(min(1.0, 0.5 + share / 2), 4))
            return Detection(UNDETERMINED, 0.0)
        if script != "latin":
            return Detection(UNDETERMINED, 0.0)
        latin = _score_latin(sample)
        if latin.tokens == 0:
            return Detection(UNDETERMINED, 0.0)
        posterior = latin.posterior
        evidence = latin.known > 0  # at least one word we know, or langdetect's opinion
        if len(sample) >= LANGDETECT_MIN_CHARS and (
            max(posterior) < LANGDETECT_BELOW
            or (latin.tokens >= 6 and latin.coverage < COVERAGE_FLOOR)
            or _ALIEN.search(sample) is not None
        ):
            found = _LANGDETECT.probabilities(sample)
            foreign = max((p for code, p in found.items() if code not in UN_LANGUAGES), default=0.0)
            if foreign >= FOREIGN_PROBABILITY:
                return Detection(UNDETERMINED, round(foreign, 4))
            theirs = [found.get(code, 0.0) for code in LATIN_LANGUAGES]
            if sum(theirs) > 0:
                evidence = True
                norm = sum(theirs)
                posterior = (
                    (posterior[0] + theirs[0] / norm) / 2,
                    (posterior[1] + theirs[1] / norm) / 2,
                    (posterior[2] + theirs[2] / norm) / 2,
                )
        if not evidence:
            return Detection(UNDETERMINED, round(max(posterior), 4))
        top = max(range(3), key=lambda index: posterior[index])
        code, confidence = LATIN_LANGUAGES[top], round(posterior[top], 4)
        if code not in self.languages or confidence < MIN_CONFIDENCE:
            return Detection(UNDETERMINED, confidence)
        return Detection(code, confidence)
