"""A loopback OpenAI-compatible upstream for benchmarks: answers at once, costs little CPU.

Non-streamed requests get a JSON completion immediately; streamed requests get `--chunks` SSE chunks,
`--delay-ms` apart (the first one at once). The answer repeats the placeholders of the last user
message, so the proxy really restores values. Run alone with:

    .venv/bin/python -m bench.fake_upstream --port 9100 --chunks 20 --delay-ms 50
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
from collections.abc import AsyncIterator
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

PLACEHOLDER = re.compile(r"\[[A-Z_]+_[0-9A-Za-z]+\]")
USAGE = {"prompt_tokens": 100, "completion_tokens": 20, "total_tokens": 120}


def answer_for(body: dict[str, Any]) -> str:
    users = [m for m in body.get("messages", []) if m.get("role") == "user"]
    content = users[-1].get("content", "") if users else ""
    found = PLACEHOLDER.findall(content if isinstance(content, str) else json.dumps(content))
    named = ", ".join(found[:6]) if found else "aucune donnée"
    return f"Voici le courrier demandé. Il concerne {named}. Je reste à votre disposition."


def create_fake_upstream(chunks: int, delay_s: float) -> Starlette:
    async def chat(request: Request) -> Response:
        body = await request.json()
        answer = answer_for(body)
        if body.get("stream"):
            events = _events(body["model"], answer, max(1, chunks), delay_s)
            return StreamingResponse(events, media_type="text/event-stream")
        return JSONResponse(_completion(body["model"], answer))

    return Starlette(routes=[Route("/v1/chat/completions", chat, methods=["POST"])])


def _completion(model: str, answer: str) -> dict[str, Any]:
    return {
        "id": "chatcmpl-bench",
        "object": "chat.completion",
        "created": 0,
        "model": model,
        "choices": [
            {"index": 0, "message": {"role": "assistant", "content": answer}, "finish_reason": "stop"}
        ],
        "usage": USAGE,
    }


def _pieces(answer: str, count: int) -> list[str]:
    size = max(1, -(-len(answer) // count))
    pieces = [answer[i : i + size] for i in range(0, len(answer), size)]
    return pieces + ["."] * (count - len(pieces))


async def _events(model: str, answer: str, count: int, delay_s: float) -> AsyncIterator[bytes]:
    base = {"id": "chatcmpl-bench", "object": "chat.completion.chunk", "created": 0, "model": model}
    for index, piece in enumerate(_pieces(answer, count)):
        if index and delay_s:
            await asyncio.sleep(delay_s)
        delta = {"index": 0, "delta": {"content": piece}, "finish_reason": None}
        yield _event({**base, "choices": [delta]})
    yield _event({**base, "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]})
    yield _event({**base, "choices": [], "usage": USAGE})
    yield b"data: [DONE]\n\n"


def _event(chunk: dict[str, Any]) -> bytes:
    return f"data: {json.dumps(chunk, ensure_ascii=False)}\n\n".encode()


def main() -> None:
    parser = argparse.ArgumentParser(description="Amont OpenAI factice pour les mesures de Garde-fou.")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--chunks", type=int, default=20, help="morceaux par réponse en flux")
    parser.add_argument("--delay-ms", type=float, default=50.0, help="délai entre deux morceaux")
    args = parser.parse_args()
    app = create_fake_upstream(args.chunks, args.delay_ms / 1000)
    uvicorn.run(app, host="127.0.0.1", port=args.port, log_level="warning", access_log=False)


if __name__ == "__main__":
    main()
