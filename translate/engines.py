"""The engine interface, and routes from one language to another (directly or through English).

Why an interface: Argos Translate is the default, but an engine is just "translate these
segments from A to B with the model installed for that pair"; another one (a server, a bigger
model) plugs in by implementing :class:`TranslationEngine`. Everything above it (memory,
glossary, gate, worker) is engine-agnostic and keys its memory by ``engine.name`` and the
model's name and version.

Routes: a direct pair when one is installed and loads; otherwise source→English→target when both
halves are (Argos packages are mostly to and from English). A model that fails to load is
remembered as broken with its error, and routes avoid it, so other pairs go on.
"""

from __future__ import annotations

import abc
from collections.abc import Sequence
from dataclasses import dataclass, field

from record_catalogue.errors import Cause, Unavailable

PIVOT_LANGUAGE = "en"


class TranslationError(Unavailable):
    """A translation could not be made; the message says why in words an operator can act on."""

    cause = Cause.TRANSLATION_UNAVAILABLE


class ModelLoadError(TranslationError):
    """An installed model is broken: it is listed but cannot be loaded."""


@dataclass(frozen=True)
class ModelInfo:
    """One installed model for one direct pair."""

    source: str
    target: str
    name: str
    version: str

    @property
    def label(self) -> str:
        """Name and version, as provenance and the memory key show them."""
        return f"{self.name}@{self.version}"


@dataclass(frozen=True)
class Route:
    """How to get from ``source`` to ``target``: one model, or two through a pivot language."""

    steps: tuple[ModelInfo, ...]

    @property
    def source(self) -> str:
        return self.steps[0].source

    @property
    def target(self) -> str:
        return self.steps[-1].target

    @property
    def pivot(self) -> str | None:
        """The path, e.g. ``es>en>fr``, when the route goes through another language; else None."""
        if len(self.steps) == 1:
            return None
        return ">".join([self.steps[0].source, *(step.target for step in self.steps)])

    @property
    def model_version(self) -> str:
        """The memory key's model part: every model on the route with its version."""
        return ">".join(step.label for step in self.steps)

    @property
    def model_label(self) -> str:
        """The models as FieldText.model shows them."""
        return " + ".join(f"{step.name} {step.version}" for step in self.steps)


@dataclass
class Routes:
    """Route planning over the pairs an engine has, avoiding models known to be broken."""

    models: dict[tuple[str, str], ModelInfo]
    broken: dict[tuple[str, str], str] = field(default_factory=dict)

    def find(self, source: str, target: str) -> Route | None:
        direct = self._usable(source, target)
        if direct is not None:
            return Route((direct,))
        if PIVOT_LANGUAGE in (source, target):
            return None
        first, second = self._usable(source, PIVOT_LANGUAGE), self._usable(PIVOT_LANGUAGE, target)
        if first is not None and second is not None:
            return Route((first, second))
        return None

    def _usable(self, source: str, target: str) -> ModelInfo | None:
        if (source, target) in self.broken:
            return None
        return self.models.get((source, target))

    def why_not(self, source: str, target: str) -> str:
        """Why no route exists, naming the command that would fix it."""
        problems = []
        for pair in [(source, target), (source, PIVOT_LANGUAGE), (PIVOT_LANGUAGE, target)]:
            if pair in self.broken:
                problems.append(f"model {pair[0]}→{pair[1]} failed to load: {self.broken[pair]}")
        broken = "; ".join(problems)
        missing = f"no translation model for {source}→{target}"
        if PIVOT_LANGUAGE not in (source, target):
            missing += f" (nor {source}→{PIVOT_LANGUAGE} and {PIVOT_LANGUAGE}→{target} to pivot through English)"
        hint = f"install one with: chm-search models install {source} {target}"
        return f"{broken}; {hint}" if broken else f"{missing}; {hint}"


class TranslationEngine(abc.ABC):
    """Translates batches of plain-text segments for the direct pairs it has models for."""

    name: str = "?"

    @abc.abstractmethod
    def models(self) -> dict[tuple[str, str], ModelInfo]:
        """The installed direct pairs and their models."""

    @abc.abstractmethod
    def load(self, source: str, target: str) -> None:
        """Load the pair's model now; raise ModelLoadError saying why it cannot be."""

    @abc.abstractmethod
    def translate(self, source: str, target: str, segments: Sequence[str]) -> list[str]:
        """Translate segments (one sentence or less each) in as few model calls as possible."""

    def routes(self, pairs: Sequence[tuple[str, str]] = ()) -> Routes:
        """Routes over the installed models, having loaded the models those ``pairs`` need.

        Loading first means a broken model is found before any work is planned on it: the
        route then pivots around it if it can, and says why not if it cannot.
        """
        routes = Routes(self.models())
        for source, target in pairs:
            if self._loads(routes, source, target) or PIVOT_LANGUAGE in (source, target):
                continue
            if self._loads(routes, source, PIVOT_LANGUAGE):
                self._loads(routes, PIVOT_LANGUAGE, target)
        return routes

    def _loads(self, routes: Routes, source: str, target: str) -> bool:
        """Whether the pair is installed and its model loads (a failure is recorded in ``routes``)."""
        pair = (source, target)
        if pair not in routes.models or pair in routes.broken:
            return False
        try:
            self.load(source, target)
        except ModelLoadError as exc:
            routes.broken[pair] = str(exc)
            return False
        return True

    def close(self) -> None:  # noqa: B027 - optional hook
        """Release loaded models."""
