"""What the policy engine takes and returns: frozen records, no behaviour beyond small helpers."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum

from proxy.analysis.findings import Finding
from proxy.entities import EntityType
from proxy.errors import (
    DataNotAllowed,
    ForbiddenUse,
    GardefouError,
    InputTooLong,
    ModelNotAllowed,
    PersonalDataBlocked,
)
from proxy.policy.rulebook import Rulebook
from proxy.policy.schema import Action, Lists


@dataclass(frozen=True, slots=True)
class RequestFacts:
    """What the engine needs to know about a request before detection (read from its body)."""

    endpoint: str
    model: str
    input_chars: int = 0
    max_tokens: int | None = None
    instructions: tuple[str, ...] = ()  # the texts that tell the model what to do (system, user)


class RefusalKind(StrEnum):
    MODEL_NOT_ALLOWED = "model_not_allowed"
    PAYLOAD_TOO_LARGE = "payload_too_large"
    PERSONAL_DATA_BLOCKED = "personal_data_blocked"
    FORBIDDEN_USE = "forbidden_use"
    DATA_NOT_ALLOWED = "data_not_allowed"


_ERRORS: dict[RefusalKind, type[GardefouError]] = {
    RefusalKind.MODEL_NOT_ALLOWED: ModelNotAllowed,
    RefusalKind.PAYLOAD_TOO_LARGE: InputTooLong,
    RefusalKind.PERSONAL_DATA_BLOCKED: PersonalDataBlocked,
    RefusalKind.FORBIDDEN_USE: ForbiddenUse,
    RefusalKind.DATA_NOT_ALLOWED: DataNotAllowed,
}


@dataclass(frozen=True, slots=True)
class Refusal:
    kind: RefusalKind
    message: str  # French, for the agent; never quotes the request

    def error(self) -> GardefouError:
        return _ERRORS[self.kind](self.message)


@dataclass(frozen=True, slots=True)
class Plan:
    """What the policy allows for this caller and request, before looking at the data."""

    rulebook: Rulebook
    service: str
    facts: RequestFacts
    actions: Mapping[EntityType, Action]
    thresholds: Mapping[EntityType, float]
    lists: Lists
    max_tokens: int | None
    rules: tuple[str, ...]
    refusal: Refusal | None
    observed_actions: Mapping[EntityType, Action] = field(default_factory=dict)  # observe-mode rules

    @property
    def model(self) -> str:
        return self.facts.model


class Verdict(StrEnum):
    FORWARD = "forward"
    REROUTE = "reroute"
    REFUSE = "refuse"


@dataclass(frozen=True, slots=True)
class PolicyDecision:
    """What to do with this request once its data is known; `rules` names every rule that fired."""

    verdict: Verdict
    requested_model: str
    model: str
    findings: tuple[tuple[Finding, ...], ...]
    actions: Mapping[EntityType, Action]
    categories: tuple[str, ...]
    uses: tuple[str, ...]
    reminder: str | None
    max_tokens: int | None
    rules: tuple[str, ...]
    refusal: Refusal | None
    observed: tuple[str, ...] = ()  # what observe-mode rules would have done ("use.<id>.block")

    @property
    def rerouted(self) -> bool:
        return self.verdict is Verdict.REROUTE

    def found(self) -> set[EntityType]:
        return {finding.entity for found in self.findings for finding in found}
