"""What the agent reads at the end of an answer: the AI-generated notice (EU AI Act art. 50) and the
reminder that a human decides, where an assessed Annex III area turned a block into a warning.

`annotate` decides once per exchange (after the policy decision); the texts are appended to the
JSON answer by `append_to_completion` and to a stream by `appendix_events` (a last content chunk
before `[DONE]`). The register records `notice` (true when the notice was added).
"""

from __future__ import annotations

import time
from typing import Any

from proxy.exchange import Exchange
from proxy.governance.config import Governance
from proxy.openai_api import sse
from proxy.policy.messages import AREA_LABELS
from proxy.policy.records import Plan, PolicyDecision
from proxy.policy.rulebook import NO_SERVICE
from proxy.policy.schema import Area

NOTICE_HEADER = "X-Gardefou-AI-Notice"
SEPARATOR = "\n\n---\n"


def annotate(exchange: Exchange, plan: Plan, decision: PolicyDecision) -> None:
    """Work out the texts to append to this exchange's answer (and the notice header)."""
    governance = plan.rulebook.policy.governance
    texts = []
    areas = assessed_warnings(plan, decision)
    if areas and governance.human_control.in_answer:
        labels = ", ".join(AREA_LABELS[area] for area in areas)
        texts.append(governance.human_control.text.replace("{areas}", labels))
    if notice_due(governance, plan.service, decision):
        exchange.notice = True
        if governance.notice.in_answer:
            texts.append(governance.notice.text.replace("{model}", decision.model))
        if governance.notice.header:
            exchange.headers[NOTICE_HEADER] = f"ai-generated; model={decision.model}"
    exchange.answer_suffix = SEPARATOR + "\n\n".join(texts) if texts else ""


def notice_due(governance: Governance, service: str, decision: PolicyDecision) -> bool:
    """For every answer of a listed service, or when a `notice` use rule (publication) matched."""
    if service in governance.notice.services:
        return True
    return any(f"use.{use}.notice" in decision.rules for use in decision.uses)


def assessed_warnings(plan: Plan, decision: PolicyDecision) -> list[Area]:
    """The Annex III areas, assessed for the service, of the use rules that warned instead of blocking."""
    policy = plan.rulebook.policy
    assessed = policy.services.get(plan.service, NO_SERVICE).assessed_areas
    areas = []
    for use in decision.uses:
        area = policy.uses[use].area
        if f"use.{use}.warn" in decision.rules and area in assessed and area not in areas:
            areas.append(area)
    return [area for area in areas if area is not None]


def append_to_completion(answer: dict[str, Any], suffix: str) -> None:
    """Append `suffix` to the text of each choice of a JSON chat completion (not to tool calls)."""
    if not suffix:
        return
    for choice in answer.get("choices") or []:
        message = choice.get("message") if isinstance(choice, dict) else None
        if isinstance(message, dict) and isinstance(message.get("content"), str):
            message["content"] += suffix


def appendix_events(exchange: Exchange, closing: list[bytes]) -> list[bytes]:
    """The closing events of a stream with a last content chunk before `[DONE]` (only when the
    upstream ended the stream properly: a cut answer gets no notice)."""
    done = sse.encode(sse.DONE)
    if not exchange.answer_suffix or not closing or closing[-1] != done:
        return closing
    return [*closing[:-1], sse.encode(_tail_chunk(exchange)), done]


def _tail_chunk(exchange: Exchange) -> dict[str, Any]:
    return {
        "id": exchange.request_id,
        "object": "chat.completion.chunk",
        "created": int(time.time()),
        "model": exchange.routed_model or exchange.model,
        "choices": [{"index": 0, "delta": {"content": exchange.answer_suffix}, "finish_reason": None}],
    }
