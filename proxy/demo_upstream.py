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


def create_demo_app() -> Starlette:
    return Starlette(
        routes=[
            Route("/v1/chat/completions", chat_completions, methods=["POST"]),
            Route("/v1/embeddings", embeddings, methods=["POST"]),
            Route("/v1/models", models),
        ]
    )
