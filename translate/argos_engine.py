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
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from translate.engines import ModelInfo, ModelLoadError, TranslationEngine
from translate.hardware import EngineOptions
from translate.packages import InstalledPackage, argos_module, installed, packages_dir

DEFAULT_BATCH_SIZE = 32


@dataclass
class _Loaded:
    package: Any  # argostranslate.package.Package
    translator: Any  # ctranslate2.Translator


class ArgosEngine(TranslationEngine):
    """Translates with the Argos packages installed in ``directory``.

    Decoding and hardware options come from ``options`` (built from the ``CHM_TRANSLATE_*``
    settings and checked by :func:`translate.hardware.engine_options`); keyword arguments
    override single options (tests and benchmarks). ``calls`` and ``segments_translated`` count
    the model's work (tests and benchmarks read them).
    """

    name = "argos"

    def __init__(
        self,
        directory: Path | None = None,
        *,
        options: EngineOptions | None = None,
        beam_size: int | None = None,
        max_batch_size: int | None = None,
        device: str | None = None,
        compute_type: str | None = None,
        intra_threads: int | None = None,
        inter_threads: int | None = None,
    ) -> None:
        self.directory = directory or packages_dir()
        base = options or EngineOptions(max_batch_size=DEFAULT_BATCH_SIZE)
        self.options = replace(
            base,
            beam_size=base.beam_size if beam_size is None else beam_size,
            max_batch_size=base.max_batch_size if max_batch_size is None else max_batch_size,
            device=device or base.device,
            compute_type=compute_type or base.compute_type,
            intra_threads=base.intra_threads if intra_threads is None else intra_threads,
            inter_threads=base.inter_threads if inter_threads is None else inter_threads,
        )
        self.max_batch_size = self.options.max_batch_size
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

        argos_package = argos_module("package")
        package = argos_package.Package(found.path)
        package.tokenizer.encode("test")  # a broken tokenizer model fails here, not mid-run
        translator = ctranslate2.Translator(str(found.path / "model"), **self.options.translator_kwargs())
        return _Loaded(package, translator)

    @property
    def beam_size(self) -> int:
        return self.options.beam_size

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
