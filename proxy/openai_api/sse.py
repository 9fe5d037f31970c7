"""Server-sent events as OpenAI streams them: `data: {json}` lines, ended by `data: [DONE]`."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

from proxy.errors import UpstreamBadAnswer

DONE = "[DONE]"


async def data_payloads(lines: AsyncIterator[str]) -> AsyncIterator[str]:
    """The `data:` payloads of an event stream, in order (comments and other fields dropped)."""
    async for line in lines:
        if line.startswith("data:"):
            yield line[5:].strip()


def parse_chunk(payload: str) -> dict[str, Any]:
    try:
        chunk = json.loads(payload)
    except json.JSONDecodeError:
        chunk = None
    if not isinstance(chunk, dict):
        raise UpstreamBadAnswer(
            "Le modèle amont a envoyé un événement de flux illisible ; la requête lui a été transmise."
        )
    return chunk


def encode(payload: dict[str, Any] | str) -> bytes:
    """One event; raises ValueError (UnicodeError included) on what cannot be sent (NaN, lone surrogate)."""
    text = payload if isinstance(payload, str) else json.dumps(payload, ensure_ascii=False, allow_nan=False)
    return f"data: {text}\n\n".encode()


def closing_events(leftover: dict[str, Any] | None, *, done: bool) -> list[bytes]:
    """The end of a relayed stream: a last chunk if text was still held back, then `[DONE]`."""
    events = [encode(leftover)] if leftover else []
    return [*events, encode(DONE)] if done else events


def error_event(error: dict[str, Any]) -> bytes:
    """An error raised after the stream started can only travel as an event."""
    return encode(error)
