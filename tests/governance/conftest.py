"""A real Garde-fou on loopback with the governance section on: a charter to accept, the AI notice for
the communication service and publication texts, an assessed Annex III area, the transparency page."""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import openai
import pytest
import yaml

from proxy.analysis.engine import Detector
from proxy.app import create_app
from proxy.keystore import KeyStore
from proxy.roles import Role
from proxy.settings import Settings, load_settings
from tests.e2e.servers import serve

SERVICES = ("urbanisme", "communication", "rh")
CHARTER_V1 = "# Charte d'utilisation de l'IA\n\n1. **Aucune donnée nominative** hors de Garde-fou.\n"


def policy(version: str, *, published: bool = True) -> dict[str, Any]:
    return {
        "version": 1,
        "uses": {
            "evaluation-personnes": {
                "description": "classer des candidats",
                "area": "employment",
                "match": [["classer | noter", "candidat | candidats"]],
            },
            "publication": {
                "description": "rédiger un texte destiné au public",
                "action": "notice",
                "match": [["rédiger | rédige", "communiqué | article"]],
            },
        },
        "services": {
            "urbanisme": {"models": ["demo"]},
            "communication": {"models": ["demo"]},
            "rh": {"models": ["demo"], "assessed_areas": ["employment"]},
        },
        "governance": {
            "charter": {"file": "charte.md", "version": version},
            "notice": {"services": ["communication"]},
            "transparency": {"enabled": published, "organisation": "Commune d'Essai"},
        },
    }


@dataclass
class Governed:
    url: str
    settings: Settings
    keys: dict[str, str]
    policy_path: Path

    def client(self, service: str) -> openai.OpenAI:
        return openai.OpenAI(base_url=f"{self.url}/v1", api_key=self.keys[service], max_retries=0)

    def acknowledge(self, service: str) -> httpx.Response:
        page = httpx.get(f"{self.url}/charte", timeout=30)
        version = page.text.split('data-version="', 1)[1].split('"', 1)[0]
        sha = page.text.split('data-sha256="', 1)[1].split('"', 1)[0]
        headers = {"Authorization": f"Bearer {self.keys[service]}"}
        body = {"version": version, "sha256": sha}
        return httpx.post(f"{self.url}/charte/acceptation", json=body, headers=headers, timeout=30)

    def write_policy(self, version: str, charter: str, *, published: bool = True) -> None:
        (self.policy_path.parent / "charte.md").write_text(charter, encoding="utf-8")
        text = yaml.safe_dump(policy(version, published=published), allow_unicode=True)
        self.policy_path.write_text(text, encoding="utf-8")

    def last_row(self) -> dict[str, Any]:
        with sqlite3.connect(self.settings.register_path) as db:
            db.row_factory = sqlite3.Row
            return dict(db.execute("SELECT * FROM entries ORDER BY seq DESC LIMIT 1").fetchone())


@pytest.fixture(scope="module")
def governed(
    tmp_path_factory: pytest.TempPathFactory, upstream_url: str, detector: Detector
) -> Iterator[Governed]:
    tmp = tmp_path_factory.mktemp("governed")
    policy_path = tmp / "politique.yaml"
    config = {
        "data_dir": str(tmp / "data"),
        "policy": str(policy_path),
        # Single sign-on from a reverse proxy on loopback: the agent of the `agents-rh` group is in rh.
        "auth": {
            "sso": {
                "enabled": True,
                "trusted_proxies": ["127.0.0.1/32"],
                "groups": {"agents-rh": {"service": "rh", "roles": ["agent"]}},
            }
        },
        "upstreams": [
            {"name": "local", "base_url": f"{upstream_url}/v1", "models": ["demo"], "hosting": "local"}
        ],
    }
    (tmp / "gardefou.yaml").write_text(yaml.safe_dump(config), encoding="utf-8")
    site = Governed("", load_settings(tmp / "gardefou.yaml"), {}, policy_path)
    site.write_policy("2026-01", CHARTER_V1)
    store = KeyStore(site.settings.keys_path)
    site.keys = {s: store.create(user=f"agent.canari.{s}", service=s).secret_key for s in SERVICES}
    site.keys["rssi"] = store.create(user="agent.canari.rssi", service="urbanisme", role=Role.RSSI).secret_key
    with serve(create_app(site.settings, detector=detector)) as url:
        site.url = url
        yield site


# Screenshots of the governance pages (charter, transparency, reports); the browser: tests/conftest.py.
SHOTS = Path(os.environ.get("GARDEFOU_SCREENSHOTS", "/tmp/gardefou-captures"))
