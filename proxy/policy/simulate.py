"""What the proxy would do with a text, without calling any model: the DPO's `policy test` and the cases.

The same plan/decide core as the proxy, fed by the same detector and the same body reading.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from proxy.analysis.findings import Finding
from proxy.auth import Caller
from proxy.entities import Entity
from proxy.openai_api.segments import chat_slots
from proxy.policy import engine, wire
from proxy.policy.records import Decision, Plan, Refusal
from proxy.policy.rulebook import Rulebook
from proxy.roles import Role


class Detects(Protocol):
    def detect(self, texts: Sequence[str]) -> list[list[Finding]]: ...


@dataclass(frozen=True, slots=True)
class Simulation:
    text: str
    plan: Plan
    decision: Decision | None  # None when the plan already refuses (no detection needed)

    @property
    def refusal(self) -> Refusal | None:
        return self.decision.refusal if self.decision else self.plan.refusal

    @property
    def rules(self) -> tuple[str, ...]:
        return self.decision.rules if self.decision else self.plan.rules

    @property
    def verdict(self) -> str:
        return self.decision.verdict.value if self.decision else "refuse"

    @property
    def model(self) -> str:
        return self.decision.model if self.decision else self.plan.model

    def found(self) -> list[Finding]:
        return [f for row in self.decision.findings for f in row] if self.decision else []

    def entities(self) -> set[Entity]:
        return {finding.entity for finding in self.found()}


def caller_for(service: str, user: str = "dpo.test", roles: Sequence[Role] = ()) -> Caller:
    """An agent of `service` (with extra roles, if any), as a key or SSO would identify them."""
    return Caller(user=user, service=service, roles=frozenset({Role.AGENT, *roles}))


def simulate(
    rulebook: Rulebook, detector: Detects, caller: Caller, model: str, text: str, system: str | None = None
) -> Simulation:
    body: dict[str, Any] = {"model": model, "messages": []}
    if system:
        body["messages"].append({"role": "system", "content": system})
    body["messages"].append({"role": "user", "content": text})
    slots = chat_slots(body)
    plan = engine.plan(rulebook, caller, wire.chat_facts(body, slots))
    if plan.refusal is not None:
        return Simulation(text, plan, None)
    texts = [slot.text for slot in slots]
    return Simulation(text, plan, engine.decide(plan, texts, detector.detect(texts)))
