"""The policy's `attachments` section: which raw kinds may go to which hosting classes."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from proxy.attachments import RawKind, Treatment, raw_allowed, raw_refusal, register_key
from proxy.errors import DataNotAllowed
from proxy.policy.schema import AttachmentRules, Policy

HOSTINGS = ("local", "sovereign", "eu", "non_eu")


def test_nothing_raw_is_allowed_by_default() -> None:
    rules = Policy.model_validate({"services": {"s": {"models": ["m"]}}}).attachments_for("s")
    assert rules == AttachmentRules()
    assert not any(raw_allowed(rules, kind, hosting) for kind in RawKind for hosting in HOSTINGS)
    assert rules.ocr is False


def test_images_only_to_local() -> None:
    rules = AttachmentRules.model_validate({"raw": {"image": ["local"]}})
    allowed = {(kind, h) for kind in RawKind for h in HOSTINGS if raw_allowed(rules, kind, h)}
    assert allowed == {("image", "local")}
    assert not raw_allowed(rules, "image-ocr", "local")
    assert not raw_allowed(rules, "image", "moon")


def test_a_service_replaces_the_defaults() -> None:
    policy = Policy.model_validate(
        {
            "defaults": {"attachments": {"raw": {"image": ["local"]}, "max_bytes": 1000}},
            "services": {"a": {"models": ["m"]}, "b": {"models": ["m"], "attachments": {"ocr": True}}},
        }
    )
    assert policy.attachments_for("a").max_bytes == 1000
    assert policy.attachments_for("b") == AttachmentRules(ocr=True)
    assert policy.attachments_for("unknown") == policy.defaults.attachments


@pytest.mark.parametrize(
    "section",
    [{"raw": {"video": ["local"]}}, {"raw": {"image": ["cloud"]}}, {"max_bytes": 0}, {"orc": True}],
)
def test_mistakes_are_refused(section: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        AttachmentRules.model_validate(section)


def test_the_refusal_is_a_french_403_naming_the_part() -> None:
    error = raw_refusal("image_url", "image")
    assert isinstance(error, DataNotAllowed) and error.status == 403
    assert error.message.startswith("Pièce jointe (partie de type « image_url ») refusée : une image")


def test_register_keys_hold_kinds_and_treatments_only() -> None:
    assert register_key("pdf", Treatment.EXTRACTED) == "pdf:extracted"
    assert register_key(RawKind.IMAGE, Treatment.REFUSED) == "image:refused"
