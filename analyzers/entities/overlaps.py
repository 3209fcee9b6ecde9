"""One entity per stretch of text, whichever finders proposed it.

Overlaps are resolved longest first ("Cartagena Protocol on Biosafety" is one treaty; "Papua
New Guinea" is not also Guinea); phrases such as "Indian Ocean" or "noix du Brésil" are
blockers that win and are then dropped.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable

from analyzers import gazetteer
from analyzers.entities.kinds import Entity, _Candidate


def _resolve(text: str, candidates: Iterable[_Candidate]) -> list[Entity]:
    """Non-overlapping entities, longest first, then by type priority; blockers dropped."""
    ordered = sorted(set(candidates), key=lambda c: (c.start - c.end, c.priority, c.start, c.id))
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
    return [
        Entity(c.type, c.id, text[c.start : c.end], c.start, c.end)
        for c in sorted(chosen, key=lambda c: c.start)
        if c.type != gazetteer.BLOCK
    ]
