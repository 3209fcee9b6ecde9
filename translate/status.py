"""What translation can do here, without loading a model: for the API and health checks.

Reads the installed packages' metadata only (cheap enough for every request): the direct pairs,
which of them are broken on disk, and every pair of configured languages that a route reaches,
directly or through English. A model that is intact on disk but fails to load is only found by
loading it (``chm-search translate`` reports it).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from translate.engines import PIVOT_LANGUAGE, ModelInfo, Routes
from translate.packages import InstalledPackage, installed


@dataclass(frozen=True)
class PairStatus:
    """One installed package's pair, model and whether it looks usable."""

    source: str
    target: str
    model: str
    version: str
    problem: str | None


@dataclass(frozen=True)
class Reach:
    """A language pair the installed models can translate, and the pivot language if any."""

    source: str
    target: str
    via: str | None


@dataclass(frozen=True)
class Overview:
    installed: list[PairStatus]
    reachable: list[Reach]

    @property
    def health(self) -> tuple[bool, str]:
        """``(ok, detail)`` for a health check: ok unless an installed package is broken."""
        broken = [f"{p.source}→{p.target}: {p.problem}" for p in self.installed if p.problem]
        if broken:
            return False, "broken translation model(s): " + "; ".join(broken)
        if not self.installed:
            return True, "no translation model installed (texts stay pending)"
        return True, f"ok ({len(self.installed)} models, {len(self.reachable)} language pairs reachable)"


def overview(languages: Sequence[str], directory: Path | None = None) -> Overview:
    """Installed pairs and the pairs of ``languages`` they reach."""
    packages = installed(directory)
    pairs = [PairStatus(p.source, p.target, p.name, p.version, p.problem) for p in packages]
    usable = {(p.source, p.target): ModelInfo(p.source, p.target, p.name, p.version) for p in packages if not p.problem}
    routes = Routes(usable)
    reachable = []
    for source in languages:
        for target in languages:
            if source == target:
                continue
            route = routes.find(source, target)
            if route is not None:
                via = route.steps[0].target if len(route.steps) > 1 else None
                reachable.append(Reach(source, target, via))
    return Overview(pairs, reachable)


def reach_by_package(packages: Sequence[InstalledPackage], languages: Sequence[str]) -> dict[Path, list[Reach]]:
    """For each usable package, the pairs of ``languages`` it serves as one half of a pivot through
    English (es→en serves es→fr when en→fr is installed); pairs with a direct model are left out."""
    usable = {(p.source, p.target): p for p in packages if not p.problem}
    found: dict[Path, list[Reach]] = {p.path: [] for p in usable.values()}
    for source in languages:
        for target in languages:
            if PIVOT_LANGUAGE in (source, target) or source == target or (source, target) in usable:
                continue
            first, second = usable.get((source, PIVOT_LANGUAGE)), usable.get((PIVOT_LANGUAGE, target))
            if first is not None and second is not None:
                for half in (first, second):
                    found[half.path].append(Reach(source, target, PIVOT_LANGUAGE))
    return found
