"""One use of the proxy as the register records it: identifiers, counts, figures, never free text.

Every string field is an identifier (agent account, service, model, rule, error code...) checked
against a narrow alphabet with no spaces, so a prompt, an answer or a detected value cannot fit in a
row by construction. The one field a client chooses freely (the requested model) is replaced by a
marker when it is not a plausible model id, and account and service ids (from the identity layer)
are made safe, rather than refused, so that the use is always recorded.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from types import MappingProxyType

_TOKEN = re.compile(r"^[\w.:@/+\-]{0,200}$")
_ENTITY = re.compile(r"^[A-Z][A-Z0-9_]{0,63}$")
_NOT_TOKEN = re.compile(r"[^\w.:@/+\-]+")
INVALID_MODEL = "(identifiant-invalide)"
IDENTITY_MAX = 128


class Decision(StrEnum):
    FORWARDED = "forwarded"
    BLOCKED = "blocked"
    FAILED = "failed"

    @property
    def label(self) -> str:
        """French label used in exports and reports."""
        return _DECISION_LABELS[self]


_DECISION_LABELS = {
    Decision.FORWARDED: "transmise",
    Decision.BLOCKED: "bloquée",
    Decision.FAILED: "échouée",
}


@dataclass(frozen=True, slots=True)
class RegisterEntry:
    request_id: str
    user: str
    service: str
    endpoint: str
    model: str
    routed_model: str | None
    upstream: str | None
    policy_sha256: str
    decision: Decision
    status: int
    entity_counts: Mapping[str, int]
    rule_ids: tuple[str, ...]
    stream: bool
    duration_ms: int
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    energy_wh: float | None = None
    gco2e: float | None = None
    error_code: str | None = None
    task: str | None = None  # background task of a chat front-end (title, tags...); None: the agent's use
    attachments: Mapping[str, int] = field(default_factory=dict)  # "<kind>:<treatment>" -> count
    notice: bool = False  # the AI-generated-text notice was added to the answer
    observed_rule_ids: tuple[str, ...] = ()  # observe-mode rules that would have acted
    sent: bool = False  # the request was handed to the upstream model (whatever came back)

    def __post_init__(self) -> None:
        if not self.model or not _TOKEN.match(self.model):
            object.__setattr__(self, "model", INVALID_MODEL)
        for name in ("user", "service"):  # from the identity layer (keys, SSO): kept, made safe
            object.__setattr__(self, name, identity_token(getattr(self, name)))
        object.__setattr__(self, "decision", Decision(self.decision))
        object.__setattr__(self, "entity_counts", _frozen_counts(self.entity_counts, "entity_counts"))
        object.__setattr__(self, "rule_ids", tuple(self.rule_ids))
        object.__setattr__(self, "observed_rule_ids", tuple(self.observed_rule_ids))
        object.__setattr__(self, "attachments", _frozen_tokens_counts(self.attachments))
        for name in ("energy_wh", "gco2e"):
            _set_float(self, name)
        _check_tokens(self)
        _check_numbers(self)


def identity_token(value: str) -> str:
    """An account or service id as an identifier: other characters become `_`, length capped."""
    return _NOT_TOKEN.sub("_", value)[:IDENTITY_MAX]


def _frozen_counts(counts: Mapping[str, int], name: str) -> Mapping[str, int]:
    for key, value in counts.items():
        if not _ENTITY.match(key):
            raise ValueError(f"{name}: clé invalide {key!r}")
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise ValueError(f"{name}: compte invalide pour {key}")
    return MappingProxyType(dict(sorted(counts.items())))


def _frozen_tokens_counts(counts: Mapping[str, int]) -> Mapping[str, int]:
    for key, value in counts.items():
        if not _TOKEN.match(key) or not key:
            raise ValueError(f"attachments: clé invalide {key!r}")
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise ValueError(f"attachments: compte invalide pour {key}")
    return MappingProxyType(dict(sorted(counts.items())))


def _set_float(entry: RegisterEntry, name: str) -> None:
    value = getattr(entry, name)
    if value is not None:
        value = float(value)
        if not value >= 0 or value == float("inf"):
            raise ValueError(f"{name}: valeur invalide")
        object.__setattr__(entry, name, value)


def _check_tokens(entry: RegisterEntry) -> None:
    optional = {"routed_model": entry.routed_model, "upstream": entry.upstream}
    optional["error_code"] = entry.error_code
    optional["task"] = entry.task
    required = {"request_id": entry.request_id, "user": entry.user, "service": entry.service}
    required |= {"endpoint": entry.endpoint, "policy_sha256": entry.policy_sha256}
    for name, value in {**required, **optional}.items():
        if (value is not None or name in required) and not _TOKEN.match(str(value)):
            raise ValueError(f"{name}: identifiant invalide")
    for rule in (*entry.rule_ids, *entry.observed_rule_ids):
        if not _TOKEN.match(rule):
            raise ValueError("rule_ids: identifiant invalide")


def _check_numbers(entry: RegisterEntry) -> None:
    numbers: dict[str, int | None] = {"status": entry.status, "duration_ms": entry.duration_ms}
    numbers |= {"prompt_tokens": entry.prompt_tokens, "completion_tokens": entry.completion_tokens}
    for name, value in numbers.items():
        if value is None and name in ("prompt_tokens", "completion_tokens"):
            continue
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise ValueError(f"{name}: entier positif attendu")
    for name in ("stream", "notice", "sent"):
        if not isinstance(getattr(entry, name), bool):
            raise ValueError(f"{name}: booléen attendu")
