"""The French texts the policy shows agents: refusals and the reminder added to the system prompt.

They name types, categories, rules and models, never a value taken from the request.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from proxy.entities import EntityType
from proxy.policy.rulebook import CategoryMatcher, UseMatcher
from proxy.policy.schema import Area
from proxy.settings import Hosting

HOSTING_LABELS = {
    Hosting.LOCAL: "hébergé localement",
    Hosting.SOVEREIGN: "hébergé par un prestataire souverain",
    Hosting.EU: "hébergé dans l'Union européenne",
    Hosting.NON_EU: "hébergé hors de l'Union européenne",
}

AREA_LABELS = {
    Area.BIOMETRICS: "biométrie",
    Area.CRITICAL_INFRASTRUCTURE: "infrastructures critiques",
    Area.EDUCATION: "éducation et formation",
    Area.EMPLOYMENT: "emploi, recrutement et gestion des agents",
    Area.ESSENTIAL_SERVICES: "accès aux prestations et services publics essentiels",
    Area.LAW_ENFORCEMENT: "répression et police",
    Area.MIGRATION: "migration, asile et contrôle aux frontières",
    Area.JUSTICE_DEMOCRACY: "justice et processus démocratiques",
}

HUMAN_DECIDES = "L'IA informe, un humain décide."


def model_not_allowed(model: str, service: str) -> str:
    named = "Le modèle demandé" if model.startswith("(") else f"Le modèle « {model} »"
    return (
        f"{named} n'est pas autorisé pour le service « {service} ». "
        "Consultez la liste des modèles autorisés (GET /v1/models)."
    )


def payload_too_large(size: int, limit: int) -> str:
    return (
        f"La requête est trop longue ({size} caractères ; maximum autorisé pour votre service : "
        f"{limit}). Raccourcissez le texte ou découpez-le en plusieurs demandes."
    )


def personal_data_blocked(entities: Iterable[EntityType]) -> str:
    kinds = ", ".join(entity.phrase for entity in sorted(entities))
    return (
        f"Ce message contient {kinds} ; il ne peut pas être envoyé à ce modèle. "
        "Retirez ces données ou utilisez un modèle autorisé pour ce type de données."
    )


def data_not_allowed(model: str, hosting: Hosting | None, categories: Sequence[CategoryMatcher]) -> str:
    names = ", ".join(f"« {c.category.description} »" for c in categories)
    allowed = sorted({h for c in categories for h in c.category.hosting}, key=list(Hosting).index)
    where = HOSTING_LABELS[hosting] if hosting else "d'hébergement inconnu"
    return (
        f"Ce message contient des données de catégorie {names}, qui ne peuvent pas être envoyées au "
        f"modèle « {model} » ({where}). Utilisez un modèle "
        f"{' ou '.join(HOSTING_LABELS[h] for h in allowed)}, ou retirez ces données."
    )


def forbidden_use(matcher: UseMatcher, service: str, area_closed: bool) -> str:
    text = (
        f"Demande refusée par la règle « {matcher.id} » de la politique de la collectivité : "
        f"{matcher.rule.description}. {HUMAN_DECIDES} L'IA peut aider à analyser un dossier, à "
        "résumer des éléments ou à rédiger, mais la décision revient à un agent habilité."
    )
    if area_closed and matcher.rule.area is not None:
        text += (
            f" Cet usage relève d'un domaine à haut risque (AI Act, annexe III : "
            f"{AREA_LABELS[matcher.rule.area]}) qui n'est pas ouvert au service « {service} »."
        )
    return text + " Reformulez la demande dans une nouvelle conversation."


def reminder(matchers: Sequence[UseMatcher]) -> str:
    topics = " ; ".join(matcher.rule.description for matcher in matchers)
    rules = ", ".join(matcher.id for matcher in matchers)
    return (
        f"Rappel de la politique de la collectivité (Garde-fou, règle {rules}) : {HUMAN_DECIDES} "
        f"Cette demande porte sur : {topics}. Ne prends aucune décision, n'attribue aucune note et "
        "n'établis aucun classement de personnes : présente des éléments factuels et rappelle que "
        "la décision appartient à un agent habilité."
    )
