"""Species, accepted only with evidence.

"The maize" and "See annex" look like binomials: a capitalised genus and a lower-case epithet
count when the genus is in a small list of genera common in CBD records, or the pair stands alone
in parentheses ("maize (Zea mays)", optionally with an authority, "(Solanum tuberosum L.)"), or
in ``<i>``/``<em>`` markup; once a binomial is accepted, its other occurrences in the same text
count too.
"""

from __future__ import annotations

import re
from functools import cache

from analyzers import gazetteer
from analyzers.entities.kinds import _PRIORITY, _Candidate

# A capital not preceded by a letter, then the rest of the genus: the look-behind comes after the
# capital, not before it, because a pattern that opens on a character class lets re skip to the
# next capital in C instead of trying the pattern at every offset (twice as fast, same matches).
_BINOMIAL = re.compile(r"([A-Z](?<![A-Za-zÀ-ÿ][A-Z])[a-z]{2,})\s([a-z]{3,})(?![A-Za-zÀ-ÿ\-])")
_AUTHORITY_THEN_CLOSE = re.compile(r"\s*(?:[A-Z][A-Za-z]*\.?(?:\s*(?:&|et|ex)\s*[A-Z][A-Za-z]*\.?)?\s*)?\)")
_LATIN_EPITHET = re.compile(r"(?:a|ae|i|ii|us|um|is|es|ns|x|os|on|or|er|ys|as|ix|ax|ex|ens|ans)$")
_ITALIC_OPEN = re.compile(r"<(?:i|em)>\s*$", re.IGNORECASE)


def _species(text: str) -> list[_Candidate]:
    genera, stop_genus, stop_epithet = _species_sets()
    matches = [m for m in _BINOMIAL.finditer(text) if m.group(1) not in stop_genus and m.group(2) not in stop_epithet]
    if not matches:
        return []
    accepted: set[tuple[str, str]] = set()
    for match in matches:
        genus, epithet = match.group(1), match.group(2)
        if genus in genera:
            accepted.add((genus, epithet))
            continue
        before = text[max(0, match.start() - 8) : match.start()]
        latin = bool(_LATIN_EPITHET.search(epithet))
        in_parentheses = before.rstrip().endswith("(") and _AUTHORITY_THEN_CLOSE.match(text, match.end())
        if latin and (in_parentheses or _ITALIC_OPEN.search(before)):
            accepted.add((genus, epithet))
    return [
        _Candidate(m.start(), m.end(), "species", f"{m.group(1).lower()}-{m.group(2)}", _PRIORITY["species"])
        for m in matches
        if (m.group(1), m.group(2)) in accepted
    ]


@cache
def _species_sets() -> tuple[set[str], set[str], set[str]]:
    data = gazetteer.load_data("species")
    return set(data["genera"]), set(data["stop_genus"]), set(data["stop_epithet"])
