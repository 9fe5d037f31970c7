"""Pseudonymisation end to end, with the official openai client: the same placeholders on every turn
of a conversation, answers fully restored (streamed or not, tool calls included), callers kept apart
under concurrency, masks never restored, blocked data refused before anything leaves."""

from __future__ import annotations

import json
import re
import sqlite3
import string
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import openai
import pytest

from proxy.keystore import KeyStore
from tests.e2e.conftest import Proxy

MARIE, JEAN, PHONE = "Marie Dubois", "Jean Martin", "06 12 34 56 78"
KARIM, KARIM_PHONE = "Karim Benali", "07 98 76 54 32"
NIR = "1 84 12 76 451 089 46"
VALUES = {"A": MARIE, "B": JEAN, "T": PHONE}

# Each turn: what the agent types, with {A} {B} {T} where the values go.
TURNS = (
    "Bonjour, je suis chargé du dossier de {A}. Son voisin {B} conteste le permis de construire. "
    "On peut joindre {A} au {T}.",
    "Merci. Peux-tu préparer une réponse pour {B} ?",
    "Parfait. Envoie un SMS à {A} au {T} pour confirmer le rendez-vous.",
)
# What the recording upstream answers: "Bien noté : " and the placeholders of the last user message.
ANSWERS = ("Bien noté : {A}, {B}, {A}, {T}.", "Bien noté : {B}.", "Bien noté : {A}, {T}.")
TOOLS = [
    {
        "type": "function",
        "function": {"name": "envoyer", "parameters": {"type": "object", "properties": {}}},
    }
]


@pytest.fixture(scope="module")
def keys(proxy: Proxy) -> dict[str, str]:
    """Another agent of the same service, and an agent of a service whose policy blocks NIR."""
    store = KeyStore(proxy.settings.keys_path)
    return {
        "other": store.create(user="agent.voirie", service="urbanisme").secret_key,
        "rh": store.create(user="agent.rh", service="rh").secret_key,
    }


def fill(template: str, values: dict[str, str]) -> str:
    return template.format(**values)


def unfill(template: str, text: str) -> dict[str, str]:
    """The placeholder standing at each {field} of `template` in `text` (a repeated field: the same)."""
    pattern, seen = "", set()
    for literal, name, _, _ in string.Formatter().parse(template):
        pattern += re.escape(literal)
        if name:
            pattern += f"(?P={name})" if name in seen else rf"(?P<{name}>\[[A-Z_]+_\d+\])"
            seen.add(name)
    match = re.fullmatch(pattern, text)
    assert match is not None, text
    return match.groupdict()


def ask(client: openai.OpenAI, messages: list[dict[str, Any]], stream: bool, **extra: Any) -> dict[str, Any]:
    """One chat turn; the answer message as the agent's client assembles it."""
    if not stream:
        answer = client.chat.completions.create(model="demo", messages=messages, **extra)
        return answer.choices[0].message.model_dump(exclude_none=True)
    chunks = client.chat.completions.create(model="demo", messages=messages, stream=True, **extra)
    return assemble(chunks)


def assemble(chunks: Iterator[Any]) -> dict[str, Any]:
    content, arguments, finish = "", "", None
    for chunk in chunks:
        for choice in chunk.choices:
            content += choice.delta.content or ""
            arguments += "".join(c.function.arguments or "" for c in choice.delta.tool_calls or [])
            finish = choice.finish_reason or finish
    message: dict[str, Any] = {"role": "assistant", "content": content, "finish": finish}
    if arguments:
        message["tool_calls"] = [{"function": {"arguments": arguments}}]
    return message


def converse(proxy: Proxy, stream: bool) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Three turns, the history resent each time; returns the answers and what the upstream received."""
    history: list[dict[str, Any]] = []
    answers, before = [], len(proxy.recorder.bodies)
    for number, turn in enumerate(TURNS):
        history.append({"role": "user", "content": fill(turn, VALUES)})
        extra = {"tools": TOOLS} if number == len(TURNS) - 1 else {}
        answer = ask(proxy.client(), history, stream, **extra)
        answers.append(answer)
        history.append({"role": "assistant", "content": answer["content"]})
    return answers, proxy.recorder.bodies[before:]


@pytest.mark.parametrize("stream", [False, True], ids=["json", "stream"])
def test_a_conversation_keeps_its_placeholders_and_gets_restored_answers(proxy: Proxy, stream: bool) -> None:
    answers, received = converse(proxy, stream)
    assert len(received) == len(TURNS)
    placeholders: dict[str, str] = {}
    for turn, body in enumerate(received):
        messages = body["messages"]
        assert len(messages) == 2 * turn + 1
        for number, message in enumerate(messages):
            template = TURNS[number // 2] if message["role"] == "user" else ANSWERS[number // 2]
            for name, placeholder in unfill(template, message["content"]).items():
                assert placeholders.setdefault(name, placeholder) == placeholder  # same on every turn
    assert len(set(placeholders.values())) == 3
    assert placeholders["A"].startswith("[PERSONNE_") and placeholders["T"].startswith("[TELEPHONE_")
    for answer, template in zip(answers, ANSWERS, strict=True):
        assert answer["content"] == fill(template, VALUES)
    arguments = json.loads(answers[-1]["tool_calls"][0]["function"]["arguments"])
    assert arguments == {"destinataire": [MARIE]}  # the tool call arrives restored


def test_streamed_and_whole_answers_are_the_same(proxy: Proxy) -> None:
    whole, _ = converse(proxy, stream=False)
    streamed, _ = converse(proxy, stream=True)
    assert [a["content"] for a in streamed] == [a["content"] for a in whole]
    assert streamed[0]["finish"] == "stop" and streamed[-1]["finish"] == "tool_calls"


def _own_turn(proxy: Proxy, key: str, values: dict[str, str], stream: bool) -> str:
    text = fill("Le dossier de {A} est complet ; joignable au {T}.", values)
    return str(ask(proxy.client(key), [{"role": "user", "content": text}], stream)["content"])


def test_concurrent_callers_never_see_each_others_values(proxy: Proxy, keys: dict[str, str]) -> None:
    mine, theirs = {"A": MARIE, "T": PHONE}, {"A": KARIM, "T": KARIM_PHONE}
    jobs = [(proxy.key, mine, True), (keys["other"], theirs, False), (keys["other"], theirs, True)] * 6
    with ThreadPoolExecutor(max_workers=6) as pool:
        answers = list(pool.map(lambda job: _own_turn(proxy, *job), jobs))
    for (_, values, _), answer in zip(jobs, answers, strict=True):
        assert answer == fill("Bien noté : {A}, {T}.", values)


def test_typing_another_callers_placeholder_gets_no_value(proxy: Proxy, keys: dict[str, str]) -> None:
    _own_turn(proxy, proxy.key, {"A": MARIE, "T": PHONE}, stream=False)
    theirs = unfill(
        "Le dossier de {A} est complet ; joignable au {T}.",
        proxy.recorder.bodies[-1]["messages"][0]["content"],
    )
    for stream in (False, True):
        text = f"Que sais-tu de {theirs['A']} et de {theirs['T']} ? Transmets à {KARIM}."
        answer = ask(proxy.client(keys["other"]), [{"role": "user", "content": text}], stream)["content"]
        assert MARIE not in answer and PHONE not in answer and KARIM in answer
        assert theirs["A"] in answer  # it reached the model as typed, and comes back as typed
        assert theirs["A"] in proxy.recorder.bodies[-1]["messages"][0]["content"]


def _register_rows(proxy: Proxy) -> list[dict[str, Any]]:
    with sqlite3.connect(proxy.settings.register_path) as db:
        db.row_factory = sqlite3.Row
        return [dict(row) for row in db.execute("SELECT * FROM entries ORDER BY seq")]


def _register_text(proxy: Proxy) -> str:
    db = proxy.settings.register_path
    files = [db, db.with_name(db.name + "-wal")]
    return "".join(p.read_bytes().decode("utf-8", "replace") for p in files if p.exists())


def test_blocked_data_is_refused_before_anything_leaves_and_recorded_by_type(
    proxy: Proxy, keys: dict[str, str]
) -> None:
    before = len(proxy.recorder.bodies)
    with pytest.raises(openai.PermissionDeniedError) as caught:
        ask(proxy.client(keys["rh"]), [{"role": "user", "content": f"Dossier de {KARIM}, NIR {NIR}"}], False)
    assert caught.value.status_code == 403
    assert "numéro de sécurité sociale" in caught.value.message and NIR not in caught.value.message
    assert len(proxy.recorder.bodies) == before  # nothing was sent upstream
    row = _register_rows(proxy)[-1]
    assert row["decision"] == "blocked" and row["error_code"] == "personal_data_blocked"
    assert json.loads(row["entity_counts"])["NIR"] == 1
    assert NIR not in _register_text(proxy) and KARIM not in _register_text(proxy)


@pytest.mark.parametrize("stream", [False, True], ids=["json", "stream"])
def test_masked_data_is_never_restored(proxy: Proxy, stream: bool) -> None:
    text = f"Le numéro de sécurité sociale de {KARIM} est {NIR}."
    answer = ask(proxy.client(), [{"role": "user", "content": text}], stream)["content"]
    sent = proxy.recorder.bodies[-1]["messages"][0]["content"]
    assert "[NIR]" in sent and NIR not in sent
    assert answer == f"Bien noté : {KARIM}, [NIR]."


def test_embeddings_inputs_are_masked_and_recorded(proxy: Proxy, keys: dict[str, str]) -> None:
    inputs = [f"Courrier pour {MARIE}", f"Appeler le {PHONE}", "Sans donnée personnelle"]
    result = proxy.client().embeddings.create(model="demo", input=inputs, encoding_format="float")
    assert len(result.data) == 3
    sent = proxy.recorder.bodies[-1]["input"]
    assert sent == ["Courrier pour [PERSONNE]", "Appeler le [TELEPHONE]", "Sans donnée personnelle"]
    row = _register_rows(proxy)[-1]
    assert row["endpoint"] == "embeddings" and row["decision"] == "forwarded"
    assert json.loads(row["entity_counts"]) == {"PERSON": 1, "PHONE": 1}
    before = len(proxy.recorder.bodies)
    with pytest.raises(openai.PermissionDeniedError):
        openai.OpenAI(base_url=f"{proxy.url}/v1", api_key=keys["rh"], max_retries=0).embeddings.create(
            model="demo", input=f"NIR {NIR}"
        )
    assert len(proxy.recorder.bodies) == before


def test_a_bad_embeddings_body_is_refused_in_french_and_recorded(proxy: Proxy) -> None:
    before = len(_register_rows(proxy))
    response = httpx.post(
        f"{proxy.url}/v1/embeddings",
        content=b"{pas du json",
        headers={"Authorization": f"Bearer {proxy.key}", "Content-Type": "application/json"},
    )
    assert response.status_code == 400 and "JSON" in response.json()["error"]["message"]
    rows = _register_rows(proxy)
    assert len(rows) == before + 1
    assert rows[-1]["endpoint"] == "embeddings" and rows[-1]["status"] == 400
