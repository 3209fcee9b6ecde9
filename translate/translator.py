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

A pair no installed model reaches is not a dead end when curators have already done the work: a
text whose every sentence has a reviewed translation in the memory (a curator's correction, an
imported TMX) is answered from the memory alone, as a reviewed translation. Only a text with a sentence the
memory lacks is ``pending``, its reason naming the missing model (what ``chm-search models
install`` fixes).

Sentences without a letter (numbers, symbols, document codes) are kept as they are, and a
sentence already in the target language is copied rather than translated.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass

from analyzers.detect import LanguageDetector
from record_catalogue.codes import SegmentKind, TextStatus
from record_catalogue.memory_store import MachineSegment, NewSegment, Remembered, SegmentState, TranslationMemory
from record_catalogue.work_queue import SentenceClaims
from translate.assembly import Layout
from translate.engines import Route, Routes, TranslationEngine
from translate.gate import check_language, check_segment
from translate.glossary import Glossary, Protected

COPIED = "already in the target language"
COPY_MIN_LETTERS = 30
COPY_MIN_CONFIDENCE = 0.9
STEP_PREFIX = "step "


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
    status: TextStatus  # current, failed, rejected or pending
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
    """What the stage did, counted in distinct segments per language pair.

    Every distinct segment is counted once, by where its translation came from, so that
    ``segments == reviewed + rejected_segments + from_memory + copied + translated``;
    ``failed_segments`` (the gate refused the output) is a part of the last three, not a sixth
    kind. ``model_inputs`` counts what the models were given, pivot steps and glossary retries
    included (a pivoted segment is one segment ``translated`` and two model inputs).
    """

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
    model_inputs: int = 0
    model_seconds: float = 0.0

    def summary(self) -> str:
        """The counts as one phrase that adds up."""
        refused = f"; {self.failed_segments} refused by the gate" if self.failed_segments else ""
        return (
            f"{self.segments} distinct segments: {self.translated} by the model, {self.from_memory} from memory, "
            f"{self.reviewed} reviewed, {self.rejected_segments} rejected by a curator, {self.copied} already in "
            f"the target language{refused}; {self.model_inputs} model inputs (pivot steps and glossary retries "
            "included)"
        )


@dataclass(frozen=True)
class _EngineAnswer:
    """A model's answer for one input: its text, where it came from (``memory``, ``copied``,
    ``model``) and, when the gate refused it at some step of the route, why."""

    text: str
    origin: str = "model"
    verdict: str | None = None  # the gate's reason for refusing it, as the memory keeps it

    @property
    def copied(self) -> bool:
        return self.origin == "copied"

    @property
    def step_failure(self) -> str | None:
        """The verdict when a step of a pivot failed (no later check can make the result good)."""
        return self.verdict if self.verdict and self.verdict.startswith(STEP_PREFIX) else None


@dataclass(frozen=True)
class _Outcome:
    text: str
    reason: str | None
    kind: SegmentKind = SegmentKind.MACHINE
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
        claims: SentenceClaims | None = None,
    ) -> None:
        self.engine = engine
        self.memory = memory
        self.claims = claims  # shared with other workers: a sentence is translated by one of them
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
        unrouted: dict[int, Layout] = {}  # no model for the pair: the reviewed memory may still answer
        for index, request in enumerate(requests):
            self.stats.texts += 1
            if not request.text.strip() or request.source == request.target:
                results[index] = TextResult(request.text, TextStatus.CURRENT)
                continue
            route = routes.find(request.source, request.target)
            if route is None:
                unrouted[index] = Layout.of(request.text, request.source, request.html)
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
        for index, result in self._memory_only(requests, unrouted, routes).items():
            results[index] = result
        return [result for result in results if result is not None]

    def _memory_only(
        self, requests: Sequence[TextRequest], layouts: dict[int, Layout], routes: Routes
    ) -> dict[int, TextResult]:
        """Texts of pairs no model reaches, answered from curators' reviewed sentences when they cover them all.

        Only reviewed segments count: without a model there is nothing to check a machine
        answer against, and a rejected one is no translation. A text with a sentence the memory
        lacks is ``pending`` with the same reason as any text of the pair (the missing model),
        so that the worker's summary still counts one reason per pair.
        """
        by_pair: dict[tuple[str, str], dict[str, None]] = {}
        for index, layout in layouts.items():
            request = requests[index]
            for segment in layout.segments():
                by_pair.setdefault((request.source, request.target), {})[segment] = None
        reviewed: dict[tuple[str, str], dict[str, SegmentState]] = {}
        for pair, segments in by_pair.items():
            states = self.memory.states(pair[0], pair[1], list(segments))
            reviewed[pair] = {text: state for text, state in states.items() if state.kind == SegmentKind.REVIEWED}
        counted: set[tuple[str, str, str]] = set()
        answered: dict[int, TextResult] = {}
        for index, layout in layouts.items():
            request = requests[index]
            pair = (request.source, request.target)
            found = reviewed.get(pair, {})
            wanted = layout.segments()
            missing = [segment for segment in wanted if segment not in found]
            if missing or not wanted:  # nothing a curator reviewed (numbers only): still the model's job
                self.stats.pending_texts += 1
                answered[index] = TextResult("", TextStatus.PENDING, routes.why_not(request.source, request.target))
                continue
            for segment in wanted:
                if (*pair, segment) not in counted:
                    counted.add((*pair, segment))
                    self.stats.segments += 1
                    self.stats.reviewed += 1
            texts = {segment: found[segment].target_text for segment in wanted}
            text, _plain = layout.fill(request.target, texts.__getitem__)
            parts = tuple(Part(segment, texts[segment], "reviewed") for segment in wanted)
            actors = tuple(sorted({found[segment].actor or "curator" for segment in wanted}))
            answered[index] = TextResult(text, TextStatus.CURRENT, parts=parts, reviewed_by=actors)
        return answered

    def _assemble(self, plan: _Plan, outcomes: dict[tuple[Route, str], _Outcome]) -> TextResult:
        request, route = plan.request, plan.route
        text, plain = plan.layout.fill(request.target, lambda segment: outcomes[(route, segment)].text)
        chosen = {segment: outcomes[(route, segment)] for segment in plan.layout.segments()}
        parts = tuple(Part(segment, outcome.text, outcome.kind) for segment, outcome in chosen.items())

        def result(status: TextStatus, why: str | None, reviewed_by: tuple[str, ...] = ()) -> TextResult:
            model = self.provenance_model(route)
            return TextResult(text, status, why, self.engine.name, model, route.pivot, parts, reviewed_by)

        total = plan.layout.translatable
        for kind in (SegmentKind.REJECTED, SegmentKind.FAILED):
            bad = [(segment, outcome.reason or kind) for segment, outcome in chosen.items() if outcome.kind == kind]
            if bad:
                self.stats.failed_texts += 1
                first, first_reason = bad[0]
                excerpt = first if len(first) <= 60 else first[:57] + "..."
                return result(
                    TextStatus(kind), f"{len(bad)} of {total} segments {kind}; first {excerpt!r}: {first_reason}"
                )
        if chosen and all(outcome.kind == SegmentKind.REVIEWED for outcome in chosen.values()):
            return result(
                TextStatus.CURRENT, None, tuple(sorted({outcome.actor or "curator" for outcome in chosen.values()}))
            )
        wrong = check_language(plain, request.target, self.detector.detect)
        if wrong:
            self.stats.failed_texts += 1
            return result(TextStatus.FAILED, wrong)
        return result(TextStatus.CURRENT, None)

    # -- segments ------------------------------------------------------------------------------
    def _segments(self, route: Route, segments: list[str]) -> dict[str, _Outcome]:
        """The final translation (and gate verdict) of each distinct segment on one route."""
        source, target = route.source, route.target
        outcomes: dict[str, _Outcome] = {}
        for segment, state in self.memory.states(source, target, segments).items():
            if state.kind == SegmentKind.REVIEWED:
                outcomes[segment] = _Outcome(state.target_text, None, SegmentKind.REVIEWED, state.actor)
                self.stats.reviewed += 1
            elif state.kind == SegmentKind.REJECTED:
                why = f"rejected by {state.actor}" if state.actor else "rejected by a curator"
                outcomes[segment] = _Outcome(state.target_text, why, SegmentKind.REJECTED, state.actor)
                self.stats.rejected_segments += 1
        rest = [s for s in segments if s not in outcomes]
        protected: dict[str, Protected] = {s: self.glossary.protect(s, source, target) for s in rest}
        answers = self._answers(route, list(dict.fromkeys(p.text for p in protected.values())))
        retry: list[str] = []
        finals: dict[str, tuple[str, str | None, bool]] = {}
        origins: dict[str, str] = {}
        for segment in rest:
            guard = protected[segment]
            answer = answers[guard.text]
            origins[segment] = answer.origin
            if answer.copied or not guard.changed or answer.step_failure:
                finals[segment] = (answer.text, answer.step_failure, answer.copied)
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
                origins[segment] = "model" if "model" in (answer.origin, origins[segment]) else answer.origin
                missing = self.glossary.missing_terms(answer.text, protected[segment])
                reason = f"glossary term(s) not in the output: {', '.join(missing)}" if missing else answer.step_failure
                finals[segment] = (answer.text, reason, answer.copied)
        for origin in origins.values():
            if origin == "model":
                self.stats.translated += 1
            elif origin == "copied":
                self.stats.copied += 1
            else:
                self.stats.from_memory += 1
        offered: list[MachineSegment] = []
        model = self.provenance_model(route)
        for segment, (text, reason, copied) in finals.items():
            if reason is None and not copied:
                reason = check_segment(segment, text, target)
            if reason:
                self.stats.failed_segments += 1
            outcomes[segment] = _Outcome(text, reason, SegmentKind.FAILED if reason else SegmentKind.MACHINE)
            status, status_reason = (
                (TextStatus.FAILED, reason) if reason else (TextStatus.CURRENT, COPIED if copied else None)
            )
            offered.append(MachineSegment(segment, text, status, status_reason, self.engine.name, model, route.pivot))
        self.memory.offer(source, target, offered)
        return outcomes

    def _answers(self, route: Route, inputs: list[str]) -> dict[str, _EngineAnswer]:
        """What the route's model(s) answer for each input: from memory, copied, or translated now.

        With claims (several workers), an input another worker is translating is not sent to the
        model again: this worker translates its own inputs first, then takes the other's answer
        from the memory, or the claim itself if that worker stopped renewing it.
        """
        source, target = route.source, route.target
        remembered = self.memory.lookup(source, target, self.engine.name, route.model_version, inputs)
        answers = {text: self._remembered(found) for text, found in remembered.items()}
        misses = [text for text in inputs if text not in answers]
        new: list[NewSegment] = []
        todo: list[str] = []
        for text in misses:
            if self._already_in(text, target):
                answers[text] = _EngineAnswer(text, "copied")
                new.append(NewSegment(text, text, TextStatus.CURRENT, COPIED, route.pivot))
            else:
                todo.append(text)
        self.memory.store(source, target, self.engine.name, route.model_version, new)
        if self.claims is None:
            answers.update(self._translate_now(route, todo))
            return answers
        key = (source, target, self.engine.name, route.model_version)
        while todo:
            mine = set(self.claims.claim(*key, todo))
            own = [text for text in todo if text in mine]
            if own:
                # Another worker may have stored and released one of them since our lookup: it
                # stores before releasing, so a look now, with the claims held, settles it.
                done = self.memory.lookup(source, target, self.engine.name, route.model_version, own)
                answers.update({text: self._remembered(value) for text, value in done.items()})
                own = [text for text in own if text not in done]
                if done:
                    self.claims.release(*key, list(done))
            if own:
                answers.update(self._translate_now(route, own))
                self.claims.release(*key, own)
            others = [text for text in todo if text not in mine]
            if not others:
                break
            found = self.memory.lookup(source, target, self.engine.name, route.model_version, others)
            answers.update({text: self._remembered(value) for text, value in found.items()})
            todo = [text for text in others if text not in found]
            if todo:
                time.sleep(self.claims.poll_seconds)
        return answers

    @staticmethod
    def _remembered(found: Remembered) -> _EngineAnswer:
        origin = "copied" if found.status_reason == COPIED else "memory"
        return _EngineAnswer(
            found.target_text, origin, found.status_reason if found.status == TextStatus.FAILED else None
        )

    def _translate_now(self, route: Route, texts: list[str]) -> dict[str, _EngineAnswer]:
        """Run the route's model(s) on ``texts``, gate each answer and remember it."""
        if not texts:
            return {}
        outputs, step_reasons = self._run(route, texts)
        new: list[NewSegment] = []
        answers: dict[str, _EngineAnswer] = {}
        for text, output in zip(texts, outputs, strict=True):
            reason = step_reasons.get(text) or check_segment(text, output, route.target)
            status = TextStatus.FAILED if reason else TextStatus.CURRENT
            new.append(NewSegment(text, output, status, reason, route.pivot))
            answers[text] = _EngineAnswer(output, "model", reason)
        self.memory.store(route.source, route.target, self.engine.name, route.model_version, new)
        return answers

    def _run(self, route: Route, texts: list[str]) -> tuple[list[str], dict[str, str]]:
        """Send texts through the route's models: one batch per model, each step remembered.

        Returns the outputs, and for inputs whose output the gate refused at a step of a pivot
        (copied untranslated into English, say), why: the final output is refused too, since a
        broken first step cannot give a translation however the second step behaves.
        """
        if len(route.steps) == 1:
            started = time.perf_counter()
            outputs = self.engine.translate(route.source, route.target, texts)
            self.stats.model_seconds += time.perf_counter() - started
            self.stats.model_inputs += len(texts)
            return outputs, {}
        current = texts
        reasons: dict[str, str] = {}
        for step in route.steps:
            step_answers = self._answers(Route((step,)), list(dict.fromkeys(current)))
            for original, text in zip(texts, current, strict=True):
                why = step_answers[text].verdict
                if why and original not in reasons:
                    reasons[original] = f"{STEP_PREFIX}{step.source}→{step.target}: {why}"
            current = [step_answers[text].text for text in current]
        return current, reasons

    def _already_in(self, text: str, target: str) -> bool:
        """A segment long enough to tell, confidently detected in the target language already."""
        if sum(1 for char in text if char.isalpha()) < COPY_MIN_LETTERS:
            return False
        found = self.detector.detect(text)
        return found.language == target and found.confidence >= COPY_MIN_CONFIDENCE
