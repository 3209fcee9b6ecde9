"""Why the review queue is empty, in one line, with what to do about it.

An empty queue means very different things: nothing ingested yet, no translation model installed
(so nothing was ever machine-translated: the demo on a fresh machine, where no Argos package can
be downloaded), translation not run yet, filters that match nothing, or every translation already
reviewed. A curator facing an empty list cannot tell these apart; the queue says which it is.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from record_catalogue.codes import QueueStatus
from translate.backlog import backlog_status
from translate.curation import Curation, QueueFilter
from translate.status import overview

FILTERS = ("lang", "source_lang", "realm", "schema", "government", "q")


@dataclass(frozen=True)
class EmptyQueue:
    """``reason`` for programs and the page's translations; ``message`` for people (English);
    ``count``: the fields waiting for translation, or the matches without the filters."""

    reason: str  # no_records | no_models | not_translated | filtered | all_reviewed | none
    message: str
    count: int = 0


def why_empty(
    curation: Curation, wanted: QueueFilter, languages: Sequence[str], models_dir: Path | None = None
) -> EmptyQueue:
    """The reason a queue page for ``wanted`` has no item (call it only when it has none);
    ``models_dir``: where translation packages are installed (the settings' by default)."""
    if curation.catalogue.count() == 0:
        return EmptyQueue("no_records", "The catalogue holds no record yet: load some with chm-search ingest.")
    filtered = any(getattr(wanted, name) for name in FILTERS)
    unfiltered = QueueFilter(status=wanted.status, order="recent", size=1)
    everything = curation.queue(unfiltered).total if filtered else 0
    if wanted.status == QueueStatus.MACHINE and not everything:
        usable = [pair for pair in overview(languages, models_dir).installed if not pair.problem]
        if not usable:
            return EmptyQueue(
                "no_models",
                "Nothing has been machine-translated: no translation model is installed. "
                "Install one (chm-search models install en fr), then run chm-search translate.",
            )
        waiting = backlog_status(curation.catalogue.sessions, languages).to_translate
        if waiting:
            return EmptyQueue(
                "not_translated",
                f"{waiting} texts wait for machine translation: run chm-search translate.",
                waiting,
            )
        return EmptyQueue("all_reviewed", "Every machine translation has been reviewed.")
    if filtered and everything:
        return EmptyQueue(
            "filtered", f"No translation matches these filters; {everything} do without them.", everything
        )
    return EmptyQueue("none", f"No translation has the status {wanted.status}.")
