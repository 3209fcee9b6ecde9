"""Whether the catalogue and the index are up, and whether the index holds what it should.

An engine that answers is not enough: an index that lost its documents (a version deleted, an
index replaced by an empty one) answers every search with nothing. So the index's documents are
counted against the catalogue's records, every one of which should be indexed; a difference is
``degraded``, saying how many and what restores it. Shared by ``GET /api/v1/health`` and
``chm-search health``.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Literal

from record_catalogue.db import CatalogueFailed, CatalogueUnavailable, one_line
from record_catalogue.record_reads import count_indexed_records
from record_catalogue.store import Catalogue
from search_index.base import IndexUnavailable, SearchBackend
from search_index.restore import index_present

Status = Literal["ok", "degraded", "down"]


@dataclass(frozen=True)
class Part:
    status: Status
    detail: str


@dataclass(frozen=True)
class StoresHealth:
    engine: str
    search_engine: Part
    catalogue: Part

    @property
    def status(self) -> Status:
        states = {self.search_engine.status, self.catalogue.status}
        return "down" if "down" in states else "degraded" if "degraded" in states else "ok"

    def as_dict(self) -> dict[str, Any]:
        """The report as ``chm-search health --json`` prints it (the parts named as the API's /health names them)."""
        return {"status": self.status, "engine": self.engine, **asdict(self)}


def _index_gap(records: int, documents: int) -> str:
    gap = f"{records - documents} missing" if documents < records else f"{documents - records} too many"
    return f"the index holds {documents} documents for the catalogue's {records} records ({gap})"


def _present(backend: SearchBackend) -> bool:
    try:
        return index_present(backend)
    except IndexUnavailable:
        return False


def check_health(catalogue: Catalogue | str, backend: SearchBackend | str, engine: str = "?") -> StoresHealth:
    """Each part's state; a part given as a string could not even be opened (the string says why)."""
    if isinstance(backend, str):
        search_engine = Part("down", backend)
    else:
        engine = backend.engine
        try:
            found = backend.health()
            state: Status = ("degraded" if found.degraded else "ok") if found.ok else "down"
            search_engine = Part(state, found.detail)
            engine = found.engine
        except IndexUnavailable as exc:
            search_engine = Part("down", str(exc))
    if isinstance(catalogue, str):
        catalogue_part = Part("down", catalogue)
    else:
        try:
            ok, detail = catalogue.health()
            catalogue_part = Part("ok" if ok else "down", detail)
        except (CatalogueUnavailable, CatalogueFailed) as exc:
            catalogue_part = Part("down", exc.fault if isinstance(exc, CatalogueFailed) else str(exc))
    if isinstance(backend, str) or isinstance(catalogue, str):
        return StoresHealth(engine, search_engine, catalogue_part)
    if search_engine.status != "down" and not _present(backend):
        search_engine = Part(
            "down",
            f"the index version {backend.current_version() or '(none)'} is missing: run `chm-search reindex` "
            "(the next ingest or push rebuilds it from the catalogue too)",
        )
    if search_engine.status != "down" and catalogue_part.status == "ok":
        try:
            records, documents = count_indexed_records(catalogue.sessions), backend.count()
        except (IndexUnavailable, CatalogueUnavailable, CatalogueFailed) as exc:
            detail = exc.fault if isinstance(exc, CatalogueFailed) else one_line(exc)
            search_engine = Part("down", f"counting the index's documents failed: {detail}")
        else:
            if records != documents:
                search_engine = Part(
                    "degraded",
                    f"{_index_gap(records, documents)}: run `chm-search reindex` (an ingest still running "
                    f"indexes what it stored as it goes); {search_engine.detail}",
                )
    return StoresHealth(engine, search_engine, catalogue_part)
