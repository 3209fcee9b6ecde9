"""Settings: CHM_* variables, validated at start, errors naming the setting."""

from __future__ import annotations

from pathlib import Path

import pytest

from record_catalogue.settings import SettingsError, load_settings


def test_embedded_defaults_live_in_one_data_directory(tmp_path: Path) -> None:
    settings = load_settings(data_dir=tmp_path)
    assert settings.es_url is None
    assert settings.languages == ["ar", "en", "es", "fr", "ru", "zh"]
    assert settings.catalogue_dsn == f"sqlite:///{(tmp_path / 'catalogue.sqlite3').resolve()}"
    assert settings.index_dir == tmp_path / "index"


def test_environment_variables_are_read(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CHM_LANGUAGES", "en, fr")
    monkeypatch.setenv("CHM_ES_URL", "https://es.internal:9200")
    settings = load_settings()
    assert settings.languages == ["en", "fr"]
    assert settings.es_url == "https://es.internal:9200"


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("CHM_LANGUAGES", "en,xx", "CHM_LANGUAGES: Value error, unknown language code(s) xx"),
        ("CHM_DEFAULT_LANGUAGE", "de", "CHM_DEFAULT_LANGUAGE"),
        ("CHM_ES_URL", "localhost:9200", "CHM_ES_URL: Value error, 'localhost:9200' is not an http(s) URL"),
        ("CHM_ES_URL", "ftp://x", "CHM_ES_URL"),
        ("CHM_CATALOGUE_URL", "mysql://x/y", "CHM_CATALOGUE_URL"),
        ("CHM_PORT", "99999", "CHM_PORT"),
    ],
)
def test_bad_values_are_rejected_naming_the_setting(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str, message: str
) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(SettingsError) as caught:
        load_settings()
    assert message in str(caught.value)
