"""A real Garde-fou on loopback for the security tests: a config file with extra sections, one key
per role created as `gardefou keys create` does, and small HTTP helpers."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import yaml

from proxy.analysis.engine import Detector
from proxy.app import create_app
from proxy.keystore import KeyStore
from proxy.roles import Role
from proxy.settings import Settings, load_settings
from tests.e2e.servers import serve

REPO = Path(__file__).resolve().parents[2]
SERVICE = "urbanisme"


@dataclass
class Site:
    url: str
    settings: Settings
    keys: dict[Role, str] = field(default_factory=dict)
    http: httpx.Client = field(default_factory=lambda: httpx.Client(timeout=60, trust_env=False))

    def headers(self, role: Role | None = None, **extra: str) -> dict[str, str]:
        headers = {"Authorization": f"Bearer {self.keys[role]}"} if role else {}
        return {**headers, **extra}

    def request(self, method: str, path: str, role: Role | None = None, **kwargs: Any) -> httpx.Response:
        headers = {**self.headers(role), **kwargs.pop("headers", {})}
        return self.http.request(method, f"{self.url}{path}", headers=headers, **kwargs)


def write_config(tmp: Path, upstream_url: str, **sections: Any) -> Path:
    policy = tmp / "politique.yaml"  # a copy: the DPO's tests install new versions over it
    if not policy.exists():
        shutil.copyfile(REPO / "policies" / "default.yaml", policy)
    config: dict[str, Any] = {
        "data_dir": str(tmp / "data"),
        "policy": str(policy),
        "upstreams": [
            {"name": "local-llm", "base_url": f"{upstream_url}/v1", "models": ["demo"], "hosting": "local"}
        ],
    }
    config.update(sections)
    path = tmp / "gardefou.yaml"
    path.write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
    return path


def role_keys(settings: Settings) -> dict[Role, str]:
    store = KeyStore(settings.keys_path)
    return {role: store.create(user=f"compte.{role}", service=SERVICE, role=role).secret_key for role in Role}


@contextmanager
def running_site(settings: Settings, detector: Detector) -> Iterator[Site]:
    keys = role_keys(settings)
    with (
        serve(create_app(settings, detector=detector)) as url,
        httpx.Client(timeout=60, trust_env=False) as http,
    ):
        yield Site(url, settings, keys, http)


def chat_body(content: str = "Quelle est la procédure pour un permis de construire ?") -> dict[str, Any]:
    return {"model": "demo", "messages": [{"role": "user", "content": content}]}


def load(tmp: Path, upstream_url: str, **sections: Any) -> Settings:
    return load_settings(write_config(tmp, upstream_url, **sections))
