"""The pure policy core: which model a caller may use, and what to do with each finding. No I/O."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from proxy.entities import Entity
from proxy.errors import ModelNotAllowed, ModelNotFound, PersonalDataBlocked
from proxy.policy.schema import Action, Policy


@dataclass(frozen=True, slots=True)
class Plan:
    """What the policy allows for this caller and model, before looking at the data."""

    service: str
    model: str
    actions: Mapping[Entity, Action]


def allowed_models(policy: Policy, service: str) -> tuple[str, ...]:
    rules = policy.services.get(service)
    return rules.models if rules else ()


def plan(policy: Policy, service: str, model: str) -> Plan:
    if model not in allowed_models(policy, service):
        raise ModelNotAllowed(
            f"Le modèle « {model} » n'est pas autorisé pour le service « {service} ». "
            "Consultez la liste des modèles autorisés (GET /v1/models)."
        )
    return Plan(service=service, model=model, actions=actions_for(policy, service))


def actions_for(policy: Policy, service: str) -> dict[Entity, Action]:
    rules = policy.services.get(service)
    actions = {entity: policy.defaults.action for entity in Entity}
    actions.update(policy.defaults.entities)
    if rules:
        actions.update(rules.entities)
    return actions


def refuse_blocked(found: Iterable[Entity], actions: Mapping[Entity, Action]) -> None:
    """Raise if any entity found is one the policy blocks; the message names the type, never the value."""
    blocked = sorted({entity for entity in found if actions[entity] is Action.BLOCK})
    if blocked:
        kinds = ", ".join(entity.phrase for entity in blocked)
        raise PersonalDataBlocked(
            f"Ce message contient {kinds} ; il ne peut pas être envoyé à ce modèle. "
            "Retirez ces données ou utilisez un modèle autorisé pour ce type de données."
        )


def model_unavailable(model: str) -> ModelNotFound:
    """The policy allows a model that no configured upstream serves."""
    return ModelNotFound(f"Le modèle « {model} » est autorisé mais aucun serveur configuré ne le fournit.")
