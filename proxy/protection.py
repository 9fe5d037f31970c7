"""The one protect path: plan -> (detect) -> decide -> redact, shared by the proxy, `gardefou policy
test` and `gardefou analyze`.

Detection is the caller's (the proxy runs it off the event loop through its cache, the commands call
the detector): everything before and after it is here, so the three cannot disagree.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from proxy.analysis.findings import Finding
from proxy.caller import Caller
from proxy.entities import EntityType
from proxy.openai_api.segments import Scanned
from proxy.policy import engine, wire
from proxy.policy.records import Plan, PolicyDecision
from proxy.policy.rulebook import Rulebook
from proxy.transform.placeholders import outside_placeholders
from proxy.transform.redact import irreversible, redact
from proxy.transform.vault import Vault, build_vault


@dataclass(frozen=True, slots=True)
class Protected:
    decision: PolicyDecision
    texts: tuple[str, ...]  # the scanned texts as they leave, in scan order
    vault: Vault

    def counts(self, scanned: Scanned) -> Counter[EntityType]:
        """Personal data removed from the texts this request adds (not from the resent history)."""
        removes = {entity for entity, action in self.decision.actions.items() if action.removes}
        added = (
            found for text, found in zip(scanned.texts, self.decision.findings, strict=True) if text.added
        )
        return Counter(f.entity for found in added for f in found if f.entity in removes)


def plan(rulebook: Rulebook, caller: Caller, scanned: Scanned, body: dict[str, object]) -> Plan:
    """What the policy allows for this caller and request, before looking at its data."""
    return engine.plan(rulebook, caller, wire.facts(scanned, dict(body)))


def protect(
    plan: Plan,
    scanned: Scanned,
    detected: Sequence[Sequence[Finding]],
    key: bytes,
    *,
    reversible: bool = True,
) -> Protected:
    """The decision on every scanned text, and the texts redacted as decided. The vault is built from
    this request's own findings only: it can restore nothing else."""
    texts = scanned.values
    findings = [outside_placeholders(text, row) for text, row in zip(texts, detected, strict=True)]
    decision = engine.decide(plan, texts, findings)
    actions = decision.actions if reversible else irreversible(decision.actions)
    style = plan.rulebook.policy.defaults.placeholders
    vault = build_vault(key, style, texts, decision.findings, actions)
    redacted = tuple(
        redact(text, found, actions, vault, style)
        for text, found in zip(texts, decision.findings, strict=True)
    )
    return Protected(decision, redacted, vault)
