"""deploy/: the compose file is checked by Debian's docker-compose (no container engine needed), its
pieces agree with Garde-fou's configuration, and the Grafana dashboard reads metrics that exist."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml
from prometheus_client.parser import text_string_to_metric_families

from proxy.entities import Entity
from proxy.metrics import Metrics
from proxy.policy.checks import PolicyContext
from proxy.policy.loader import load_policy
from proxy.register.entry import Decision
from proxy.settings import Settings, load_settings
from tests.register.registerkit import build_entry

REPO = Path(__file__).resolve().parent.parent
DEPLOY = REPO / "deploy"
SECRETS = {
    "GARDEFOU_OPENWEBUI_JWT": "j" * 64,
    "GARDEFOU_FRONTEND_KEY": "gf_test",
    "WEBUI_SECRET_KEY": "w" * 32,
}


def compose(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    program = shutil.which("docker-compose")
    if program is None:
        if os.environ.get("CI") == "true":
            pytest.fail("docker-compose absent (paquet Debian docker-compose, installé par .ci/run)")
        pytest.skip("docker-compose absent")
    clean = {k: v for k, v in os.environ.items() if k not in SECRETS}
    command = [program, "-f", str(DEPLOY / "compose.yaml"), *args]
    return subprocess.run(command, env={**clean, **env}, capture_output=True, text=True, cwd=REPO)


@pytest.fixture(scope="module")
def resolved() -> dict[str, Any]:
    result = compose("config", env=SECRETS)
    assert result.returncode == 0, result.stderr
    config: dict[str, Any] = yaml.safe_load(result.stdout)
    return config


def test_compose_config_passes_and_refuses_to_start_without_its_secrets(resolved: dict[str, Any]) -> None:
    assert {"gardefou", "open-webui", "ollama", "vllm", "postgres", "redis"} <= set(resolved["services"])
    missing = compose("config", env={})
    assert missing.returncode != 0 and "GARDEFOU_OPENWEBUI_JWT" in missing.stderr


def test_open_webui_speaks_through_garde_fou_with_identity_forwarding(resolved: dict[str, Any]) -> None:
    services = resolved["services"]
    gardefou, webui = services["gardefou"], services["open-webui"]
    assert Path(gardefou["build"]["context"]) == REPO and gardefou["build"]["dockerfile"] == "Dockerfile"
    env = webui["environment"]
    assert env["OPENAI_API_BASE_URL"] == "http://gardefou:8080/v1"
    assert env["ENABLE_FORWARD_USER_INFO_HEADERS"] == "true" and env["ENABLE_OLLAMA_API"] == "false"
    assert env["OPENAI_API_KEY"] == SECRETS["GARDEFOU_FRONTEND_KEY"]
    assert env["FORWARD_USER_INFO_HEADER_JWT_SECRET"] == gardefou["environment"]["GARDEFOU_OPENWEBUI_JWT"]
    assert "ports" not in services["ollama"]  # only Garde-fou calls the model
    assert services["vllm"]["profiles"] == ["gpu"]
    assert "readyz" in " ".join(gardefou["healthcheck"]["test"])


def deploy_settings() -> Settings:
    return load_settings(DEPLOY / "gardefou.yaml")


def test_the_configuration_matches_the_compose_addresses_and_the_policy_loads(
    resolved: dict[str, Any],
) -> None:
    settings = deploy_settings()
    network = {name: s["networks"]["garde-fou"] for name, s in resolved["services"].items()}
    prometheus, webui = network["prometheus"]["ipv4_address"], network["open-webui"]["ipv4_address"]
    assert [str(n) for n in settings.metrics.allow_networks] == [f"{prometheus}/32"]
    assert [str(n) for n in settings.auth.frontends["openwebui"].clients] == [f"{webui}/32"]
    upstream = settings.upstreams[0]
    assert str(upstream.base_url).startswith("http://ollama:11434/")
    mounts = resolved["services"]["gardefou"]["volumes"]
    targets = {m["target"] if isinstance(m, dict) else m.split(":")[1] for m in mounts}
    assert str(settings.policy) in targets and "/var/lib/gardefou" in targets
    policy = load_policy(DEPLOY / "policy.yaml", PolicyContext.of(settings, frozenset(Entity)))
    assert all(service.models == ("mistral-local",) for service in policy.policy.services.values())


def test_the_dashboard_reads_only_metrics_garde_fou_exposes() -> None:
    metrics = Metrics(Settings())
    metrics.recorded(build_entry(attachments={"pdf:text": 1}), 0.001, None)
    blocked = build_entry(decision=Decision.BLOCKED, status=403, error_code="personal_data_blocked")
    metrics.recorded(blocked, 0.001, None)
    metrics.analysed(0.01, 1, 0)
    metrics.first_byte_seconds.labels("demo").observe(0.1)
    metrics.ner_workers.labels("answering").set(1)
    metrics.upstream_up.labels("demo").set(1)
    metrics.siem_sent.labels("entry").inc()
    exposed = {
        s.name for f in text_string_to_metric_families(metrics.exposition().decode()) for s in f.samples
    }
    exposed.add("gardefou_register_checkpoint_age_seconds")  # read from the register file when scraped
    dashboard = json.loads((DEPLOY / "grafana" / "dashboards" / "gardefou.json").read_text(encoding="utf-8"))
    used = {
        name
        for panel in dashboard["panels"]
        for target in panel["targets"]
        for name in re.findall(r"\bgardefou_[a-z_]+", target["expr"])
    }
    assert len(used) >= 15
    assert used <= exposed, used - exposed
