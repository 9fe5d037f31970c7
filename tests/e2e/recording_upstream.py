"""A small OpenAI-compatible upstream for tests: records what it receives, answers with what it got.

Its answers repeat every placeholder (and mask, e.g. [NIR]) of the last user message, cut into
small chunks when streamed, so the proxy's restore (including placeholders split across chunks) is
exercised for real.
"""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

PLACEHOLDER = re.compile(r"\[[A-Z_]+(?:_\d+)?\]")


@dataclass
class Recorder:
    bodies: list[dict[str, Any]] = field(default_factory=list)
    chunk_size: int = 3
    chunk_delay_s: float = 0.0  # > 0: a slow stream, to test disconnects and timing

    @property
    def raw(self) -> str:
        return json.dumps(self.bodies, ensure_ascii=False)


def answer_for(body: dict[str, Any]) -> str:
    """The placeholders of the last user message (chat), of `input` (responses) or of `prompt`."""
    try:
        user = [m for m in body["messages"] if m.get("role") == "user"][-1]
        content: Any = user["content"]
    except (KeyError, IndexError, TypeError, AttributeError):
        content = body.get("input", body.get("prompt", ""))
    text = content if isinstance(content, str) else json.dumps(content, ensure_ascii=False)
    found = PLACEHOLDER.findall(text)
    return "Bien noté : " + ", ".join(found) + "." if found else "Rien à signaler."


def create_recording_upstream(recorder: Recorder) -> Starlette:
    async def chat(request: Request) -> Response:
        body = await request.json()
        recorder.bodies.append(body)
        answer = answer_for(body)
        if body.get("stream"):
            return StreamingResponse(
                _stream(body, answer, recorder.chunk_size, recorder.chunk_delay_s),
                media_type="text/event-stream",
            )
        return JSONResponse(_completion(body, answer))

    async def embeddings(request: Request) -> Response:
        body = await request.json()
        recorder.bodies.append(body)
        data = [
            {"object": "embedding", "index": i, "embedding": [0.1, 0.2]} for i, _ in enumerate(body["input"])
        ]
        return JSONResponse({"object": "list", "data": data, "model": body["model"]})

    async def responses(request: Request) -> Response:
        body = await request.json()
        recorder.bodies.append(body)
        answer = answer_for(body)
        if body.get("stream"):
            events = response_events(body, answer, recorder.chunk_size)
            return StreamingResponse(_sse(events), media_type="text/event-stream")
        return JSONResponse(response_object(body, answer))

    async def completions(request: Request) -> Response:
        body = await request.json()
        recorder.bodies.append(body)
        answer = answer_for(body)
        if body.get("stream"):
            chunks = completion_chunks(body, answer, recorder.chunk_size)
            return StreamingResponse(_sse([*chunks, "[DONE]"]), media_type="text/event-stream")
        return JSONResponse(_text_completion(body, [{"index": 0, "text": answer, "finish_reason": "stop"}]))

    return Starlette(
        routes=[
            Route("/v1/chat/completions", chat, methods=["POST"]),
            Route("/v1/embeddings", embeddings, methods=["POST"]),
            Route("/v1/responses", responses, methods=["POST"]),
            Route("/v1/completions", completions, methods=["POST"]),
        ]
    )


async def _sse(events: list[Any]) -> AsyncIterator[bytes]:
    for event in events:
        data = event if isinstance(event, str) else json.dumps(event, ensure_ascii=False)
        yield f"data: {data}\n\n".encode()


def response_object(body: dict[str, Any], answer: str) -> dict[str, Any]:
    message = {
        "type": "message",
        "id": "msg_1",
        "role": "assistant",
        "status": "completed",
        "content": [{"type": "output_text", "text": answer, "annotations": []}],
    }
    return {
        "id": "resp_rec",
        "object": "response",
        "created_at": 0,
        "model": body.get("model"),
        "status": "completed",
        "output": [message],
        "parallel_tool_calls": True,
        "tool_choice": "auto",
        "tools": [],
        "usage": {"input_tokens": 11, "output_tokens": 7, "total_tokens": 18},
    }


def response_events(body: dict[str, Any], answer: str, size: int) -> list[dict[str, Any]]:
    """The events of a streamed answer, the text cut into small deltas."""
    done = response_object(body, answer)
    item, part = done["output"][0], done["output"][0]["content"][0]
    ids = {"item_id": "msg_1", "output_index": 0, "content_index": 0}
    deltas = [
        {"type": "response.output_text.delta", **ids, "delta": answer[i : i + size]}
        for i in range(0, len(answer), size)
    ]
    events = [
        {"type": "response.created", "response": {**done, "status": "in_progress", "output": []}},
        {"type": "response.output_item.added", "output_index": 0, "item": {**item, "content": []}},
        {"type": "response.content_part.added", **ids, "part": {**part, "text": ""}},
        *deltas,
        {"type": "response.output_text.done", **ids, "text": answer},
        {"type": "response.content_part.done", **ids, "part": part},
        {"type": "response.output_item.done", "output_index": 0, "item": item},
        {"type": "response.completed", "response": done},
    ]
    return [{**event, "sequence_number": number} for number, event in enumerate(events)]


def completion_chunks(body: dict[str, Any], answer: str, size: int) -> list[dict[str, Any]]:
    pieces = [answer[i : i + size] for i in range(0, len(answer), size)]
    chunks = [_text_completion(body, [{"index": 0, "text": p, "finish_reason": None}]) for p in pieces]
    return [*chunks, _text_completion(body, [{"index": 0, "text": "", "finish_reason": "stop"}])]


def _text_completion(body: dict[str, Any], choices: list[dict[str, Any]]) -> dict[str, Any]:
    usage = {"prompt_tokens": 11, "completion_tokens": 7, "total_tokens": 18}
    return {
        "id": "cmpl-rec",
        "object": "text_completion",
        "created": 0,
        "model": body.get("model"),
        "choices": choices,
        "usage": usage,
    }


def tool_arguments(answer: str) -> str:
    return json.dumps({"destinataire": PLACEHOLDER.findall(answer)[:1]}, ensure_ascii=False)


def _completion(body: dict[str, Any], answer: str) -> dict[str, Any]:
    message: dict[str, Any] = {"role": "assistant", "content": answer}
    if body.get("tools"):
        arguments = tool_arguments(answer)
        message["tool_calls"] = [
            {
                "id": "call_1",
                "type": "function",
                "function": {"name": "envoyer", "arguments": arguments},
            }
        ]
    return {
        "id": "chatcmpl-rec",
        "object": "chat.completion",
        "created": 0,
        "model": body["model"],
        "choices": [{"index": 0, "message": message, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 11, "completion_tokens": 7, "total_tokens": 18},
    }


async def _stream(body: dict[str, Any], answer: str, size: int, delay: float) -> AsyncIterator[bytes]:
    base = {
        "id": "chatcmpl-rec",
        "object": "chat.completion.chunk",
        "created": 0,
        "model": body["model"],
    }
    pieces = [answer[i : i + size] for i in range(0, len(answer), size)]
    for piece in pieces:
        if delay:
            await asyncio.sleep(delay)
        chunk = {
            **base,
            "choices": [{"index": 0, "delta": {"content": piece}, "finish_reason": None}],
        }
        yield f"data: {json.dumps(chunk, ensure_ascii=False)}\n\n".encode()
    if body.get("tools"):  # then a tool call, its arguments cut into small deltas too
        for delta in _tool_call_deltas(tool_arguments(answer), size):
            chunk = {**base, "choices": [{"index": 0, "delta": delta, "finish_reason": None}]}
            yield f"data: {json.dumps(chunk, ensure_ascii=False)}\n\n".encode()
    finish = "tool_calls" if body.get("tools") else "stop"
    end = {**base, "choices": [{"index": 0, "delta": {}, "finish_reason": finish}]}
    yield f"data: {json.dumps(end)}\n\n".encode()
    usage = {
        **base,
        "choices": [],
        "usage": {"prompt_tokens": 11, "completion_tokens": 7, "total_tokens": 18},
    }
    yield f"data: {json.dumps(usage)}\n\n".encode()
    yield b"data: [DONE]\n\n"


def _tool_call_deltas(arguments: str, size: int) -> list[dict[str, Any]]:
    start = {"index": 0, "id": "call_1", "type": "function", "function": {"name": "envoyer", "arguments": ""}}
    pieces = [arguments[i : i + size] for i in range(0, len(arguments), size)]
    rest = [{"index": 0, "function": {"arguments": piece}} for piece in pieces]
    return [{"tool_calls": [call]} for call in [start, *rest]]
