"""Several proxy instances behind a load balancer: nothing an instance needs is its own.

Each instance has its own data directory; what they share comes from the configuration (policy,
key store, pseudonym secret, register). A conversation whose turns land on different instances keeps
the same pseudonyms and gets its answers restored, and every turn has its row in the one register.
"""

from __future__ import annotations

import re
from pathlib import Path

import openai
import yaml

from proxy.analysis.engine import Detector
from proxy.app import create_app
from proxy.keystore import KeyStore
from proxy.register.store import Register
from proxy.settings import load_settings
from tests.e2e.conftest import write_config
from tests.e2e.recording_upstream import Recorder
from tests.e2e.servers import serve

PLACEHOLDER = re.compile(r"\[[A-Z_]+_\d+\]")


def instance_config(tmp: Path, name: str, upstream_url: str, shared: Path) -> Path:
    folder = tmp / name
    folder.mkdir()
    path = write_config(folder, upstream_url)
    config = yaml.safe_load(path.read_text(encoding="utf-8"))
    config["keys"] = str(shared / "keys.sqlite")
    config["pseudonym_secret_file"] = str(shared / "pseudonym.key")
    config["register"] = str(shared / "register.sqlite")
    config["register_key"] = str(shared / "register-signing.key")
    path.write_text(yaml.safe_dump(config), encoding="utf-8")
    return path


def test_a_conversation_spread_over_two_instances_keeps_its_pseudonyms(
    tmp_path: Path, upstream_url: str, recorder: Recorder, detector: Detector
) -> None:
    shared = tmp_path / "shared"
    shared.mkdir()
    first = load_settings(instance_config(tmp_path, "a", upstream_url, shared))
    second = load_settings(instance_config(tmp_path, "b", upstream_url, shared))
    key = KeyStore(first.keys_path).create(user="agent.urba", service="urbanisme").secret_key
    turn = "Merci d'écrire à Mme Lucie Fontaine, 06 71 42 88 15, au sujet de son permis."
    messages: list[dict[str, str]] = [{"role": "user", "content": turn}]
    with (
        serve(create_app(first, detector=detector)) as url_a,
        serve(create_app(second, detector=detector)) as url_b,
    ):
        start = len(recorder.bodies)
        answer_a = openai.OpenAI(base_url=f"{url_a}/v1", api_key=key).chat.completions.create(
            model="demo",
            messages=messages,  # type: ignore[arg-type]
        )
        sent_a = recorder.bodies[-1]["messages"][-1]["content"]
        messages += [
            {"role": "assistant", "content": answer_a.choices[0].message.content or ""},
            {"role": "user", "content": "Relance Mme Lucie Fontaine au 06 71 42 88 15 demain."},
        ]
        answer_b = openai.OpenAI(base_url=f"{url_b}/v1", api_key=key).chat.completions.create(
            model="demo",
            messages=messages,  # type: ignore[arg-type]
        )
        seen = recorder.bodies[start:]
    sent_b = seen[-1]["messages"][-1]["content"]
    assert "Fontaine" not in str(seen) and "06 71 42 88 15" not in str(seen)
    assert set(PLACEHOLDER.findall(sent_b)) == set(PLACEHOLDER.findall(sent_a)) != set()
    assert "Lucie Fontaine" in (answer_b.choices[0].message.content or "")
    register = Register.open(first.register_path, readonly=True)
    rows = list(register.rows())
    register.close()
    assert [row["status"] for row in rows] == [200, 200]  # one register, one row per turn
