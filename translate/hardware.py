"""Where and how CTranslate2 runs the models: device, compute type, threads, checked before any work.

Why checked at start: CTranslate2 only complains when a model is loaded, which for a worker is
its first batch on that pair, possibly hours later and as a per-pair "model failed to load".
A GPU machine without a visible CUDA device, or a compute type the device cannot do (``int8``
on a GPU that lacks it, ``float16`` on a CPU), is a configuration error: said once, at start,
naming the setting and what this machine supports.
"""

from __future__ import annotations

from dataclasses import dataclass

from record_catalogue.errors import ConfigurationError
from record_catalogue.settings import Settings


class HardwareError(ConfigurationError, ValueError):
    """A translation setting this machine cannot honour; the message names the setting."""


@dataclass(frozen=True)
class EngineOptions:
    """What ``ctranslate2.Translator`` and ``translate_batch`` are given."""

    device: str = "cpu"
    compute_type: str = "default"
    inter_threads: int = 1
    intra_threads: int = 0
    max_batch_size: int = 32
    beam_size: int = 4

    def translator_kwargs(self) -> dict[str, object]:
        return {
            "device": self.device,
            "compute_type": self.compute_type,
            "inter_threads": self.inter_threads,
            "intra_threads": self.intra_threads,
        }

    def describe(self) -> str:
        threads = f"{self.inter_threads} × {self.intra_threads or 'auto'} threads"
        return f"{self.device}, {self.compute_type}, {threads}, batch {self.max_batch_size}, beam {self.beam_size}"


def cuda_devices() -> int:
    import ctranslate2  # type: ignore[import-untyped]

    return int(ctranslate2.get_cuda_device_count())


def supported_compute_types(device: str) -> set[str]:
    import ctranslate2

    return set(ctranslate2.get_supported_compute_types(device))


def engine_options(settings: Settings) -> EngineOptions:
    """The settings' CTranslate2 options, checked against this machine; HardwareError if it cannot."""
    device = settings.translate_device
    if device == "auto":
        device = "cuda" if cuda_devices() > 0 else "cpu"
    elif device == "cuda" and cuda_devices() == 0:
        raise HardwareError(
            "CHM_TRANSLATE_DEVICE=cuda, but CTranslate2 sees no CUDA device on this machine (check the NVIDIA "
            "driver, CUDA_VISIBLE_DEVICES, and that the container has the GPU); use cpu or auto"
        )
    compute_type = settings.translate_compute_type
    if compute_type not in ("default", "auto"):
        supported = supported_compute_types(device)
        if compute_type not in supported:
            raise HardwareError(
                f"CHM_TRANSLATE_COMPUTE_TYPE={compute_type} is not supported on {device} here; "
                f"supported: {', '.join(sorted(supported))} (or default, auto)"
            )
    return EngineOptions(
        device=device,
        compute_type=compute_type,
        inter_threads=settings.translate_inter_threads,
        intra_threads=settings.translate_intra_threads,
        max_batch_size=settings.translate_batch_size,
        beam_size=settings.translate_beam_size,
    )
