"""The policy in plain French, for the DPO, the RSSI and the agents' managers (`gardefou policy explain`)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping

from proxy.entities import entity_type
from proxy.governance.explain import governance_lines
from proxy.policy.messages import AREA_LABELS, HOSTING_LABELS
from proxy.policy.schema import Action, EntityRule, Limits, OnViolation, Policy, ServicePolicy, UseAction
from proxy.settings import Hosting

ACTION_LABELS = {
    Action.PSEUDONYMISE: "pseudonymisation (remplacement par un pseudonyme, restitué dans la réponse)",
    Action.MASK: "masquage (jamais restitué)",
    Action.BLOCK: "refus de la requête",
    Action.ALLOW: "transmission telle quelle",
}
USE_LABELS = {
    UseAction.BLOCK: "refusée (403)",
    UseAction.WARN: "transmise avec un rappel au modèle : l'IA informe, un humain décide",
    UseAction.NOTICE: "transmise ; la réponse porte la mention « texte rédigé avec l'aide d'une IA »",
}


def explain(policy: Policy, hosting: Mapping[str, Hosting]) -> list[str]:
    """One paragraph per section; models are described with their hosting when it is known."""
    lines = [f"Politique « {policy.name or 'sans nom'} »", ""]
    for section in (_defaults, _categories, _uses, _grants, governance_lines):
        lines += [*section(policy), ""]
    for name, service in policy.services.items():
        lines += [*_service(name, service, hosting), ""]
    return lines[:-1]


def _entity_rules(rules: Mapping[str, Action | EntityRule]) -> Iterator[str]:
    for entity, rule in rules.items():
        rule = EntityRule(action=rule) if isinstance(rule, Action) else rule
        parts = [ACTION_LABELS[rule.action]] if rule.action else []
        if rule.threshold is not None:
            parts.append(f"pris en compte à partir d'un score de {rule.threshold:.2f}")
        yield f"  - {entity_type(entity).phrase} ({entity}) : {', '.join(parts)}"


def _limits(limits: Limits) -> Iterator[str]:
    if limits.max_input_chars:
        yield f"  - taille maximale d'une requête : {limits.max_input_chars} caractères"
    if limits.max_tokens:
        yield f"  - longueur maximale d'une réponse : {limits.max_tokens} jetons"
    if limits.requests_per_minute:
        yield f"  - au plus {limits.requests_per_minute} requêtes par minute pour le service"


def _defaults(policy: Policy) -> Iterator[str]:
    defaults = policy.defaults
    yield "Règles générales :"
    yield f"  - toute donnée personnelle détectée : {ACTION_LABELS[defaults.action]}"
    if defaults.threshold:
        yield f"  - une détection compte à partir d'un score de {defaults.threshold:.2f}"
    yield from _entity_rules(defaults.entities)
    yield f"  - données sensibles vers un modèle non autorisé : {_violation(defaults.on_violation)}"
    yield from _lists(defaults.lists.allow, defaults.lists.deny)
    yield from _limits(defaults.limits)


def _violation(on_violation: OnViolation) -> str:
    if on_violation is OnViolation.REROUTE:
        return "la requête est envoyée à un modèle de repli autorisé"
    return "la requête est refusée"


def _lists(allow: tuple[str, ...], deny: tuple[str, ...]) -> Iterator[str]:
    if allow:
        yield f"  - {len(allow)} terme(s) jamais traité(s) comme donnée personnelle (liste d'autorisation)"
    if deny:
        yield f"  - {len(deny)} terme(s) toujours traité(s) comme donnée personnelle (liste d'exclusion)"


def _categories(policy: Policy) -> Iterator[str]:
    yield "Catégories de données sensibles :"
    for category_id, category in policy.categories.items():
        where = ", ".join(HOSTING_LABELS[h] for h in category.hosting)
        signs = [entity_type(e).phrase for e in category.entities]
        if category.keywords:
            signs.append(f"{len(category.keywords)} mot(s)-clé(s) (« {category.keywords[0]} »...)")
        yield f"  - {category.description} ({category_id}) : reconnue par {', '.join(signs)}."
        yield f"    Ne peut être envoyée qu'à un modèle {where}."


def _uses(policy: Policy) -> Iterator[str]:
    yield "Usages interdits (l'IA informe, un humain décide) :"
    for rule_id, rule in policy.uses.items():
        area = f" — domaine à haut risque : {AREA_LABELS[rule.area]}" if rule.area else ""
        yield f"  - {rule.description} ({rule_id}{area}) : demande {USE_LABELS[rule.action]}."


def _grants(policy: Policy) -> Iterator[str]:
    yield "Autorisations individuelles (en plus du catalogue du service) :"
    for role, grant in policy.roles.items():
        yield f"  - rôle « {role} » : {', '.join(grant.models)}"
    for user, grant in policy.users.items():
        yield f"  - agent « {user} » : {', '.join(grant.models)}"
    if not policy.roles and not policy.users:
        yield "  (aucune)"


def _service(name: str, service: ServicePolicy, hosting: Mapping[str, Hosting]) -> Iterator[str]:
    def described(model: str) -> str:
        where = hosting.get(model)
        return f"« {model} » ({HOSTING_LABELS[where]})" if where else f"« {model} »"

    yield f"Service « {name} »" + (f" — {service.description}" if service.description else "") + " :"
    yield f"  - modèles autorisés : {', '.join(described(m) for m in service.models)}"
    if service.fallback_models:
        yield f"  - modèles de repli : {', '.join(described(m) for m in service.fallback_models)}"
    if service.on_violation:
        yield f"  - données sensibles vers un modèle non autorisé : {_violation(service.on_violation)}"
    yield from _entity_rules(service.entities)
    for rule_id, action in service.uses.items():
        yield f"  - usage « {rule_id} » : demande {USE_LABELS[action]}"
    for area in service.assessed_areas:
        yield f"  - domaine évalué et ouvert : {AREA_LABELS[area]} (rappel au lieu d'un refus)"
    yield from _lists(service.lists.allow, service.lists.deny)
    yield from _limits(service.limits)
