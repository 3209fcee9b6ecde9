"""Argos Translate as an engine: its packages, its tokenizers, CTranslate2 for the model.

Why not ``argostranslate.translate.translate(text, ...)``: it translates one text at a time,
splits sentences with a model it downloads at first use (MiniSBD or Stanza), and keeps no
memory. We load each pair's package with ``argostranslate.package.Package`` (its metadata and
SentencePiece/BPE tokenizer) and its model with ``ctranslate2.Translator``, as Argos does, and
call ``translate_batch`` with Argos' decoding options on whole batches of segments from many
records at once, which is what makes CPU translation fast.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from translate.engines import ModelInfo, ModelLoadError, TranslationEngine
from translate.packages import InstalledPackage, installed, packages_dir

DEFAULT_BATCH_SIZE = 32


@dataclass
class _Loaded:
    package: Any  # argostranslate.package.Package
    translator: Any  # ctranslate2.Translator


class ArgosEngine(TranslationEngine):
    """Translates with the Argos packages installed in ``directory``.

    Decoding options default to Argos' settings (``ARGOS_BEAM_SIZE``, ``ARGOS_DEVICE_TYPE``,
    ``ARGOS_COMPUTE_TYPE``, ``ARGOS_INTER_THREADS``, ``ARGOS_INTRA_THREADS``), so a machine
    tuned for Argos is tuned for this too. ``calls`` and ``segments_translated`` count the model's
    work (tests and benchmarks read them).
    """

    name = "argos"

    def __init__(
        self,
        directory: Path | None = None,
        *,
        beam_size: int | None = None,
        max_batch_size: int = DEFAULT_BATCH_SIZE,
        device: str | None = None,
        compute_type: str | None = None,
        intra_threads: int | None = None,
    ) -> None:
        self.directory = directory or packages_dir()
        self._beam_size = beam_size
        self.max_batch_size = max_batch_size
        self._device = device
        self._compute_type = compute_type
        self._intra_threads = intra_threads
        self._loaded: dict[tuple[str, str], _Loaded] = {}
        self._lock = threading.Lock()
        self.calls = 0
        self.segments_translated = 0

    def packages(self) -> dict[tuple[str, str], InstalledPackage]:
        """The newest package per pair (a broken one included: loading it will say why)."""
        chosen: dict[tuple[str, str], InstalledPackage] = {}
        for package in installed(self.directory):
            chosen[(package.source, package.target)] = package
        return chosen

    def models(self) -> dict[tuple[str, str], ModelInfo]:
        return {
            pair: ModelInfo(package.source, package.target, package.name, package.version)
            for pair, package in self.packages().items()
        }

    def load(self, source: str, target: str) -> None:
        self._get(source, target)

    def _get(self, source: str, target: str) -> _Loaded:
        pair = (source, target)
        with self._lock:
            if pair in self._loaded:
                return self._loaded[pair]
            found = self.packages().get(pair)
            if found is None:
                raise ModelLoadError(f"no {source}→{target} package installed in {self.directory}")
            where = f"{found.name} {found.version} ({found.path})"
            if found.problem:
                raise ModelLoadError(f"{where}: {found.problem}")
            try:
                loaded = self._open(found)
            except Exception as exc:  # CTranslate2 and SentencePiece raise RuntimeError/OSError/...
                first_line = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
                raise ModelLoadError(f"{where}: {first_line}") from exc
            self._loaded[pair] = loaded
            return loaded

    def _open(self, found: InstalledPackage) -> _Loaded:
        import ctranslate2  # type: ignore[import-untyped]
        from argostranslate import package as argos_package  # type: ignore[import-untyped]
        from argostranslate import settings

        package = argos_package.Package(found.path)
        package.tokenizer.encode("test")  # a broken tokenizer model fails here, not mid-run
        options: dict[str, Any] = {
            "device": self._device or settings.device,
            "inter_threads": settings.inter_threads,
            "intra_threads": settings.intra_threads if self._intra_threads is None else self._intra_threads,
        }
        compute_type = self._compute_type or settings.compute_type
        if compute_type != "auto":
            options["compute_type"] = compute_type
        translator = ctranslate2.Translator(str(found.path / "model"), **options)
        return _Loaded(package, translator)

    @property
    def beam_size(self) -> int:
        if self._beam_size is not None:
            return self._beam_size
        from argostranslate import settings

        return int(settings.beam_size)

    def tokenize(self, source: str, target: str, segments: Sequence[str]) -> list[list[str]]:
        """The pair's tokenizer applied to each segment (what the model is fed)."""
        package = self._get(source, target).package
        return [list(package.tokenizer.encode(segment)) for segment in segments]

    def translate(self, source: str, target: str, segments: Sequence[str]) -> list[str]:
        loaded = self._get(source, target)
        todo = [i for i, segment in enumerate(segments) if segment.strip()]
        results = ["" for _ in segments]
        if not todo:
            return results
        package = loaded.package
        tokens = [package.tokenizer.encode(segments[i]) for i in todo]
        prefix = getattr(package, "target_prefix", "") or ""
        translated = loaded.translator.translate_batch(
            tokens,
            target_prefix=[[prefix]] * len(tokens) if prefix else None,
            replace_unknowns=True,
            max_batch_size=self.max_batch_size,
            beam_size=self.beam_size,
            num_hypotheses=1,
            length_penalty=0.2,
        )
        self.calls += 1
        self.segments_translated += len(todo)
        for index, result in zip(todo, translated, strict=True):
            value = str(package.tokenizer.decode(result.hypotheses[0]))
            if prefix and value.startswith(prefix):
                value = value[len(prefix) :]
            results[index] = value.strip()
        return results

    def close(self) -> None:
        with self._lock:
            self._loaded.clear()
