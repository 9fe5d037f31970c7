"""Responses API and legacy completion answers restored, whole or streamed, for any way of cutting the
stream: the text the agent reads is exactly the whole answer restored."""

from __future__ import annotations

import copy
import json
from typing import Any

from hypothesis import given, settings

from proxy.transform.responses import (
    CompletionChunkRestorer,
    ResponseEventRestorer,
    restore_completion_text,
    restore_object,
)
from proxy.transform.restore import restore, restore_json_string
from tests.transform.samples import PLACEHOLDERS, VALUES_A, VAULT, answers, cuts, pieces

EXAMPLES = settings(max_examples=200, deadline=None)
IDS = {"item_id": "msg_1", "output_index": 0, "content_index": 0}


def _events(kind: str, parts: list[str], whole: str) -> list[dict[str, Any]]:
    done_key = "arguments" if "arguments" in kind else "text"
    deltas = [{"type": f"{kind}.delta", **IDS, "delta": p} for p in parts]
    return [*deltas, {"type": f"{kind}.done", **IDS, done_key: whole}]


def _relayed(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    restorer = ResponseEventRestorer(VAULT)
    out = [e for event in events for e in restorer.events(copy.deepcopy(event))]
    assert restorer.leftover() is None
    return out


@EXAMPLES
@given(answers, cuts)
def test_streamed_output_text_is_the_whole_text_restored(answer: str, positions: list[int]) -> None:
    out = _relayed(_events("response.output_text", pieces(answer, positions), answer))
    streamed = "".join(e["delta"] for e in out if e["type"].endswith(".delta"))
    assert streamed == restore(answer, VAULT)
    assert out[-1]["text"] == restore(answer, VAULT)


@EXAMPLES
@given(answers, cuts)
def test_streamed_function_arguments_are_restored_as_json(answer: str, positions: list[int]) -> None:
    arguments = json.dumps({"texte": answer}, ensure_ascii=False)
    out = _relayed(_events("response.function_call_arguments", pieces(arguments, positions), arguments))
    streamed = "".join(e["delta"] for e in out if e["type"].endswith(".delta"))
    assert streamed == restore_json_string(arguments, VAULT)
    assert json.loads(streamed)["texte"] == restore(answer, VAULT)


def test_whole_responses_and_events_carrying_objects_are_restored_at_every_depth() -> None:
    name, placeholder = VALUES_A[0][1], str(PLACEHOLDERS[0])
    response = {
        "output": [
            {"type": "message", "content": [{"type": "output_text", "text": f"Pour {placeholder}."}]},
            {"type": "function_call", "arguments": json.dumps({"a": placeholder})},
        ]
    }
    restored = restore_object(copy.deepcopy(response), VAULT)
    assert restored["output"][0]["content"][0]["text"] == f"Pour {name}."
    assert json.loads(restored["output"][1]["arguments"]) == {"a": name}
    event = {"type": "response.completed", "response": response}
    assert _relayed([event])[0]["response"]["output"][0]["content"][0]["text"] == f"Pour {name}."


@EXAMPLES
@given(answers, cuts)
def test_streamed_legacy_completions_are_restored(answer: str, positions: list[int]) -> None:
    restorer = CompletionChunkRestorer(VAULT)
    chunks = [
        {"choices": [{"index": 0, "text": p, "finish_reason": None}]} for p in pieces(answer, positions)
    ]
    chunks.append({"choices": [{"index": 0, "text": "", "finish_reason": "stop"}]})
    out = [c for chunk in chunks for c in restorer.events(chunk)]
    assert restorer.leftover() is None
    assert "".join(c["choices"][0]["text"] for c in out) == restore(answer, VAULT)


def test_a_legacy_stream_cut_before_its_finish_still_delivers_the_held_text() -> None:
    restorer = CompletionChunkRestorer(VAULT)
    placeholder = str(PLACEHOLDERS[0])
    first = restorer.events({"choices": [{"index": 0, "text": f"A {placeholder[:4]}"}]})
    rest = restorer.events({"choices": [{"index": 0, "text": placeholder[4:]}]})
    leftover = restorer.leftover()
    text = first[0]["choices"][0]["text"] + rest[0]["choices"][0]["text"]
    text += leftover["choices"][0]["text"] if leftover else ""
    assert text == f"A {VALUES_A[0][1]}"
    body = {"choices": [{"index": 0, "text": placeholder}]}
    restore_completion_text(body, VAULT)
    assert body["choices"][0]["text"] == VALUES_A[0][1]
