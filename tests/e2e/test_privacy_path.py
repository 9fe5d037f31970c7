"""The whole privacy path with the official openai client: redacted upstream, restored answers,
a register row per use and no personal data in the register files."""

from __future__ import annotations

import json
import re
import sqlite3
from pathlib import Path

import httpx
import openai
import pytest

from tests.e2e.conftest import Proxy

NAME = "Marie Dubois"
PHONE = "06 12 34 56 78"
EMAIL = "marie.dubois@exemple.fr"
IBAN = "FR76 3000 6000 0112 3456 7890 189"
PERSONAL = (NAME, PHONE, EMAIL, IBAN, "Dubois", "0612345678", "FR7630006000011234567890189")
PROMPT = (
    f"Bonjour, pouvez-vous rédiger un courrier pour {NAME} ? Elle est joignable au {PHONE} "
    f"ou à {EMAIL}. Le remboursement se fera sur l'IBAN {IBAN}."
)


def register_rows(proxy: Proxy) -> list[sqlite3.Row]:
    with sqlite3.connect(proxy.settings.register_path) as db:
        db.row_factory = sqlite3.Row
        return db.execute("SELECT * FROM entries ORDER BY seq").fetchall()


def files_text(paths: list[Path]) -> str:
    return "".join(p.read_bytes().decode("utf-8", "replace") for p in paths if p.exists())


def assert_no_personal_data(text: str) -> None:
    for value in PERSONAL:
        assert value not in text


def register_files(proxy: Proxy) -> list[Path]:
    db = proxy.settings.register_path
    return [db, db.with_name(db.name + "-wal")]


def test_non_streaming_answer_is_restored_and_upstream_sees_no_personal_data(proxy: Proxy) -> None:
    before = len(proxy.recorder.bodies)
    answer = proxy.client().chat.completions.create(
        model="demo", messages=[{"role": "user", "content": PROMPT}], temperature=0.2, seed=7
    )
    sent = proxy.recorder.bodies[before]
    assert_no_personal_data(json.dumps(sent, ensure_ascii=False))
    assert re.search(r"\[PERSONNE_\d+\]", sent["messages"][0]["content"])
    assert sent["temperature"] == 0.2 and sent["seed"] == 7  # untouched fields pass through
    content = answer.choices[0].message.content or ""
    for value in (NAME, PHONE, EMAIL, IBAN):
        assert value in content
    assert answer.usage is not None and answer.usage.completion_tokens == 7


def test_streaming_answer_is_restored_chunk_by_chunk(proxy: Proxy) -> None:
    before = len(proxy.recorder.bodies)
    stream = proxy.client().chat.completions.create(
        model="demo",
        messages=[{"role": "user", "content": PROMPT}],
        stream=True,
        stream_options={"include_usage": True},
    )
    pieces = [c.choices[0].delta.content or "" for c in stream if c.choices]
    assert len(pieces) > 5  # still a stream, not one block
    text = "".join(pieces)
    for value in (NAME, PHONE, EMAIL, IBAN):
        assert value in text
    assert "[" not in text  # no placeholder fragment reached the agent
    assert_no_personal_data(json.dumps(proxy.recorder.bodies[before], ensure_ascii=False))


def test_every_text_of_the_request_is_redacted(proxy: Proxy) -> None:
    before = len(proxy.recorder.bodies)
    proxy.client().chat.completions.create(
        model="demo",
        messages=[
            {"role": "system", "content": f"Tu assistes l'agent qui suit {NAME}."},
            {"role": "user", "content": [{"type": "text", "text": f"Appeler le {PHONE}"}]},
            {
                "role": "assistant",
                "content": None,
                "tool_calls": [
                    {
                        "id": "c1",
                        "type": "function",
                        "function": {"name": "mail", "arguments": json.dumps({"to": EMAIL})},
                    }
                ],
            },
            {"role": "tool", "tool_call_id": "c1", "content": f"Envoyé à {EMAIL}"},
            {"role": "user", "content": "Merci"},
        ],
    )
    assert_no_personal_data(json.dumps(proxy.recorder.bodies[before], ensure_ascii=False))


def test_register_has_a_row_per_use_and_no_personal_data(proxy: Proxy) -> None:
    client = proxy.client()
    before = len(register_rows(proxy))
    client.chat.completions.create(model="demo", messages=[{"role": "user", "content": PROMPT}])
    rows = register_rows(proxy)
    assert len(rows) == before + 1
    row = dict(rows[-1])
    assert row["decision"] == "forwarded" and row["status"] == 200
    assert row["service"] == "urbanisme" and row["model"] == "demo"
    assert json.loads(row["entity_counts"]).get("PERSON", 0) >= 1
    assert_no_personal_data(files_text(register_files(proxy)))
    assert proxy.key not in files_text(register_files(proxy))


def test_missing_or_unknown_key_is_refused_in_french(proxy: Proxy) -> None:
    with pytest.raises(openai.AuthenticationError) as caught:
        proxy.client(key="gf_000000000000_faux").models.list()
    assert "Clé d'API" in caught.value.message
    response = httpx.get(f"{proxy.url}/v1/models")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "invalid_api_key"


def test_model_not_allowed_is_refused_and_recorded(proxy: Proxy) -> None:
    before = len(proxy.recorder.bodies)
    with pytest.raises(openai.PermissionDeniedError) as caught:
        proxy.client().chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": PROMPT}])
    # a model the configuration does not name is neither echoed nor recorded as written
    assert "gpt-4o" not in caught.value.message and "service" in caught.value.message
    assert len(proxy.recorder.bodies) == before
    row = dict(register_rows(proxy)[-1])
    assert row["decision"] == "blocked" and row["error_code"] == "model_not_allowed"
    assert row["model"] != "gpt-4o"


def test_models_lists_only_the_callers_models(proxy: Proxy) -> None:
    assert [m.id for m in proxy.client().models.list()] == ["demo"]


@pytest.mark.parametrize(
    ("body", "status"),
    [
        (b"{not json", 400),
        (b"[1, 2]", 400),
        (b'{"model": "demo"}', 400),
        (b'{"model": "demo", "messages": []}', 400),
        (b'{"model": "demo", "messages": [{"role": "pirate", "content": "x"}]}', 400),
        (
            b'{"model": "demo", "messages": [{"role": "user", "content": "x"}], "base_url": "http://evil"}',
            400,
        ),
    ],
)
def test_bad_bodies_get_a_french_4xx(proxy: Proxy, body: bytes, status: int) -> None:
    response = httpx.post(
        f"{proxy.url}/v1/chat/completions",
        content=body,
        headers={"Authorization": f"Bearer {proxy.key}", "Content-Type": "application/json"},
    )
    assert response.status_code == status
    error = response.json()["error"]
    assert error["type"] == "invalid_request_error" and error["message"]


def test_unknown_route_is_an_openai_style_404(proxy: Proxy) -> None:
    response = httpx.get(f"{proxy.url}/v1/nimporte-quoi")
    assert response.status_code == 404
    assert "n'existe pas" in response.json()["error"]["message"]
