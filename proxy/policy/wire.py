"""The OpenAI request as the policy sees it: facts read before detection, changes made to the outgoing body.

Reading (from the scanned request, see proxy/openai_api/segments.py): the model, the total size of
every text, the requested max tokens, and the instruction texts where forbidden uses are looked for.
Writing (on the outgoing body, a fresh value built from the inventory): the model actually called
(re-routing), the max tokens clamp, and the reminder added to the instructions.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from proxy.openai_api.segments import Scanned
from proxy.policy.records import PolicyDecision, RequestFacts

EMBEDDINGS = "embeddings"
RESPONSES = "responses"
COMPLETIONS = "completions"
TOKEN_FIELDS = {
    "chat.completions": ("max_completion_tokens", "max_tokens"),
    RESPONSES: ("max_output_tokens",),
    COMPLETIONS: ("max_tokens",),
}


def facts(scanned: Scanned, body: dict[str, Any]) -> RequestFacts:
    """Embeddings carry no instruction: a text to embed is not a request made to the model."""
    route = scanned.route.name
    instructions = () if route == EMBEDDINGS else tuple(t.value for t in scanned.texts if t.instruction)
    return RequestFacts(
        endpoint=route,
        model=str(body.get("model", "")),
        input_chars=sum(len(text.value) for text in scanned.texts),
        max_tokens=_requested_tokens(route, body),
        instructions=instructions,
    )


def _requested_tokens(route: str, body: dict[str, Any]) -> int | None:
    names = TOKEN_FIELDS.get(route, ())
    values = [body[f] for f in names if isinstance(body.get(f), int) and body[f] > 0]
    return min(values) if values else None


def apply(route: str, body: dict[str, Any], decision: PolicyDecision) -> None:
    """Rewrite the outgoing body as decided (after redaction, before forwarding); its token fields:
    `clamp_tokens`."""
    body["model"] = decision.model
    if decision.reminder is not None:
        _REMINDERS[route](body, decision.reminder)


def clamp_tokens(route: str, body: dict[str, Any], decided: int | None, ceiling: int | None) -> None:
    """The one place the outgoing token fields are set: the policy's decided value (written even
    when the agent asked none), then the configuration's ceiling (`limits.max_tokens` of the
    service) over any value still above it."""
    names = TOKEN_FIELDS.get(route, ())
    if decided is not None and names:
        present = [f for f in names if body.get(f) is not None]
        for name in present or [names[-1]]:
            body[name] = decided
    if ceiling is None:
        return
    for name in names:
        value = body.get(name)
        if isinstance(value, int) and not isinstance(value, bool) and value > ceiling:
            body[name] = ceiling


def _remind_chat(body: dict[str, Any], reminder: str) -> None:
    messages: list[dict[str, Any]] = body["messages"]
    first = messages[0] if messages else None
    instructs = first is not None and first.get("role") in ("system", "developer")
    if first is not None and instructs and isinstance(first.get("content"), str):
        first["content"] = f"{first['content']}\n\n{reminder}"
    else:
        messages.insert(0, {"role": "system", "content": reminder})


def _remind_responses(body: dict[str, Any], reminder: str) -> None:
    instructions = body.get("instructions")
    body["instructions"] = f"{instructions}\n\n{reminder}" if isinstance(instructions, str) else reminder


def _remind_completions(body: dict[str, Any], reminder: str) -> None:
    prompt = body.get("prompt")
    if isinstance(prompt, list):
        body["prompt"] = [f"{reminder}\n\n{item}" for item in prompt]
    else:
        body["prompt"] = f"{reminder}\n\n{prompt}"


def _no_reminder(body: dict[str, Any], reminder: str) -> None:
    """Embeddings: nothing instructs the model."""


_REMINDERS: dict[str, Callable[[dict[str, Any], str], None]] = {
    "chat.completions": _remind_chat,
    RESPONSES: _remind_responses,
    COMPLETIONS: _remind_completions,
    EMBEDDINGS: _no_reminder,
}


def route_header(decision: PolicyDecision) -> dict[str, str]:
    """`X-Gardefou-Route` on every forwarded answer: direct, or rerouted from one model to another."""
    if decision.rerouted:
        return {"X-Gardefou-Route": f"rerouted; from={decision.requested_model}; to={decision.model}"}
    return {"X-Gardefou-Route": "direct"}
