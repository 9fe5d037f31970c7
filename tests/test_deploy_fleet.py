"""deploy/fleet/: three instances behind HAProxy, checked by Debian's docker-compose and haproxy (no
container engine needed); the pieces agree with each other and with Garde-fou's configuration. The
same haproxy.cfg runs for real on loopback in tests/e2e/test_fleet.py."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml

from proxy.settings import load_settings
from tests.test_deploy import REPO

FLEET = REPO / "deploy" / "fleet"
SECRETS = {"GARDEFOU_APP_PASSWORD": "a" * 32, "GARDEFOU_OWNER_PASSWORD": "o" * 32}
INSTANCES = ("gardefou-1", "gardefou-2", "gardefou-3")


def needed(program: str, package: str) -> str:
    found = shutil.which(program) or shutil.which(program, path="/usr/sbin")  # haproxy: not on every PATH
    if found is None:
        if os.environ.get("CI") == "true":
            pytest.fail(f"{program} absent (paquet Debian {package}, installé par .ci/run)")
        pytest.skip(f"{program} absent")
    return found


def compose(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if k not in SECRETS}
    command = [needed("docker-compose", "docker-compose"), "-f", str(FLEET / "compose.yaml"), "config"]
    return subprocess.run(command, env={**clean, **env}, capture_output=True, text=True, cwd=REPO)


def mounts(service: dict[str, Any]) -> list[tuple[str, str]]:
    """(source, target) of each volume, in either syntax docker-compose prints."""
    pairs = []
    for mount in service["volumes"]:
        if isinstance(mount, dict):
            pairs.append((str(mount["source"]), str(mount["target"])))
        else:
            source, target = mount.split(":")[:2]
            pairs.append((source, target))
    return pairs


@pytest.fixture(scope="module")
def services() -> dict[str, Any]:
    result = compose(SECRETS)
    assert result.returncode == 0, result.stderr
    resolved: dict[str, Any] = yaml.safe_load(result.stdout)["services"]
    return resolved


def test_compose_config_passes_and_refuses_to_start_without_its_passwords(services: dict[str, Any]) -> None:
    assert {*INSTANCES, "haproxy", "postgres", "redis", "ollama"} <= set(services)
    missing = compose({})
    assert missing.returncode != 0 and "GARDEFOU_APP_PASSWORD" in missing.stderr


def test_the_three_instances_share_everything_and_only_the_balancer_is_published(
    services: dict[str, Any],
) -> None:
    instances = [services[name] for name in INSTANCES]
    assert all(s["image"] == "gardefou:local" for s in instances)
    assert len({yaml.safe_dump(s["volumes"]) for s in instances}) == 1
    assert len({yaml.safe_dump(s["environment"]) for s in instances}) == 1
    assert all("readyz" in " ".join(s["healthcheck"]["test"]) for s in instances)
    published = [name for name, s in services.items() if s.get("ports")]
    assert published == ["haproxy"]
    assert instances[0]["environment"]["PGPASSWORD"] == SECRETS["GARDEFOU_APP_PASSWORD"]


def test_the_configuration_points_at_the_shared_engines_and_secrets(services: dict[str, Any]) -> None:
    settings = load_settings(FLEET / "gardefou.yaml")
    assert settings.keys_url is not None and settings.keys_url == settings.register_url
    database = urlsplit(settings.keys_url)
    assert database.hostname == "postgres" and database.username == "gardefou_app" and not database.password
    assert "gardefou_app" in (FLEET / "postgres" / "10-gardefou-app.sh").read_text(encoding="utf-8")
    assert database.path == "/" + services["postgres"]["environment"]["POSTGRES_DB"]
    assert urlsplit(settings.limits.backend).hostname == "redis"
    targets = {target for _, target in mounts(services["gardefou-1"])}
    shared = [settings.pseudonym_secret_path, settings.register_key, settings.policy]
    assert all(path is not None and any(path.is_relative_to(t) for t in targets) for path in shared)
    assert urlsplit(str(settings.upstreams[0].base_url)).hostname in services


def test_haproxy_checks_readiness_and_never_resends_a_received_request(services: dict[str, Any]) -> None:
    config = FLEET / "haproxy.cfg"
    checked = subprocess.run(
        [needed("haproxy", "haproxy"), "-c", "-f", str(config)], capture_output=True, text=True
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr
    text = config.read_text(encoding="utf-8")
    servers = re.findall(r"^\s*server (\S+) (\S+):8080", text, flags=re.MULTILINE)
    assert servers == [(name, name) for name in INSTANCES]
    assert "option httpchk GET /readyz" in text and "http-check expect status 200" in text
    assert re.search(r"^\s*retry-on conn-failure\s*$", text, flags=re.MULTILINE)
    assert str(config) in {source for source, _ in mounts(services["haproxy"])}
