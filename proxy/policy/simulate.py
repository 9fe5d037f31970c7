"""What the proxy would do with a text, without calling any model: the DPO's `policy test`, the cases
and `gardefou analyze`.

The request is built as a chat client would send it, read by the same wire inventory, and goes
through the same plan -> detect -> decide -> redact path as the proxy (proxy/protection.py).
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from proxy.analysis.findings import Finding
from proxy.caller import Caller
from proxy.entities import EntityType
from proxy.openai_api.inventory import routes
from proxy.openai_api.segments import scan
from proxy.policy.records import Plan, PolicyDecision, Refusal
from proxy.policy.rulebook import Rulebook
from proxy.protection import plan, protect
from proxy.roles import Role


class Detects(Protocol):
    def detect(self, texts: Sequence[str]) -> list[list[Finding]]: ...


@dataclass(frozen=True, slots=True)
class Simulation:
    text: str
    plan: Plan
    decision: PolicyDecision
    redacted: str  # the text as it would reach the model (meaningless when refused)
    findings: tuple[Finding, ...]  # those of `text`, after thresholds and lists

    @property
    def refusal(self) -> Refusal | None:
        return self.decision.refusal

    @property
    def rules(self) -> tuple[str, ...]:
        return self.decision.rules

    @property
    def verdict(self) -> str:
        return self.decision.verdict.value

    @property
    def model(self) -> str:
        return self.decision.model

    def found(self) -> list[Finding]:
        return [f for row in self.decision.findings for f in row]

    def entities(self) -> set[EntityType]:
        return {finding.entity for finding in self.found()}


def caller_for(service: str, user: str = "dpo.test", roles: Sequence[Role] = ()) -> Caller:
    """An agent of `service` (with extra roles, if any), as a key or SSO would identify them."""
    return Caller(user=user, service=service, roles=frozenset({Role.AGENT, *roles}))


def chat_request(model: str, text: str, system: str | None = None) -> dict[str, Any]:
    """The body a chat client sends for one question (and its instructions)."""
    messages = [{"role": "system", "content": system}] if system else []
    return {"model": model, "messages": [*messages, {"role": "user", "content": text}]}


def simulate(
    rulebook: Rulebook,
    detector: Detects,
    caller: Caller,
    model: str,
    text: str,
    system: str | None = None,
    key: bytes | None = None,
) -> Simulation:
    """The proxy's decision and redaction for `text` sent by `caller` to `model`. `key`: the caller's
    pseudonym key (the proxy's own gives the proxy's placeholders; default: a random one)."""
    body = chat_request(model, text, system)
    scanned = scan(routes()["chat.completions"], body)
    planned = plan(rulebook, caller, scanned, body)
    protected = protect(planned, scanned, detector.detect(scanned.values), key or secrets.token_bytes(32))
    last = len(scanned.texts) - 1  # the question is the last text of the request
    return Simulation(
        text, planned, protected.decision, protected.texts[last], protected.decision.findings[last]
    )
