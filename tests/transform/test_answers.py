"""Chat answers restored in place: whole completions, and streamed chunks for any way of cutting them,
with chunk boundaries, finish_reason and usage chunks preserved."""

from __future__ import annotations

import copy
import json
from typing import Any

from hypothesis import given, settings

from proxy.openai_api import sse
from proxy.transform.answers import ChunkRestorer, restore_completion
from proxy.transform.restore import restore, restore_json_string
from tests.transform.samples import PLACEHOLDERS, VALUES_A, VAULT, answers, cuts, pieces

EXAMPLES = settings(max_examples=300, deadline=None)
ENVELOPE = {"id": "chatcmpl-1", "object": "chat.completion.chunk", "created": 0, "model": "demo"}
USAGE = {**ENVELOPE, "choices": [], "usage": {"prompt_tokens": 3, "completion_tokens": 5}}


def _chunk(delta: dict[str, Any], finish: str | None = None, index: int = 0) -> dict[str, Any]:
    return {**ENVELOPE, "choices": [{"index": index, "delta": delta, "finish_reason": finish}]}


def _content_stream(pieces: list[str]) -> list[dict[str, Any]]:
    head = [_chunk({"role": "assistant", "content": ""})]
    return [*head, *(_chunk({"content": p}) for p in pieces), _chunk({}, "stop"), USAGE]


def _call_stream(pieces: list[str]) -> list[dict[str, Any]]:
    start = {"index": 0, "id": "call_1", "type": "function", "function": {"name": "envoyer", "arguments": ""}}
    deltas = [{"tool_calls": [{"index": 0, "function": {"arguments": p}}]} for p in pieces]
    return [_chunk({"tool_calls": [start]}), *(_chunk(d) for d in deltas), _chunk({}, "tool_calls")]


def _relay(chunks: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], ChunkRestorer]:
    restorer = ChunkRestorer(VAULT)
    return [restorer.restore(copy.deepcopy(chunk)) for chunk in chunks], restorer


def _joined(chunks: list[dict[str, Any]], pick: str) -> str:
    deltas = [c["delta"] for chunk in chunks for c in chunk["choices"]]
    if pick == "content":
        return "".join(d.get("content") or "" for d in deltas)
    return "".join(call["function"]["arguments"] for d in deltas for call in d.get("tool_calls") or [])


@EXAMPLES
@given(answers, cuts)
def test_streamed_content_equals_the_whole_restore_chunk_for_chunk(answer: str, at: list[int]) -> None:
    sent = _content_stream(pieces(answer, at))
    out, restorer = _relay(sent)
    assert len(out) == len(sent)
    assert _joined(out, "content") == restore(answer, VAULT)
    assert [c["choices"][0]["finish_reason"] for c in out[:-1]] == [None] * (len(sent) - 2) + ["stop"]
    assert out[-1] == USAGE and restorer.leftover() is None


@EXAMPLES
@given(answers, cuts)
def test_streamed_tool_call_arguments_equal_the_whole_restore(answer: str, at: list[int]) -> None:
    arguments = json.dumps({"texte": answer}, ensure_ascii=False)
    out, _ = _relay(_call_stream(pieces(arguments, at)))
    assert _joined(out, "arguments") == restore_json_string(arguments, VAULT)
    assert json.loads(_joined(out, "arguments")) == {"texte": restore(answer, VAULT)}
    assert out[0]["choices"][0]["delta"]["tool_calls"][0]["id"] == "call_1"


def test_a_stream_ending_without_finish_reason_gets_what_was_held_back() -> None:
    held = str(PLACEHOLDERS[0])[:6]
    out, restorer = _relay([_chunk({"content": "Voir "}), _chunk({"content": held})])
    assert _joined(out, "content") == "Voir "
    leftover = restorer.leftover()
    assert leftover is not None and leftover["id"] == ENVELOPE["id"]
    assert leftover["choices"] == [{"index": 0, "delta": {"content": held}, "finish_reason": None}]
    assert restorer.leftover() is None
    assert sse.closing_events(leftover, done=True) == [sse.encode(leftover), b"data: [DONE]\n\n"]
    assert sse.closing_events(None, done=False) == []


def test_choices_are_restored_independently() -> None:
    first, second = str(PLACEHOLDERS[0]), str(PLACEHOLDERS[1])
    sent = [
        _chunk({"content": first[:4]}, index=0),
        _chunk({"content": second[:9]}, index=1),
        _chunk({"content": first[4:]}, "stop", index=0),
        _chunk({"content": second[9:]}, "stop", index=1),
    ]
    out, _ = _relay(sent)
    by_choice = [
        "".join(c["choices"][0]["delta"]["content"] for c in out if c["choices"][0]["index"] == i)
        for i in (0, 1)
    ]
    assert by_choice == [VALUES_A[0][1], VALUES_A[1][1]]


def test_a_whole_completion_is_restored_everywhere_the_model_writes() -> None:
    p = str(PLACEHOLDERS[3])  # a value with quotes and a backslash
    message = {
        "role": "assistant",
        "content": f"Écrire à {p}.",
        "refusal": f"Pas pour {p}",
        "tool_calls": [
            {"id": "c", "type": "function", "function": {"name": "f", "arguments": json.dumps({"a": p})}}
        ],
        "function_call": {"name": "g", "arguments": json.dumps([p])},
    }
    body = {"choices": [{"index": 0, "message": message, "finish_reason": "stop"}]}
    restore_completion(body, VAULT)
    value = VALUES_A[3][1]
    assert message["content"] == f"Écrire à {value}." and message["refusal"] == f"Pas pour {value}"
    assert json.loads(message["tool_calls"][0]["function"]["arguments"]) == {"a": value}
    assert json.loads(message["function_call"]["arguments"]) == [value]
