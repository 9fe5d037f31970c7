"""Every text a request carries is found, and rewriting a slot rewrites the request in place."""

from __future__ import annotations

import json
from typing import Any

import pytest

from proxy.errors import InvalidRequest
from proxy.openai_api.schemas import parse_chat, parse_embeddings
from proxy.openai_api.segments import chat_slots, embeddings_slots


def chat_body() -> dict[str, Any]:
    return {
        "model": "m",
        "temperature": 0.1,
        "messages": [
            {"role": "system", "content": "système"},
            {
                "role": "user",
                "content": [
                    {"type": "text", "text": "partie"},
                    {"type": "image_url", "image_url": {"url": "x"}},
                ],
            },
            {
                "role": "assistant",
                "content": None,
                "tool_calls": [
                    {"id": "1", "type": "function", "function": {"name": "f", "arguments": '{"a": "arg"}'}}
                ],
            },
            {"role": "tool", "tool_call_id": "1", "content": "résultat"},
        ],
    }


def test_chat_slots_cover_content_parts_tool_arguments_and_tool_results() -> None:
    body = chat_body()
    assert [slot.text for slot in chat_slots(body)] == ["système", "partie", '{"a": "arg"}', "résultat"]


def test_replacing_slots_rewrites_the_body_and_keeps_other_fields() -> None:
    body = chat_body()
    for slot in chat_slots(body):
        slot.replace(slot.text.upper())
    assert body["messages"][1]["content"][0]["text"] == "PARTIE"
    assert body["messages"][2]["tool_calls"][0]["function"]["arguments"] == '{"A": "ARG"}'
    assert body["messages"][1]["content"][1] == {"type": "image_url", "image_url": {"url": "x"}}
    assert body["temperature"] == 0.1


@pytest.mark.parametrize("value", ["un texte", ["a", "b"]])
def test_embeddings_slots_accept_a_string_or_a_list(value: str | list[str]) -> None:
    original = [value] if isinstance(value, str) else list(value)
    body = {"model": "m", "input": value}
    slots = embeddings_slots(body)
    for slot in slots:
        slot.replace("<" + slot.text + ">")
    assert body["input"] == [f"<{v}>" for v in original]


def test_unknown_fields_pass_validation() -> None:
    request = parse_chat({**chat_body(), "response_format": {"type": "json_object"}, "n": 2})
    assert request.model == "m"


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
    assert json.dumps(caught.value.to_openai()["error"]["message"], ensure_ascii=False)


def test_token_array_embeddings_are_refused() -> None:
    with pytest.raises(InvalidRequest):
        parse_embeddings({"model": "m", "input": [[1, 2, 3]]})
