"""What a policy must agree with in the running proxy: served models, hosting, active recognizers.

Each problem names the key it is about, so the loader can add the file's line; a policy with any
problem is refused (at start-up: the proxy does not start; on reload: the previous policy stays).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass

from proxy.attachments.ocr import ocr_available
from proxy.entities import CustomEntity, EntityType, entity_type
from proxy.policy.schema import AttachmentRules, EntityRules, OnViolation, Policy, ServicePolicy
from proxy.settings import Hosting, Settings


@dataclass(frozen=True, slots=True)
class PolicyContext:
    """The running proxy as the policy sees it: where each served model is hosted, what is detected."""

    hosting: Mapping[str, Hosting]
    active_entities: frozenset[EntityType]
    ocr_available: bool = True  # Tesseract with French data, for `attachments.ocr`

    @classmethod
    def of(cls, settings: Settings, active_entities: frozenset[EntityType]) -> PolicyContext:
        hosting = {model: up.hosting for up in settings.upstreams for model in up.models}
        return cls(hosting, active_entities, ocr_available())


@dataclass(frozen=True, slots=True)
class Problem:
    keys: tuple[str, ...]
    message: str  # French


def problems(policy: Policy, context: PolicyContext) -> list[Problem]:
    return [
        *_unserved_models(policy, context),
        *_inactive_entities(policy, context),
        *_routes(policy, context),
        *_ocr_without_tesseract(policy, context),
    ]


def _named_models(policy: Policy) -> Iterator[tuple[tuple[str, ...], str]]:
    for name, service in policy.services.items():
        for field in ("models", "fallback_models"):
            for index, model in enumerate(getattr(service, field)):
                yield ("services", name, field, str(index)), model
    for section in ("roles", "users"):
        for name, grant in getattr(policy, section).items():
            for index, model in enumerate(grant.models):
                yield (section, name, "models", str(index)), model
    for kind, rule in policy.tasks.items():  # a task routed to a model nobody serves
        if rule.model is not None:
            yield ("tasks", str(kind), "model"), rule.model


def _unserved_models(policy: Policy, context: PolicyContext) -> Iterator[Problem]:
    served = ", ".join(sorted(context.hosting)) or "aucun"
    for keys, model in _named_models(policy):
        if model not in context.hosting:
            yield Problem(
                keys, f"modèle « {model} » servi par aucun amont configuré (modèles servis : {served})"
            )


def _named_entities(policy: Policy) -> Iterator[tuple[tuple[str, ...], str]]:
    def of_rules(prefix: tuple[str, ...], rules: EntityRules) -> Iterator[tuple[tuple[str, ...], str]]:
        for entity in rules:
            yield (*prefix, "entities", str(entity)), entity

    yield from of_rules(("defaults",), policy.defaults.entities)
    for name, service in policy.services.items():
        yield from of_rules(("services", name), service.entities)
    for name, category in policy.categories.items():
        for index, entity in enumerate(category.entities):
            yield ("categories", name, "entities", str(index)), entity


def custom_types_named(policy: Policy) -> frozenset[str]:
    """The collectivité's own types (models/custom_recognizers.yaml) the policy names."""
    return frozenset(
        str(e) for _, e in _named_entities(policy) if isinstance(entity_type(str(e)), CustomEntity)
    )


def _inactive_entities(policy: Policy, context: PolicyContext) -> Iterator[Problem]:
    active = ", ".join(sorted(context.active_entities))
    for keys, entity in _named_entities(policy):
        if entity not in context.active_entities:
            yield Problem(
                keys,
                f"type de donnée « {entity} » sans reconnaisseur actif (models/recognizers.yaml) ; "
                f"types détectés : {active}",
            )


def _routes(policy: Policy, context: PolicyContext) -> Iterator[Problem]:
    """Every (service model, category it may not receive) pair needs a fallback that accepts it."""
    for name, service in policy.services.items():
        reroute = (service.on_violation or policy.defaults.on_violation) is OnViolation.REROUTE
        unserved = set(service.models + service.fallback_models) - set(context.hosting)
        if not reroute or unserved:  # an unserved model is reported on its own
            continue
        if not service.fallback_models:
            yield Problem(
                ("services", name, "on_violation"),
                "« reroute » demande au moins un modèle de repli (fallback_models)",
            )
            continue
        yield from _impossible_routes(policy, name, service, context)


def _impossible_routes(
    policy: Policy, name: str, service: ServicePolicy, context: PolicyContext
) -> Iterator[Problem]:
    for category_id, category in policy.categories.items():
        fallbacks = [context.hosting.get(m) for m in service.fallback_models]
        if any(h in category.hosting for h in fallbacks):
            continue
        for model in service.models:
            if context.hosting.get(model) not in category.hosting:
                yield Problem(
                    ("services", name, "fallback_models"),
                    f"route impossible : les données « {category_id} » ne peuvent aller ni au modèle "
                    f"« {model} » ni à aucun modèle de repli (hébergements acceptés : "
                    f"{', '.join(category.hosting)})",
                )
                break


def _ocr_without_tesseract(policy: Policy, context: PolicyContext) -> Iterator[Problem]:
    if context.ocr_available:
        return
    sections: list[tuple[tuple[str, ...], AttachmentRules | None]] = [
        (("defaults", "attachments", "ocr"), policy.defaults.attachments),
        *((("services", n, "attachments", "ocr"), s.attachments) for n, s in policy.services.items()),
    ]
    for keys, rules in sections:
        if rules is not None and rules.ocr:
            yield Problem(
                keys,
                "« ocr: true » demande Tesseract et ses données françaises sur ce serveur (paquets "
                "Debian tesseract-ocr, tesseract-ocr-fra et tesseract-ocr-eng)",
            )
