"""Redaction follows the action per type: pseudonymise (restorable), mask (never restored), allow."""

from __future__ import annotations

from proxy.analysis.findings import Finding
from proxy.entities import Entity
from proxy.policy.schema import Action
from proxy.transform.placeholders import PlaceholderStyle
from proxy.transform.redact import irreversible, redact
from proxy.transform.restore import restore
from proxy.transform.vault import build_vault
from tests.transform.samples import KEY_A

TEXT = "Marie Dubois, NIR 1 84 12 76 451 089 46, le 3 mars, tél. 06 12 34 56 78"
FINDINGS = [
    Finding(0, 12, Entity.PERSON, 0.9, "test"),
    Finding(18, 39, Entity.NIR, 1.0, "test"),
    Finding(44, 50, Entity.DATE, 0.9, "test"),
    Finding(57, 71, Entity.PHONE, 1.0, "test"),
]
ACTIONS = {
    Entity.PERSON: Action.PSEUDONYMISE,
    Entity.NIR: Action.MASK,
    Entity.DATE: Action.ALLOW,
    Entity.PHONE: Action.PSEUDONYMISE,
}


def _redacted(style: PlaceholderStyle, actions: dict[Entity, Action]) -> tuple[str, str]:
    vault = build_vault(KEY_A, style, [TEXT], [FINDINGS], actions)
    redacted = redact(TEXT, FINDINGS, actions, vault, style)
    return redacted, restore(redacted, vault)


def test_each_type_gets_its_action_and_only_pseudonyms_come_back() -> None:
    assert [TEXT[f.start : f.end] for f in FINDINGS] == [
        "Marie Dubois",
        "1 84 12 76 451 089 46",
        "3 mars",
        "06 12 34 56 78",
    ]
    redacted, restored = _redacted(PlaceholderStyle.TYPED, ACTIONS)
    assert redacted.startswith("[PERSONNE_") and ", NIR [NIR], le 3 mars, tél. [TELEPHONE_" in redacted
    assert restored == TEXT.replace("1 84 12 76 451 089 46", "[NIR]")


def test_opaque_style_hides_the_type_from_the_model() -> None:
    redacted, restored = _redacted(PlaceholderStyle.OPAQUE, ACTIONS)
    assert "PERSONNE" not in redacted and "TELEPHONE" not in redacted and "[DONNEE]" in redacted
    assert redacted.count("[DONNEE_") == 2
    assert restored == TEXT.replace("1 84 12 76 451 089 46", "[DONNEE]")


def test_irreversible_actions_mask_what_would_have_been_pseudonymised() -> None:
    actions = irreversible(ACTIONS)
    assert actions == {**ACTIONS, Entity.PERSON: Action.MASK, Entity.PHONE: Action.MASK}
    redacted, restored = _redacted(PlaceholderStyle.TYPED, actions)
    assert redacted == "[PERSONNE], NIR [NIR], le 3 mars, tél. [TELEPHONE]" == restored
