"""Evasions through a real proxy: invisible and look-alike characters, and raw attachments that the
policy lets go to a local model only.

Real server (uvicorn on 127.0.0.1), recording upstream, raw httpx. Each disguised value must not
reach the upstream in any form (digits or letters in order), and the agent gets it back restored.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator

import httpx
import pytest
import yaml

from proxy.analysis.engine import Detector
from proxy.app import create_app
from proxy.keystore import KeyStore
from proxy.settings import load_settings
from tests.attachments import samples
from tests.e2e.conftest import REPO, Proxy, write_config
from tests.e2e.recording_upstream import Recorder
from tests.e2e.servers import serve

ZWSP, NNBSP, ZWJ = "\u200b", "\u202f", "\u200d"
DISGUISES = {
    "zero-width space in a phone": f"Rappelez le 06{ZWSP}12{ZWSP}34{ZWSP}56{ZWSP}78 demain.",
    "narrow no-break spaces in a phone": f"Son numéro : 06{NNBSP}12{NNBSP}34{NNBSP}56{NNBSP}78.",
    "full-width digits": "Son numéro : ０６ １２ ３４ ５６ ７８.",
    "NUL inside a phone": "Son numéro : 06 12\x0034 56 78.",
    "zero-width joiner inside a name": f"Dossier de Mme Hélène Dub{ZWJ}ois, à rappeler.",
    "Cyrillic letter in an e-mail": "Écrire à hеlene.dubois@exemple.fr au plus vite.",
}
DIGITS = "0612345678"


def skeleton(text: str) -> str:
    """Letters and digits only, look-alikes folded: what a model could still read."""
    folded = text.replace("е", "e").translate({c: c - 0xFEE0 for c in range(0xFF10, 0xFF1A)})
    return re.sub(r"[\W_]+", "", folded).lower()


@pytest.fixture(scope="module")
def proxy(
    tmp_path_factory: pytest.TempPathFactory, upstream_url: str, recorder: Recorder, detector: Detector
) -> Iterator[Proxy]:
    """The e2e proxy, with a policy that lets raw images go to local models (and only there)."""
    tmp = tmp_path_factory.mktemp("evasions")
    policy = yaml.safe_load((REPO / "policies" / "default.yaml").read_text(encoding="utf-8"))
    policy["defaults"]["attachments"] = {"raw": {"image": ["local"]}}
    policy_path = tmp / "policy.yaml"
    policy_path.write_text(yaml.safe_dump(policy, allow_unicode=True), encoding="utf-8")
    settings = load_settings(write_config(tmp, upstream_url, policy_path))
    key = KeyStore(settings.keys_path).create(user="agent.urba", service="urbanisme").secret_key
    with serve(create_app(settings, detector=detector)) as url:
        yield Proxy(url, settings, recorder, key)


def chat(proxy: Proxy, content: object) -> tuple[httpx.Response, str]:
    before = len(proxy.recorder.bodies)
    response = httpx.post(
        f"{proxy.url}/v1/chat/completions",
        json={"model": "demo", "messages": [{"role": "user", "content": content}]},
        headers={"Authorization": f"Bearer {proxy.key}"},
        timeout=60,
    )
    return response, json.dumps(proxy.recorder.bodies[before:], ensure_ascii=False)


@pytest.mark.parametrize("name", sorted(DISGUISES))
def test_disguised_values_never_reach_the_upstream(proxy: Proxy, name: str) -> None:
    response, upstream = chat(proxy, DISGUISES[name])
    assert response.status_code == 200, response.text
    seen = skeleton(upstream)
    assert DIGITS not in seen and "dubois" not in seen and "helenedubois" not in seen, upstream


def test_a_raw_image_goes_to_a_local_model_when_the_policy_allows_it(proxy: Proxy) -> None:
    """The upstream here is `local`: the policy's `raw: {image: [local]}` lets the image through
    (as it is: nothing in it can be redacted), and the register counts it as forwarded."""
    content = [{"type": "text", "text": "Décris cette image."}, samples.image_part(samples.plain_png())]
    response, upstream = chat(proxy, content)
    assert response.status_code == 200, response.text
    assert "data:image/png;base64," in upstream
