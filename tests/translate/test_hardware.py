"""CTranslate2's device, compute type and threads: from the settings, checked against this machine."""

from __future__ import annotations

import pytest

from record_catalogue.settings import SettingsError, load_settings
from translate.argos_engine import ArgosEngine
from translate.hardware import HardwareError, cuda_devices, engine_options, supported_compute_types
from translate.packages import argos_environment


def test_settings_reach_ctranslate2_and_argos(engine: ArgosEngine) -> None:
    settings = load_settings(
        translate_device="cpu",
        translate_compute_type="int8",
        translate_inter_threads=2,
        translate_intra_threads=1,
        translate_batch_size=8,
        translate_beam_size=2,
    )
    options = engine_options(settings)
    assert options.translator_kwargs() == {
        "device": "cpu",
        "compute_type": "int8",
        "inter_threads": 2,
        "intra_threads": 1,
    }
    assert (options.max_batch_size, options.beam_size) == (8, 2)
    configured = ArgosEngine(engine.directory, options=options)
    assert configured.translate("en", "fr", ["The forest."]) == ["La forêt."]  # loaded with those options
    loaded = configured._get("en", "fr").translator
    assert (loaded.device, loaded.compute_type, loaded.num_translators) == ("cpu", "int8_float32", 2)  # int8 on CPU
    configured.close()
    env = argos_environment(settings)
    assert env["ARGOS_DEVICE_TYPE"] == "cpu" and env["ARGOS_COMPUTE_TYPE"] == "int8"
    assert env["ARGOS_INTRA_THREADS"] == "1" and env["ARGOS_BEAM_SIZE"] == "2"


def test_a_gpu_the_machine_lacks_is_a_clear_error_at_start() -> None:
    if cuda_devices() > 0:
        pytest.skip("this machine has a CUDA device")
    with pytest.raises(HardwareError, match="CHM_TRANSLATE_DEVICE=cuda, but CTranslate2 sees no CUDA device"):
        engine_options(load_settings(translate_device="cuda"))
    assert engine_options(load_settings(translate_device="auto")).device == "cpu"


def test_a_compute_type_the_device_cannot_do_is_a_clear_error() -> None:
    unsupported = "float16" if "float16" not in supported_compute_types("cpu") else "bfloat16"
    if unsupported in supported_compute_types("cpu"):
        pytest.skip("this CPU supports every compute type")
    with pytest.raises(HardwareError) as refused:
        engine_options(load_settings(translate_compute_type=unsupported))
    message = str(refused.value)
    assert message.startswith(f"CHM_TRANSLATE_COMPUTE_TYPE={unsupported} is not supported on cpu here; supported: ")
    assert "int8" in message


def test_bad_values_are_refused_when_settings_are_read() -> None:
    with pytest.raises(SettingsError, match="CHM_TRANSLATE_DEVICE"):
        load_settings(translate_device="tpu")
    with pytest.raises(SettingsError, match="CHM_TRANSLATE_COMPUTE_TYPE"):
        load_settings(translate_compute_type="int4")
    with pytest.raises(SettingsError, match="CHM_TRANSLATE_INTER_THREADS"):
        load_settings(translate_inter_threads=0)
