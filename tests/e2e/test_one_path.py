"""One protect path: `gardefou policy test` (proxy/policy/simulate.py) and the proxy give the same
decision and the same redacted text on every document of the dev corpus (616 texts).

The corpus lives beside the repository (../shared/data, as in CI); when it is missing the test fails
rather than shrinking.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from fastapi import FastAPI

from proxy.analysis.engine import Detector
from proxy.analysis.findings import Finding
from proxy.app import create_app
from proxy.keystore import KeyStore
from proxy.policy.checks import PolicyContext
from proxy.policy.loader import load_policy
from proxy.policy.simulate import Simulation, caller_for, simulate
from proxy.settings import load_settings
from proxy.transform.secret import PseudonymSecret
from tests.e2e.conftest import Proxy, write_config
from tests.e2e.recording_upstream import Recorder
from tests.e2e.servers import serve

# ../shared beside the clone (CI), or GARDEFOU_DEV_CORPUS (a worktree elsewhere)
CORPUS = Path(
    os.environ.get("GARDEFOU_DEV_CORPUS")
    or Path(__file__).resolve().parents[3] / "shared" / "data" / "pii_fr_dev.jsonl"
)
USER, SERVICE, MODEL = "agent.urba", "urbanisme", "demo"


def corpus() -> list[str]:
    if not CORPUS.exists():
        pytest.fail(f"corpus missing: {CORPUS} (CI keeps ../shared beside the clone)")
    return [json.loads(line)["text"] for line in CORPUS.read_text(encoding="utf-8").splitlines() if line]


@dataclass(frozen=True)
class Remembered:
    """The detector as `policy test` calls it, answering from the proxy's analysis cache when the
    proxy analysed the text already (same detector, same findings: tests/bench/test_analysis_cache.py);
    this halves the test's time. The path after detection is what is compared."""

    app: FastAPI
    detector: Detector

    def detect(self, texts: Sequence[str]) -> list[list[Finding]]:
        known = self.app.state.services.analysis_cache.lookup(texts, USER)
        if all(text in known for text in texts):
            return [list(known[text]) for text in texts]
        return self.detector.detect(texts)


@pytest.fixture(scope="module")
def served(
    tmp_path_factory: pytest.TempPathFactory, upstream_url: str, recorder: Recorder, detector: Detector
) -> Iterator[tuple[Proxy, FastAPI]]:
    tmp = tmp_path_factory.mktemp("one-path")
    path = write_config(tmp, upstream_url)
    config = yaml.safe_load(path.read_text(encoding="utf-8"))
    config["limits"] = {"user_requests_per_minute": 100_000, "service_requests_per_minute": 100_000}
    path.write_text(yaml.safe_dump(config), encoding="utf-8")
    settings = load_settings(path)
    key = KeyStore(settings.keys_path).create(user=USER, service=SERVICE).secret_key
    application = create_app(settings, detector=detector)
    with serve(application) as url:
        yield Proxy(url, settings, recorder, key), application


def proxied(proxy: Proxy, http: httpx.Client, text: str) -> tuple[int, str | None, str | None]:
    """(status, error code, the user text as the upstream received it)."""
    before = len(proxy.recorder.bodies)
    body = {"model": MODEL, "messages": [{"role": "user", "content": text}]}
    response = http.post("/v1/chat/completions", json=body)
    if response.status_code != 200:
        return response.status_code, response.json()["error"]["code"], None
    messages: list[dict[str, Any]] = proxy.recorder.bodies[before]["messages"]
    return 200, None, messages[-1]["content"]


def expected(result: Simulation) -> tuple[int, str | None, str | None]:
    if result.refusal is not None:
        error = result.refusal.error()
        return error.status, error.code, None
    return 200, None, result.redacted


def test_policy_test_and_the_proxy_agree_on_the_whole_dev_corpus(
    served: tuple[Proxy, FastAPI], detector: Detector
) -> None:
    proxy, application = served
    remembered = Remembered(application, detector)
    texts = corpus()
    assert len(texts) == 616
    context = PolicyContext.of(proxy.settings, detector.active_entities)
    rulebook = load_policy(proxy.settings.policy, context).rulebook
    caller = caller_for(SERVICE, user=USER)
    key = PseudonymSecret.load_or_create(proxy.settings.pseudonym_secret_path).key_for(USER)
    differences: list[str] = []
    outcomes: dict[int, int] = {}
    headers = {"Authorization": f"Bearer {proxy.key}"}
    with httpx.Client(base_url=proxy.url, headers=headers, timeout=120) as http:
        for number, text in enumerate(texts):
            got = proxied(proxy, http, text)
            want = expected(simulate(rulebook, remembered, caller, MODEL, text, key=key))
            outcomes[got[0]] = outcomes.get(got[0], 0) + 1
            if got != want:
                differences.append(f"document {number}: proxy {got[:2]}, policy test {want[:2]}")
    assert differences == [], "\n".join(differences[:20])
    assert outcomes.get(200, 0) > 300, outcomes  # most documents go through, redacted
