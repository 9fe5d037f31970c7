"""The built-in demo model: an OpenAI-compatible app that answers in French, quoting what it received.

It lets a newcomer see the whole path work without any LLM installed: the quote shows the text as the
model saw it, and the proxy restores the placeholders in the answer, as it would with a real model.
"""

from __future__ import annotations

import hashlib
import json
import re
import time
from collections.abc import AsyncIterator
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

_PLACEHOLDER = re.compile(r"\[([A-Z][A-Z_]*_\d+)\]")


def compose_answer(messages: list[dict[str, Any]]) -> str:
    last: dict[str, Any] = next((m for m in reversed(messages) if m.get("role") == "user"), {})
    received = _text_of(last.get("content"))
    markers = sorted(set(_PLACEHOLDER.findall(received)))
    answer = f"Bonjour ! Je suis le modèle de démonstration de Garde-fou. J'ai reçu : « {received} »"
    if markers:
        answer += (
            "\n\nAvant de m'arriver, les données personnelles ont été remplacées par des marqueurs "
            f"({', '.join(markers)}) ; Garde-fou vous les restitue dans cette réponse."
        )
    return answer


def _text_of(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return " ".join(p.get("text", "") for p in content if isinstance(p, dict))
    return ""


def _completion(model: str, answer: str) -> dict[str, Any]:
    return {
        "id": f"chatcmpl-demo-{int(time.time() * 1000)}",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model,
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": answer},
                "finish_reason": "stop",
            }
        ],
        "usage": _usage(answer),
    }


def _usage(answer: str) -> dict[str, int]:
    tokens = len(answer.split())
    return {"prompt_tokens": tokens, "completion_tokens": tokens, "total_tokens": 2 * tokens}


async def _chunks(model: str, answer: str) -> AsyncIterator[bytes]:
    base = {"id": "chatcmpl-demo", "object": "chat.completion.chunk", "created": int(time.time())}
    pieces = re.findall(r"\S+\s*|\s+", answer)
    first = {"role": "assistant", "content": ""}
    for delta in [first, *({"content": piece} for piece in pieces)]:
        chunk = {**base, "model": model, "choices": [{"index": 0, "delta": delta}]}
        yield f"data: {json.dumps(chunk, ensure_ascii=False)}\n\n".encode()
    last = {**base, "model": model, "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]}
    yield f"data: {json.dumps(last)}\n\n".encode()
    yield b"data: [DONE]\n\n"


async def chat_completions(request: Request) -> Response:
    body = await request.json()
    model, answer = body.get("model", "demo"), compose_answer(body.get("messages", []))
    if body.get("stream"):
        return StreamingResponse(_chunks(model, answer), media_type="text/event-stream")
    return JSONResponse(_completion(model, answer))


async def embeddings(request: Request) -> Response:
    body = await request.json()
    inputs = body["input"] if isinstance(body["input"], list) else [body["input"]]
    data = [{"object": "embedding", "index": i, "embedding": _vector(t)} for i, t in enumerate(inputs)]
    return JSONResponse({"object": "list", "data": data, "model": body.get("model", "demo")})


def _vector(text: str) -> list[float]:
    digest = hashlib.sha256(str(text).encode()).digest()
    return [byte / 255 for byte in digest[:16]]


async def models(_request: Request) -> Response:
    return JSONResponse({"object": "list", "data": [{"id": "demo", "object": "model"}]})


async def responses(request: Request) -> Response:
    """The Responses API: `input` is a text or a list of messages (items without a role are skipped)."""
    body = await request.json()
    given = body.get("input", "")
    messages = [{"role": "user", "content": given}] if isinstance(given, str) else given
    answer = compose_answer([m for m in messages if isinstance(m, dict)])
    done = _response(body.get("model", "demo"), answer)
    if not body.get("stream"):
        return JSONResponse(done)
    ids = {"item_id": "msg_demo", "output_index": 0, "content_index": 0}
    pieces = re.findall(r"\S+\s*|\s+", answer)
    events = [
        {"type": "response.created", "response": {**done, "status": "in_progress", "output": []}},
        *({"type": "response.output_text.delta", **ids, "delta": piece} for piece in pieces),
        {"type": "response.output_text.done", **ids, "text": answer},
        {"type": "response.completed", "response": done},
    ]
    return StreamingResponse(_events(events), media_type="text/event-stream")


def _response(model: str, answer: str) -> dict[str, Any]:
    part = {"type": "output_text", "text": answer, "annotations": []}
    item = {
        "type": "message",
        "id": "msg_demo",
        "role": "assistant",
        "status": "completed",
        "content": [part],
    }
    usage = _usage(answer)
    return {
        "id": f"resp_demo_{int(time.time() * 1000)}",
        "object": "response",
        "created_at": int(time.time()),
        "model": model,
        "status": "completed",
        "output": [item],
        "tools": [],
        "tool_choice": "auto",
        "parallel_tool_calls": True,
        "usage": {"input_tokens": usage["prompt_tokens"], "output_tokens": usage["completion_tokens"]},
    }


async def completions(request: Request) -> Response:
    """Legacy completions: the prompt answered as a user message."""
    body = await request.json()
    answer = compose_answer([{"role": "user", "content": str(body.get("prompt", ""))}])
    base = {"id": "cmpl-demo", "object": "text_completion", "created": int(time.time())}
    base["model"] = body.get("model", "demo")
    if not body.get("stream"):
        choice = {"index": 0, "text": answer, "finish_reason": "stop"}
        return JSONResponse({**base, "choices": [choice], "usage": _usage(answer)})
    pieces = re.findall(r"\S+\s*|\s+", answer)
    chunks = [{**base, "choices": [{"index": 0, "text": piece, "finish_reason": None}]} for piece in pieces]
    chunks.append({**base, "choices": [{"index": 0, "text": "", "finish_reason": "stop"}]})
    return StreamingResponse(_events([*chunks, "[DONE]"]), media_type="text/event-stream")


async def _events(events: list[Any]) -> AsyncIterator[bytes]:
    for event in events:
        data = event if isinstance(event, str) else json.dumps(event, ensure_ascii=False)
        yield f"data: {data}\n\n".encode()


def create_demo_app() -> Starlette:
    return Starlette(
        routes=[
            Route("/v1/chat/completions", chat_completions, methods=["POST"]),
            Route("/v1/responses", responses, methods=["POST"]),
            Route("/v1/completions", completions, methods=["POST"]),
            Route("/v1/embeddings", embeddings, methods=["POST"]),
            Route("/v1/models", models),
        ]
    )
