"""Replace findings in a text by placeholders, following the action the policy gives each type."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from proxy.analysis.findings import Finding
from proxy.entities import Entity
from proxy.policy.schema import Action
from proxy.transform.vault import Vault


def redact(text: str, findings: Sequence[Finding], actions: Mapping[Entity, Action], vault: Vault) -> str:
    """`findings` are sorted and non-overlapping; `block` must have been refused before this."""
    parts: list[str] = []
    cursor = 0
    for finding in findings:
        action = actions.get(finding.entity, Action.PSEUDONYMISE)
        if action is Action.ALLOW:
            continue
        parts.append(text[cursor : finding.start])
        parts.append(_replacement(text[finding.start : finding.end], finding.entity, action, vault))
        cursor = finding.end
    parts.append(text[cursor:])
    return "".join(parts)


def _replacement(value: str, entity: Entity, action: Action, vault: Vault) -> str:
    if action is Action.PSEUDONYMISE:
        return vault.pseudonym(entity, value)
    return f"[{entity.label}]"
