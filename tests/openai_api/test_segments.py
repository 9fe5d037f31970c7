"""Every text a request carries is found, and the outgoing body is built from the scan, never by
editing the client's body."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from proxy.errors import InvalidRequest
from proxy.openai_api.inventory import routes
from proxy.openai_api.schemas import parse_chat, parse_embeddings
from proxy.openai_api.segments import Raw, Replaced, fill, scan

CHAT = routes()["chat.completions"]


def chat_body() -> dict[str, Any]:
    return {
        "model": "m",
        "temperature": 0.1,
        "messages": [
            {"role": "system", "content": "système"},
            {"role": "user", "content": [{"type": "text", "text": "partie"}], "name": "Nom"},
            {
                "role": "assistant",
                "content": None,
                "tool_calls": [
                    {"id": "1", "type": "function", "function": {"name": "f", "arguments": '{"a": "arg"}'}}
                ],
            },
            {"role": "tool", "tool_call_id": "1", "content": "résultat"},
        ],
        "metadata": {"Clé Libre": "valeur"},
        "user": "agent@exemple.fr",
    }


def _upper(body: dict[str, Any]) -> Any:
    scanned = scan(CHAT, body)
    return scanned, fill(scanned.template, [t.value.upper() for t in scanned.texts], _by, _raw)


def _by(field: Replaced) -> str:
    return f"<{field.by}>"


def _raw(part: Raw) -> Any:
    raise AssertionError("no raw part expected")


def test_every_string_of_a_text_field_is_a_slot_and_structural_fields_are_not() -> None:
    scanned = scan(CHAT, chat_body())
    values = scanned.values
    for text in ("système", "partie", "Nom", '{"a": "arg"}', "résultat", "Clé Libre", "valeur", "f", "1"):
        assert text in values
    assert "m" not in values and "user" not in values and "system" not in values


def test_the_outgoing_body_is_built_and_the_clients_body_is_untouched() -> None:
    body = chat_body()
    before = copy.deepcopy(body)
    _, out = _upper(body)
    assert body == before
    assert out["messages"][1]["content"][0] == {"type": "text", "text": "PARTIE"}
    assert out["messages"][1]["name"] == "NOM"
    assert out["messages"][2]["tool_calls"][0]["function"]["arguments"] == '{"A": "ARG"}'
    assert out["metadata"] == {"CLÉ LIBRE": "VALEUR"}
    assert out["user"] == "<caller_id>" and out["temperature"] == 0.1 and out["model"] == "m"


def test_texts_written_by_the_model_or_tools_are_not_instructions() -> None:
    scanned = scan(CHAT, chat_body())
    instructions = [t.value for t in scanned.texts if t.instruction]
    assert "système" in instructions and "partie" in instructions
    assert "résultat" not in instructions and '{"a": "arg"}' not in instructions


def test_added_texts_are_those_after_the_last_assistant_message() -> None:
    body = chat_body()
    body["messages"].append({"role": "user", "content": "nouveau"})
    added = [t.value for t in scan(CHAT, body).texts if t.added]
    assert "nouveau" in added and "résultat" in added and "valeur" in added
    assert "système" not in added and "partie" not in added


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("max_tokens", "100"),
        ("max_tokens", 10.5),
        ("temperature", float("nan")),
        ("temperature", float("inf")),
        ("n", 1000),
        ("stream", "oui"),
        ("logit_bias", {"Marie": 5}),
        ("reasoning_effort", "Marie Dubois"),
        ("audio", {"voice": "alloy"}),
        ("tools", [{"type": "inconnu"}]),
    ],
)
def test_bad_structural_fields_and_refused_fields_are_refused_in_french(field: str, value: Any) -> None:
    with pytest.raises(InvalidRequest) as caught:
        scan(CHAT, {**chat_body(), field: value})
    assert caught.value.status == 400 and "«" in caught.value.message
    assert "Marie" not in caught.value.message


def test_lone_surrogates_and_data_urls_are_refused() -> None:
    for text in ("\ud800", "data:image/png;base64,AAAA"):
        body = chat_body()
        body["messages"][0]["content"] = text
        with pytest.raises(InvalidRequest):
            scan(CHAT, body)


def test_unknown_part_types_are_refused_and_attachments_refused_until_converted() -> None:
    for part in ({"type": "video", "video": "x"}, {"type": "image_url", "image_url": {"url": "http://x"}}):
        body = chat_body()
        body["messages"][1]["content"].append(part)
        with pytest.raises(InvalidRequest) as caught:
            scan(CHAT, body)
        assert "messages[1].content[1]" in caught.value.message


def test_parts_without_a_type_or_of_type_input_text_are_text() -> None:
    body = chat_body()
    body["messages"][1]["content"] += [{"text": "sans type"}, {"type": "input_text", "text": "entrée"}]
    assert {"sans type", "entrée"} <= set(scan(CHAT, body).values)


@pytest.mark.parametrize("value", ["un texte", ["a", "b"]])
def test_embeddings_take_a_string_or_a_list(value: str | list[str]) -> None:
    scanned = scan(routes()["embeddings"], {"model": "m", "input": value})
    assert scanned.values == ([value] if isinstance(value, str) else value)


def test_token_arrays_are_refused() -> None:
    with pytest.raises(InvalidRequest):
        scan(routes()["embeddings"], {"model": "m", "input": [[1, 2, 3]]})
    with pytest.raises(InvalidRequest):
        parse_embeddings({"model": "m", "input": [[1, 2, 3]]})


@pytest.mark.parametrize(
    "body",
    [
        None,
        "texte",
        {"messages": [{"role": "user", "content": "x"}]},
        {"model": "", "messages": [{"role": "user", "content": "x"}]},
        {"model": "m", "messages": "x"},
        {"model": "m", "messages": [{"content": "x"}]},
        {"model": "m", "messages": [{"role": "user", "content": 12}]},
        {"model": "m", "messages": [{"role": "user", "content": "x"}], "api_base": "http://ailleurs"},
    ],
)
def test_malformed_chat_requests_are_refused_in_french(body: Any) -> None:
    with pytest.raises(InvalidRequest) as caught:
        parse_chat(body)
    assert caught.value.status == 400


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=25,
)
FIELDS = st.sampled_from(["model", "messages", "input", "prompt", "tools", "metadata", "n", "stop", "user"])


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(FIELDS | st.text(max_size=8), JSON, max_size=6))
def test_any_body_is_refused_in_french_or_rebuilt_exactly(body: dict[str, Any]) -> None:
    """Whatever the body, `scan` raises InvalidRequest (never another error) or its template, filled
    with the unchanged texts, is the body itself: nothing is lost or added on the way out."""
    for route in routes().values():
        try:
            scanned = scan(route, body)
        except InvalidRequest:
            continue
        assert fill(scanned.template, scanned.values, _unchanged(scanned.values), _raw) == body


def _unchanged(texts: list[str]) -> Callable[[Replaced], str]:
    return lambda field: texts[field.index]
