"""Replace findings in a text, following the action the policy gives each type of data."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from proxy.analysis.findings import Finding
from proxy.entities import EntityType
from proxy.transform.actions import Action
from proxy.transform.placeholders import PlaceholderStyle
from proxy.transform.vault import Vault


def redact(
    text: str,
    findings: Sequence[Finding],
    actions: Mapping[EntityType, Action],
    vault: Vault,
    style: PlaceholderStyle,
) -> str:
    """`findings` are sorted and non-overlapping; `block` must have been refused before this."""
    parts: list[str] = []
    cursor = 0
    for finding in findings:
        action = actions.get(finding.entity, Action.PSEUDONYMISE)
        if action is Action.ALLOW:
            continue
        value = text[finding.start : finding.end]
        if action is Action.PSEUDONYMISE:
            replacement = str(vault.placeholder(finding.entity, value))
        else:
            replacement = style.mask(finding.entity)
        parts.append(text[cursor : finding.start] + replacement)
        cursor = finding.end
    parts.append(text[cursor:])
    return "".join(parts)


def irreversible(actions: Mapping[EntityType, Action]) -> dict[EntityType, Action]:
    """The same actions with pseudonymise turned into mask (for texts nothing comes back for)."""
    return {
        entity: Action.MASK if action is Action.PSEUDONYMISE else action for entity, action in actions.items()
    }
