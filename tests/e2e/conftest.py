"""End-to-end fixtures: a recording upstream and the proxy, both real uvicorn servers on loopback."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import openai
import pytest
import yaml

from proxy.analysis.engine import Detector
from proxy.app import create_app
from proxy.keystore import KeyStore
from proxy.settings import Settings, load_settings
from tests.e2e.recording_upstream import Recorder
from tests.e2e.servers import serve

REPO = Path(__file__).resolve().parents[2]


@dataclass
class Proxy:
    url: str
    settings: Settings
    recorder: Recorder
    key: str

    def client(self, key: str | None = None) -> openai.OpenAI:
        return openai.OpenAI(base_url=f"{self.url}/v1", api_key=key or self.key, max_retries=0)


def write_config(tmp: Path, upstream_url: str, policy: Path | None = None) -> Path:
    config = {
        "data_dir": str(tmp / "data"),
        "policy": str(policy or REPO / "policies" / "default.yaml"),
        "upstreams": [
            {
                "name": "local-llm",
                "base_url": f"{upstream_url}/v1",
                "models": ["demo"],
                "hosting": "local",
            }
        ],
    }
    path = tmp / "gardefou.yaml"
    path.write_text(yaml.safe_dump(config), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def proxy(
    tmp_path_factory: pytest.TempPathFactory,
    upstream_url: str,
    recorder: Recorder,
    detector: Detector,
) -> Iterator[Proxy]:
    tmp = tmp_path_factory.mktemp("proxy")
    settings = load_settings(write_config(tmp, upstream_url))
    key = KeyStore(settings.keys_path).create(user="agent.urba", service="urbanisme").secret_key
    with serve(create_app(settings, detector=detector)) as url:
        yield Proxy(url, settings, recorder, key)
