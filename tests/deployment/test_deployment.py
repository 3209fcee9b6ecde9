"""docker-compose.yml: the production shape the README promises (no Docker engine runs here)."""

from __future__ import annotations

import re
import shutil
import subprocess
from typing import Any

import pytest
import yaml

from tests.conftest import ROOT


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    return loaded


def test_elasticsearch_is_pinned_secured_and_checked(compose: dict[str, Any]) -> None:
    es = compose["services"]["elasticsearch"]
    assert re.fullmatch(r"elasticsearch:9\.\d+\.\d+", es["image"])
    assert es["environment"]["xpack.security.enabled"] == "true"
    assert es["environment"]["ELASTIC_PASSWORD"].startswith("${ELASTIC_PASSWORD:?")
    assert "healthcheck" in es and any("esdata" in v for v in es["volumes"])


def test_api_uses_elasticsearch_and_postgres(compose: dict[str, Any]) -> None:
    api = compose["services"]["api"]
    env = api["environment"]
    assert env["CHM_ES_URL"] == "http://elasticsearch:9200"
    assert env["CHM_CATALOGUE_URL"].startswith("postgresql+psycopg://")
    assert api["depends_on"]["elasticsearch"]["condition"] == "service_healthy"
    assert api["depends_on"]["postgres"]["condition"] == "service_healthy"
    assert "/api/v1/health" in " ".join(api["healthcheck"]["test"])
    assert compose["services"]["postgres"]["image"].startswith("postgres:")


def test_opensearch_is_the_alternative_profile(compose: dict[str, Any]) -> None:
    services = compose["services"]
    opensearch, api = services["opensearch"], services["api-opensearch"]
    assert opensearch["profiles"] == ["opensearch"] and api["profiles"] == ["opensearch"]
    assert re.fullmatch(r"opensearchproject/opensearch:2\.\d+\.\d+", opensearch["image"])
    assert opensearch["environment"]["action.destructive_requires_name"] == "true"
    assert "healthcheck" in opensearch and any("osdata" in v for v in opensearch["volumes"])
    assert api["environment"]["CHM_ES_FLAVOUR"] == "opensearch"
    assert api["depends_on"]["opensearch"]["condition"] == "service_healthy"
    assert "profiles" not in services["api"] and "profiles" not in services["elasticsearch"]


def test_models_and_glossary_live_on_volumes(compose: dict[str, Any]) -> None:
    for name in ("api", "api-opensearch"):
        service = compose["services"][name]
        mounts = {volume.split(":")[1] for volume in service["volumes"]}
        assert {"/models", "/glossary", "/data"} <= mounts
        assert service["environment"]["CHM_MODELS_DIR"].startswith("/models/")
        assert service["environment"]["CHM_GLOSSARY_PATH"].startswith("/glossary/")
    assert {"models", "glossary", "osdata"} <= set(compose["volumes"])


def test_translate_workers_follow_the_shared_backlog(compose: dict[str, Any]) -> None:
    services = compose["services"]
    for name in ("translate-worker", "translate-worker-gpu"):
        worker = services[name]
        assert worker["command"] == ["chm-search", "translate", "--follow"]
        assert worker["environment"]["CHM_CATALOGUE_URL"].startswith("postgresql")  # several workers need it
        assert worker["environment"]["CHM_MODELS_DIR"] == services["api"]["environment"]["CHM_MODELS_DIR"]
        assert worker["depends_on"]["postgres"]["condition"] == "service_healthy"
    gpu = services["translate-worker-gpu"]
    assert gpu["profiles"] == ["gpu"] and gpu["environment"]["CHM_TRANSLATE_DEVICE"] == "cuda"
    assert gpu["deploy"]["resources"]["reservations"]["devices"][0]["capabilities"] == ["gpu"]


@pytest.mark.skipif(not shutil.which("docker-compose") and not shutil.which("docker"), reason="no docker CLI")
def test_compose_config_validates() -> None:
    env = {"ELASTIC_PASSWORD": "x1", "POSTGRES_PASSWORD": "x2", "PATH": "/usr/bin:/bin:/usr/local/bin"}
    for command in (["docker", "compose", "config", "-q"], ["docker-compose", "config", "-q"]):
        if not shutil.which(command[0]):
            continue
        result = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True)
        if "is not a docker command" in result.stderr or "unknown" in result.stderr.lower():
            continue
        assert result.returncode == 0, result.stderr
        return
    pytest.skip("neither `docker compose` nor `docker-compose` can validate here")
