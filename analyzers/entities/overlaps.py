"""One entity per stretch of text, whichever finders proposed it.

Overlaps are resolved longest first ("Cartagena Protocol on Biosafety" is one treaty; "Papua
New Guinea" is not also Guinea); phrases such as "Indian Ocean" or "noix du Brésil" are
blockers that win and are then dropped.
"""

from __future__ import annotations

import bisect
import operator
from collections.abc import Iterable

from analyzers import gazetteer
from analyzers.entities.kinds import Entity, _Candidate

_new_tuple = tuple.__new__
_START = operator.itemgetter(0)  # a candidate's start


def _rank(c: _Candidate) -> tuple[int, int, int, str]:
    """Longest first, then by type priority, position and id (by index: named fields cost more)."""
    return (c[0] - c[1], c[4], c[0], c[3])


def _resolve(text: str, candidates: Iterable[_Candidate]) -> list[Entity]:
    """Non-overlapping entities, longest first, then by type priority; blockers dropped."""
    ordered = sorted(set(candidates), key=_rank)
    starts: list[int] = []
    ends: list[int] = []
    chosen: list[_Candidate] = []
    for candidate in ordered:
        index = bisect.bisect_right(starts, candidate.start)
        if index > 0 and ends[index - 1] > candidate.start:
            continue
        if index < len(starts) and starts[index] < candidate.end:
            continue
        starts.insert(index, candidate.start)
        ends.insert(index, candidate.end)
        chosen.append(candidate)
    # Built as tuple.__new__ does it: a named tuple's own constructor is a Python call (eleven a record).
    return [
        _new_tuple(Entity, (c[2], c[3], text[c[0] : c[1]], c[0], c[1]))
        for c in sorted(chosen, key=_START)
        if c[2] != gazetteer.BLOCK
    ]
