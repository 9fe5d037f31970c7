"""The OpenAI request body as the policy sees it: facts read before detection, changes applied after.

Reading: the model, the total size of every text slot, the requested max_tokens, and the instruction
texts (system, developer and user messages) where forbidden uses are looked for. Writing: the model
actually called (re-routing), the max_tokens clamp, and the reminder appended to the system prompt.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from proxy.openai_api.segments import TextSlot
from proxy.policy.engine import CHAT
from proxy.policy.records import Decision, RequestFacts

INSTRUCTION_ROLES = frozenset({"system", "developer", "user"})
_TOKEN_FIELDS = ("max_completion_tokens", "max_tokens")
EMBEDDINGS = "embeddings"


def chat_facts(body: dict[str, Any], slots: Sequence[TextSlot]) -> RequestFacts:
    return RequestFacts(
        endpoint=CHAT,
        model=str(body["model"]),
        input_chars=sum(len(slot.text) for slot in slots),
        max_tokens=_requested_tokens(body),
        instructions=tuple(_instructions(body)),
    )


def embeddings_facts(body: dict[str, Any], slots: Sequence[TextSlot]) -> RequestFacts:
    """Embeddings carry no instruction: a text to embed is not a request made to the model."""
    return RequestFacts(
        endpoint=EMBEDDINGS, model=str(body["model"]), input_chars=sum(len(s.text) for s in slots)
    )


def _requested_tokens(body: dict[str, Any]) -> int | None:
    values = [body[f] for f in _TOKEN_FIELDS if isinstance(body.get(f), int) and body[f] > 0]
    return min(values) if values else None


def _instructions(body: dict[str, Any]) -> list[str]:
    texts: list[str] = []
    for message in body.get("messages", []):
        if message.get("role") not in INSTRUCTION_ROLES:
            continue
        content = message.get("content")
        if isinstance(content, str):
            texts.append(content)
        elif isinstance(content, list):
            texts.extend(p["text"] for p in content if isinstance(p, dict) and isinstance(p.get("text"), str))
    return texts


def apply(body: dict[str, Any], decision: Decision) -> None:
    """Rewrite the outgoing body as decided (after redaction, before forwarding)."""
    body["model"] = decision.model
    if decision.max_tokens is not None:
        present = [f for f in _TOKEN_FIELDS if f in body]
        for field in present or ["max_tokens"]:
            body[field] = decision.max_tokens
    if decision.reminder is not None:
        _remind(body, decision.reminder)


def _remind(body: dict[str, Any], reminder: str) -> None:
    messages: list[dict[str, Any]] = body["messages"]
    first = messages[0] if messages else None
    instructs = first is not None and first.get("role") in ("system", "developer")
    if first is not None and instructs and isinstance(first.get("content"), str):
        first["content"] = f"{first['content']}\n\n{reminder}"
    else:
        messages.insert(0, {"role": "system", "content": reminder})


def route_header(decision: Decision) -> dict[str, str]:
    """`X-Gardefou-Route` on every forwarded answer: direct, or rerouted from one model to another."""
    if decision.rerouted:
        return {"X-Gardefou-Route": f"rerouted; from={decision.requested_model}; to={decision.model}"}
    return {"X-Gardefou-Route": "direct"}
