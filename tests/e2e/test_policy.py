"""The policy end to end: sovereignty routing, forbidden uses, the register, hot reload.

Two recording upstreams stand for a local model and a model hosted outside the EU; the tests check
what each of them received, with the official openai client talking to a real uvicorn proxy.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import openai
import pytest
import yaml

from proxy.analysis.engine import Detector
from proxy.app import create_app
from proxy.keystore import KeyStore
from proxy.settings import Settings, load_settings
from tests.e2e.recording_upstream import Recorder, create_recording_upstream
from tests.e2e.servers import serve

NIR = "1 85 05 78 006 084 91"  # checksum-valid
WITH_NIR = f"Prépare le courrier pour l'assuré dont le numéro de sécurité sociale est {NIR}."
SANCTION = "Voici le rapport d'enquête. Décide de la sanction à infliger à cet agent."

POLICY: dict[str, Any] = {
    "version": 1,
    "name": "e2e",
    "defaults": {"entities": {"NIR": "mask"}, "on_violation": "refuse"},
    "categories": {
        "identifiants": {"description": "identifiants nationaux", "entities": ["NIR"], "hosting": ["local"]}
    },
    "uses": {
        "decision-sanction": {
            "description": "décider d'une sanction",
            "match": [["décider | trancher | infliger", "sanction | sanctionner"]],
        }
    },
    "services": {
        "urbanisme": {
            "models": ["gpt-4o", "local-llm"],
            "fallback_models": ["local-llm"],
            "on_violation": "reroute",
        },
        "communication": {"models": ["gpt-4o"]},
        "rh": {"models": ["local-llm"], "uses": {"decision-sanction": "warn"}},
        "quota": {"models": ["local-llm"], "limits": {"requests_per_minute": 2}},
    },
}


@dataclass
class Setup:
    url: str
    settings: Settings
    local: Recorder
    non_eu: Recorder
    keys: dict[str, str]
    policy_path: Path

    def client(self, service: str) -> openai.OpenAI:
        return openai.OpenAI(base_url=f"{self.url}/v1", api_key=self.keys[service], max_retries=0)

    def rows(self) -> list[dict[str, Any]]:
        with sqlite3.connect(self.settings.register_path) as db:
            db.row_factory = sqlite3.Row
            return [dict(row) for row in db.execute("SELECT * FROM entries ORDER BY seq")]

    def last_row(self) -> dict[str, Any]:
        return self.rows()[-1]

    def new_row(self, before: int) -> dict[str, Any]:
        """The row after `before` rows; a stream is recorded when its relay ends, just after the client."""
        deadline = time.monotonic() + 5
        while len(rows := self.rows()) <= before and time.monotonic() < deadline:
            time.sleep(0.05)
        return rows[before]


def write_config(tmp: Path, local_url: str, non_eu_url: str, policy: Path) -> Path:
    upstreams = [
        {"name": "local", "base_url": f"{local_url}/v1", "models": ["local-llm"], "hosting": "local"},
        {"name": "hors-ue", "base_url": f"{non_eu_url}/v1", "models": ["gpt-4o"], "hosting": "non_eu"},
    ]
    config = {"data_dir": str(tmp / "data"), "policy": str(policy), "upstreams": upstreams}
    path = tmp / "gardefou.yaml"
    path.write_text(yaml.safe_dump(config), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def setup(tmp_path_factory: pytest.TempPathFactory, detector: Detector) -> Iterator[Setup]:
    tmp = tmp_path_factory.mktemp("policy")
    policy_path = tmp / "politique.yaml"
    policy_path.write_text(yaml.safe_dump(POLICY, allow_unicode=True), encoding="utf-8")
    local, non_eu = Recorder(), Recorder()
    with (
        serve(create_recording_upstream(local)) as local_url,
        serve(create_recording_upstream(non_eu)) as non_eu_url,
    ):
        settings = load_settings(write_config(tmp, local_url, non_eu_url, policy_path))
        store = KeyStore(settings.keys_path)
        keys = {s: store.create(user=f"agent.{s}", service=s).secret_key for s in POLICY["services"]}
        with serve(create_app(settings, detector=detector)) as url:
            yield Setup(url, settings, local, non_eu, keys, policy_path)


def file_sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_a_nir_for_a_non_eu_model_is_rerouted_to_the_local_model(setup: Setup) -> None:
    local_before, non_eu_before = len(setup.local.bodies), len(setup.non_eu.bodies)
    raw = setup.client("urbanisme").chat.completions.with_raw_response.create(
        model="gpt-4o", messages=[{"role": "user", "content": WITH_NIR}]
    )
    assert raw.headers["x-gardefou-route"] == "rerouted; from=gpt-4o; to=local-llm"
    assert raw.parse().choices[0].message.content
    assert len(setup.non_eu.bodies) == non_eu_before  # never reached the non-EU endpoint
    sent = setup.local.bodies[local_before]
    assert sent["model"] == "local-llm" and NIR not in json.dumps(sent, ensure_ascii=False)
    row = setup.last_row()
    assert row["decision"] == "forwarded" and row["model"] == "gpt-4o" and row["routed_model"] == "local-llm"
    assert {"category.identifiants", "route.reroute"} <= set(json.loads(row["rule_ids"]))
    assert row["policy_sha256"] == file_sha256(setup.policy_path)


def test_a_streamed_request_is_rerouted_the_same_way(setup: Setup) -> None:
    non_eu_before, rows_before = len(setup.non_eu.bodies), len(setup.rows())
    stream = setup.client("urbanisme").chat.completions.create(
        model="gpt-4o", messages=[{"role": "user", "content": WITH_NIR}], stream=True
    )
    text = "".join(chunk.choices[0].delta.content or "" for chunk in stream if chunk.choices)
    assert text and len(setup.non_eu.bodies) == non_eu_before
    row = setup.new_row(rows_before)
    assert row["stream"] and row["routed_model"] == "local-llm"


def test_embeddings_are_rerouted_the_same_way(setup: Setup) -> None:
    local_before, non_eu_before = len(setup.local.bodies), len(setup.non_eu.bodies)
    raw = setup.client("urbanisme").embeddings.with_raw_response.create(model="gpt-4o", input=[WITH_NIR])
    assert raw.headers["x-gardefou-route"].startswith("rerouted;")
    assert len(setup.non_eu.bodies) == non_eu_before
    assert setup.local.bodies[local_before]["model"] == "local-llm"
    assert "route.reroute" in json.loads(setup.last_row()["rule_ids"])


def test_without_sensitive_data_the_requested_model_is_used(setup: Setup) -> None:
    non_eu_before = len(setup.non_eu.bodies)
    raw = setup.client("urbanisme").chat.completions.with_raw_response.create(
        model="gpt-4o",
        messages=[{"role": "user", "content": "Résume le règlement de voirie en cinq points."}],
    )
    assert raw.headers["x-gardefou-route"] == "direct"
    assert len(setup.non_eu.bodies) == non_eu_before + 1
    assert setup.last_row()["routed_model"] == "gpt-4o"


def test_a_nir_for_a_non_eu_model_is_refused_when_the_service_has_no_fallback(setup: Setup) -> None:
    non_eu_before, local_before = len(setup.non_eu.bodies), len(setup.local.bodies)
    with pytest.raises(openai.PermissionDeniedError) as caught:
        setup.client("communication").chat.completions.create(
            model="gpt-4o", messages=[{"role": "user", "content": WITH_NIR}]
        )
    assert caught.value.code == "data_not_allowed"
    assert "identifiants nationaux" in caught.value.message and NIR not in caught.value.message
    assert len(setup.non_eu.bodies) == non_eu_before and len(setup.local.bodies) == local_before
    row = setup.last_row()
    assert row["decision"] == "blocked" and row["error_code"] == "data_not_allowed"
    assert {"category.identifiants", "route.refuse"} <= set(json.loads(row["rule_ids"]))


def test_deciding_a_sanction_is_blocked_in_french(setup: Setup) -> None:
    before = len(setup.local.bodies) + len(setup.non_eu.bodies)
    with pytest.raises(openai.PermissionDeniedError) as caught:
        setup.client("urbanisme").chat.completions.create(
            model="local-llm", messages=[{"role": "user", "content": SANCTION}]
        )
    assert caught.value.code == "forbidden_use"
    assert "decision-sanction" in caught.value.message and "un humain décide" in caught.value.message
    assert len(setup.local.bodies) + len(setup.non_eu.bodies) == before
    row = setup.last_row()
    assert row["decision"] == "blocked" and "use.decision-sanction.block" in json.loads(row["rule_ids"])


@pytest.mark.parametrize("stream", [False, True])
def test_deciding_a_sanction_is_warned_where_configured(setup: Setup, stream: bool) -> None:
    local_before, rows_before = len(setup.local.bodies), len(setup.rows())
    answer = setup.client("rh").chat.completions.create(
        model="local-llm",
        messages=[
            {"role": "system", "content": "Tu es l'assistant RH."},
            {"role": "user", "content": SANCTION},
        ],
        stream=stream,
    )
    if stream:
        assert "".join(c.choices[0].delta.content or "" for c in answer if c.choices)  # type: ignore[union-attr]
    else:
        assert answer.choices[0].message.content  # type: ignore[union-attr]
    system = setup.local.bodies[local_before]["messages"][0]
    assert system["role"] == "system" and system["content"].startswith("Tu es l'assistant RH.")
    assert "un humain décide" in system["content"]
    row = setup.new_row(rows_before)
    assert row["decision"] == "forwarded" and "use.decision-sanction.warn" in json.loads(row["rule_ids"])


def test_the_service_rate_from_the_policy_gives_429_with_retry_after(setup: Setup) -> None:
    client = setup.client("quota")
    for _ in range(2):
        client.chat.completions.create(model="local-llm", messages=[{"role": "user", "content": "Bonjour"}])
    with pytest.raises(openai.RateLimitError) as caught:
        client.chat.completions.create(model="local-llm", messages=[{"role": "user", "content": "Bonjour"}])
    assert int(caught.value.response.headers["retry-after"]) >= 1
    assert "réessayez" in caught.value.message


def test_every_row_carries_the_policy_hash(setup: Setup) -> None:
    rows = setup.rows()
    assert rows and {row["policy_sha256"] for row in rows} == {file_sha256(setup.policy_path)}


def test_hot_reload_keeps_the_previous_policy_when_the_new_one_is_invalid(setup: Setup) -> None:
    valid = file_sha256(setup.policy_path)
    broken = {**POLICY, "services": {**POLICY["services"], "rh": {"models": ["modele-inconnu"]}}}
    setup.policy_path.write_text(yaml.safe_dump(broken, allow_unicode=True), encoding="utf-8")
    time.sleep(1.1)  # the store looks at the file at most once a second
    answer = setup.client("rh").chat.completions.create(
        model="local-llm", messages=[{"role": "user", "content": "Bonjour"}]
    )
    assert answer.choices[0].message.content
    assert setup.last_row()["policy_sha256"] == valid

    fixed = {**POLICY, "services": {**POLICY["services"], "rh": {"models": ["local-llm"]}}}
    setup.policy_path.write_text(yaml.safe_dump(fixed, allow_unicode=True), encoding="utf-8")
    time.sleep(1.1)
    with pytest.raises(openai.PermissionDeniedError):  # the rh override (warn) is gone: blocked again
        setup.client("rh").chat.completions.create(
            model="local-llm", messages=[{"role": "user", "content": SANCTION}]
        )
    row = setup.last_row()
    assert row["policy_sha256"] == file_sha256(setup.policy_path) != valid
