"""The translate stage: texts in, translations out, through segments, memory, glossary and gate.

For a batch of texts (fields of many records, into many languages) it:

1. finds a route per language pair (direct, or through English) and says why when there is none;
2. cuts each text into runs (HTML tags are kept as they are) and the runs into sentences;
3. answers each distinct sentence from the translation memory when it can: a curator's reviewed
   segment first (a rejected one makes the text ``rejected``: readers keep the original), else
   what this engine and model answered before;
4. protects glossary terms with placeholders, sends everything still unanswered to the engine
   in one batch per model (so sentences of many records share one ``translate_batch``), and
   remembers every answer;
5. puts the glossary terms back (translating again without placeholders when the model lost
   one), runs the sanity gate on every sentence and the language check on every whole text;
6. offers each sentence's final translation to its segment row in the memory (what curators
   review), reassembles each text and says whether it is ``current``, ``failed`` (with the
   reason), ``rejected`` or ``pending`` (no model can do the pair), which sentences it is made
   of, and who reviewed it when every sentence is a curator's.

Sentences without a letter (numbers, symbols, document codes) are kept as they are, and a
sentence already in the target language is copied rather than translated.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass

from analyzers.detect import LanguageDetector
from translate.assembly import Layout
from translate.engines import Route, Routes, TranslationEngine
from translate.gate import check_language, check_segment
from translate.glossary import Glossary, Protected
from translate.memory import MachineSegment, NewSegment, TranslationMemory

COPIED = "already in the target language"
COPY_MIN_LETTERS = 30
COPY_MIN_CONFIDENCE = 0.9


@dataclass(frozen=True)
class TextRequest:
    """One text to translate from ``source`` into ``target`` (plain text or HTML)."""

    source: str
    target: str
    text: str
    html: bool | None = None  # None: HTML if the text carries tags (stored fields); else as said


@dataclass(frozen=True)
class Part:
    """One sentence of a result: its translation and where that came from.

    ``kind`` is ``machine``, ``reviewed``, ``failed`` (the gate refused the machine's output)
    or ``rejected`` (by a curator).
    """

    source_text: str
    text: str
    kind: str


@dataclass(frozen=True)
class TextResult:
    """A translated text with its provenance, or why there is none (``pending``/``failed``/``rejected``).

    ``parts`` are the distinct sentences it is made of (what curators review, and what the
    worker records as the field's uses); ``reviewed_by`` names the curators when every sentence
    is reviewed, in which case the text is a reviewed translation rather than a machine one.
    """

    text: str
    status: str  # current | failed | rejected | pending
    reason: str | None = None
    engine: str | None = None
    model: str | None = None
    pivot: str | None = None
    parts: tuple[Part, ...] = ()
    reviewed_by: tuple[str, ...] = ()

    @property
    def segments(self) -> tuple[str, ...]:
        return tuple(part.source_text for part in self.parts)

    @property
    def reviewed(self) -> bool:
        return bool(self.reviewed_by)


@dataclass
class Stats:
    """What the stage did, counted in distinct segments (what the model is actually asked)."""

    texts: int = 0
    segments: int = 0
    reviewed: int = 0
    from_memory: int = 0
    translated: int = 0
    copied: int = 0
    failed_segments: int = 0
    rejected_segments: int = 0
    pending_texts: int = 0
    failed_texts: int = 0
    model_seconds: float = 0.0


@dataclass(frozen=True)
class _EngineAnswer:
    text: str
    copied: bool = False


@dataclass(frozen=True)
class _Outcome:
    text: str
    reason: str | None
    kind: str = "machine"  # machine | failed | reviewed | rejected
    actor: str | None = None


@dataclass(frozen=True)
class _Plan:
    """One request, its route and how its text is cut up."""

    request: TextRequest
    route: Route
    layout: Layout


class Translator:
    """The stage itself: one per worker, reused across batches (loaded models stay loaded)."""

    def __init__(
        self,
        engine: TranslationEngine,
        memory: TranslationMemory,
        glossary: Glossary | None = None,
        detector: LanguageDetector | None = None,
    ) -> None:
        self.engine = engine
        self.memory = memory
        self.glossary = glossary if glossary is not None else Glossary.load()
        self.detector = detector or LanguageDetector()
        self.stats = Stats()
        self.routes: Routes | None = None

    def provenance_model(self, route: Route) -> str:
        """The models of a route and the glossary version, as ``FieldText.model`` records them."""
        return f"{route.model_label}; glossary {self.glossary.fingerprint}"

    def translate(self, requests: Sequence[TextRequest]) -> list[TextResult]:
        """Translate every request; results are in the same order."""
        pairs = sorted({(r.source, r.target) for r in requests if r.text.strip() and r.source != r.target})
        routes = self.engine.routes(pairs)
        self.routes = routes
        results: list[TextResult | None] = [None] * len(requests)
        plans: dict[int, _Plan] = {}
        wanted: dict[Route, dict[str, None]] = {}
        for index, request in enumerate(requests):
            self.stats.texts += 1
            if not request.text.strip() or request.source == request.target:
                results[index] = TextResult(request.text, "current")
                continue
            route = routes.find(request.source, request.target)
            if route is None:
                self.stats.pending_texts += 1
                results[index] = TextResult("", "pending", routes.why_not(request.source, request.target))
                continue
            plan = _Plan(request, route, Layout.of(request.text, request.source, request.html))
            plans[index] = plan
            for segment in plan.layout.segments():
                wanted.setdefault(route, {})[segment] = None
        outcomes: dict[tuple[Route, str], _Outcome] = {}
        for route, segments in wanted.items():
            self.stats.segments += len(segments)
            for segment, outcome in self._segments(route, list(segments)).items():
                outcomes[(route, segment)] = outcome
        for index, plan in plans.items():
            results[index] = self._assemble(plan, outcomes)
        return [result for result in results if result is not None]

    def _assemble(self, plan: _Plan, outcomes: dict[tuple[Route, str], _Outcome]) -> TextResult:
        request, route = plan.request, plan.route
        text, plain = plan.layout.fill(request.target, lambda segment: outcomes[(route, segment)].text)
        chosen = {segment: outcomes[(route, segment)] for segment in plan.layout.segments()}
        parts = tuple(Part(segment, outcome.text, outcome.kind) for segment, outcome in chosen.items())

        def result(status: str, why: str | None, reviewed_by: tuple[str, ...] = ()) -> TextResult:
            model = self.provenance_model(route)
            return TextResult(text, status, why, self.engine.name, model, route.pivot, parts, reviewed_by)

        total = plan.layout.translatable
        for kind in ("rejected", "failed"):
            bad = [(segment, outcome.reason or kind) for segment, outcome in chosen.items() if outcome.kind == kind]
            if bad:
                self.stats.failed_texts += 1
                first, first_reason = bad[0]
                excerpt = first if len(first) <= 60 else first[:57] + "..."
                return result(kind, f"{len(bad)} of {total} segments {kind}; first {excerpt!r}: {first_reason}")
        if chosen and all(outcome.kind == "reviewed" for outcome in chosen.values()):
            return result("current", None, tuple(sorted({outcome.actor or "curator" for outcome in chosen.values()})))
        wrong = check_language(plain, request.target, self.detector.detect)
        if wrong:
            self.stats.failed_texts += 1
            return result("failed", wrong)
        return result("current", None)

    # -- segments ------------------------------------------------------------------------------
    def _segments(self, route: Route, segments: list[str]) -> dict[str, _Outcome]:
        """The final translation (and gate verdict) of each distinct segment on one route."""
        source, target = route.source, route.target
        outcomes: dict[str, _Outcome] = {}
        for segment, state in self.memory.states(source, target, segments).items():
            if state.kind == "reviewed":
                outcomes[segment] = _Outcome(state.target_text, None, "reviewed", state.actor)
                self.stats.reviewed += 1
            elif state.kind == "rejected":
                why = f"rejected by {state.actor}" if state.actor else "rejected by a curator"
                outcomes[segment] = _Outcome(state.target_text, why, "rejected", state.actor)
                self.stats.rejected_segments += 1
        rest = [s for s in segments if s not in outcomes]
        protected: dict[str, Protected] = {s: self.glossary.protect(s, source, target) for s in rest}
        answers = self._answers(route, list(dict.fromkeys(p.text for p in protected.values())))
        retry: list[str] = []
        finals: dict[str, tuple[str, str | None, bool]] = {}
        for segment in rest:
            guard = protected[segment]
            answer = answers[guard.text]
            if answer.copied or not guard.changed:
                finals[segment] = (answer.text, None, answer.copied)
                continue
            restored = Glossary.restore(answer.text, guard)
            if restored is None:
                retry.append(segment)  # the model lost a placeholder: translate the plain segment
            else:
                finals[segment] = (restored, None, False)
        if retry:
            second = self._answers(route, retry)
            for segment in retry:
                answer = second[segment]
                missing = self.glossary.missing_terms(answer.text, protected[segment])
                reason = f"glossary term(s) not in the output: {', '.join(missing)}" if missing else None
                finals[segment] = (answer.text, reason, answer.copied)
        offered: list[MachineSegment] = []
        model = self.provenance_model(route)
        for segment, (text, reason, copied) in finals.items():
            if reason is None and not copied:
                reason = check_segment(segment, text)
            if reason:
                self.stats.failed_segments += 1
            outcomes[segment] = _Outcome(text, reason, "failed" if reason else "machine")
            status, status_reason = ("failed", reason) if reason else ("current", COPIED if copied else None)
            offered.append(MachineSegment(segment, text, status, status_reason, self.engine.name, model, route.pivot))
        self.memory.offer(source, target, offered)
        return outcomes

    def _answers(self, route: Route, inputs: list[str]) -> dict[str, _EngineAnswer]:
        """What the route's model(s) answer for each input: from memory, copied, or translated now."""
        source, target = route.source, route.target
        remembered = self.memory.lookup(source, target, self.engine.name, route.model_version, inputs)
        answers = {
            text: _EngineAnswer(found.target_text, found.status_reason == COPIED) for text, found in remembered.items()
        }
        self.stats.from_memory += len(answers)
        misses = [text for text in inputs if text not in answers]
        new: list[NewSegment] = []
        todo: list[str] = []
        for text in misses:
            if self._already_in(text, target):
                answers[text] = _EngineAnswer(text, copied=True)
                new.append(NewSegment(text, text, "current", COPIED, route.pivot))
                self.stats.copied += 1
            else:
                todo.append(text)
        if todo:
            outputs = self._run(route, todo)
            for text, output in zip(todo, outputs, strict=True):
                reason = check_segment(text, output)
                new.append(NewSegment(text, output, "failed" if reason else "current", reason, route.pivot))
                answers[text] = _EngineAnswer(output)
        self.memory.store(source, target, self.engine.name, route.model_version, new)
        return answers

    def _run(self, route: Route, texts: list[str]) -> list[str]:
        """Send texts through the route's models: one batch per model, each step remembered."""
        if len(route.steps) == 1:
            started = time.perf_counter()
            outputs = self.engine.translate(route.source, route.target, texts)
            self.stats.model_seconds += time.perf_counter() - started
            self.stats.translated += len(texts)
            return outputs
        current = texts
        for step in route.steps:
            step_answers = self._answers(Route((step,)), list(dict.fromkeys(current)))
            current = [step_answers[text].text for text in current]
        return current

    def _already_in(self, text: str, target: str) -> bool:
        """A segment long enough to tell, confidently detected in the target language already."""
        if sum(1 for char in text if char.isalpha()) < COPY_MIN_LETTERS:
            return False
        found = self.detector.detect(text)
        return found.language == target and found.confidence >= COPY_MIN_CONFIDENCE
