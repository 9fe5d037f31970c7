"""Draft records of processing activities (RGPD article 30), filled from the configuration.

Two records: the use of generative AI by agents through Garde-fou, and the register of uses itself.
What the configuration cannot know (controller, legal basis to confirm...) is left as
`[à compléter]` for the DPO. Markdown, readable as is and convertible to ODT.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from urllib.parse import urlsplit

from proxy.entities import Entity
from proxy.policy.schema import Action, EntityRule, Policy
from proxy.settings import Settings, UpstreamSettings

TODO = "[à compléter]"
HOSTING_LABELS = {
    "local": "hébergement local (sur site)",
    "sovereign": "cloud souverain",
    "eu": "prestataire dans l'Union européenne",
    "non_eu": "prestataire hors Union européenne (transfert)",
}
ACTION_LABELS = {
    Action.PSEUDONYMISE: "pseudonymisation (remplacement avant envoi, restitution dans la réponse)",
    Action.MASK: "masquage (remplacement avant envoi, jamais restitué)",
    Action.BLOCK: "refus de la requête",
    Action.ALLOW: "transmission telle quelle",
}


@dataclass(frozen=True, slots=True)
class Art30Context:
    settings: Settings
    policy: Policy | None
    policy_sha256: str | None
    public_key: str | None  # printable form of the checkpoint signing key
    today: date


def render_art30(context: Art30Context) -> str:
    parts = [_title(context), _ai_use(context), _register_record(context)]
    return "\n\n".join(parts) + "\n"


def _title(context: Art30Context) -> str:
    return (
        "# Registre des activités de traitement (article 30 du RGPD) — projet\n\n"
        f"_Brouillon produit par Garde-fou le {context.today.isoformat()} à partir de sa "
        "configuration. À relire, compléter et valider par le délégué à la protection des "
        f"données (DPO). Les mentions {TODO} ne peuvent pas être déduites de la configuration._\n\n"
        f"- Responsable de traitement : {TODO} (collectivité, adresse, représentant légal)\n"
        f"- Délégué à la protection des données : {TODO}"
    )


def _ai_use(context: Art30Context) -> str:
    settings = context.settings
    lines = [
        "## Traitement 1 — Utilisation de l'IA générative par les agents",
        "",
        "**Finalités** : aider les agents à rédiger, résumer, reformuler ou rechercher au moyen de "
        "modèles d'IA générative, à travers le proxy Garde-fou qui retire les données personnelles "
        "des demandes avant leur envoi au modèle et consigne chaque usage.",
        "",
        f"**Base légale** : exécution d'une mission d'intérêt public (art. 6.1.e RGPD) {TODO}.",
        "",
        "**Personnes concernées** : les agents utilisateurs ; les usagers et toute personne dont "
        "des données figureraient dans les demandes des agents.",
        "",
        "**Catégories de données** : contenu des demandes et des réponses, traité en mémoire le "
        "temps de la requête. Les données personnelles détectées sont traitées ainsi :",
        "",
        *_data_categories(context.policy),
        "",
        "**Services utilisateurs** :",
        "",
        *_services(context.policy),
        "",
        "**Destinataires** (modèles d'IA appelés) :",
        "",
        *[_upstream_line(upstream) for upstream in settings.upstreams],
        "",
        f"**Transferts hors de l'Union européenne** : {_transfers(settings.upstreams)}",
        "",
        *_ai_use_safeguards(context),
    ]
    return "\n".join(lines)


def _ai_use_safeguards(context: Art30Context) -> list[str]:
    settings = context.settings
    return [
        "**Durées de conservation** : les demandes et les réponses ne sont pas conservées par "
        "Garde-fou (mémoire vive, le temps de la requête) ; la table de correspondance des "
        "pseudonymes est détruite à la fin de chaque requête. Conservation chez le fournisseur "
        f"du modèle : {TODO}.",
        "",
        "**Mesures de sécurité** : détection des données personnelles en français (noms, "
        "coordonnées, NIR, IBAN...) avant tout envoi ; refus de la requête si la détection échoue ; "
        "clés d'API individuelles stockées sous forme d'empreinte ; fonctionnement sans accès à "
        "Internet hors des modèles configurés ; registre des usages infalsifiable (traitement 2) ; "
        f"chiffrement des flux (TLS) {TODO}.",
        "",
        f"_Politique appliquée : `{settings.policy}`"
        + (f", empreinte SHA-256 `{context.policy_sha256}`._" if context.policy_sha256 else "._"),
    ]


def _data_categories(policy: Policy | None) -> list[str]:
    if policy is None:
        return [f"- {TODO} (politique illisible)"]
    default = policy.defaults.action
    lines = [f"- par défaut, pour toute donnée détectée : {ACTION_LABELS[default]} ;"]
    for entity, rule in policy.defaults.entities.items():
        lines.append(f"- {Entity(entity).phrase} : {ACTION_LABELS[_action(rule, default)]} ;")
    return lines


def _action(rule: Action | EntityRule, default: Action) -> Action:
    if isinstance(rule, Action):
        return rule
    return rule.action or default


def _services(policy: Policy | None) -> list[str]:
    if policy is None:
        return [f"- {TODO}"]
    lines = []
    for name, service in policy.services.items():
        models = ", ".join(service.models)
        description = f" — {service.description}" if service.description else ""
        specific = [
            f"{Entity(entity).phrase} : {ACTION_LABELS[_action(rule, policy.defaults.action)]}"
            for entity, rule in service.entities.items()
        ]
        rules = f" ; règles propres : {' ; '.join(specific)}" if specific else ""
        lines.append(f"- `{name}`{description} (modèles : {models}){rules}")
    return lines


def _upstream_line(upstream: UpstreamSettings) -> str:
    host = urlsplit(str(upstream.base_url)).hostname or str(upstream.base_url)
    hosting = HOSTING_LABELS.get(str(upstream.hosting), str(upstream.hosting))
    demo = " — modèle de démonstration intégré, aucun envoi" if upstream.is_demo else ""
    return f"- `{upstream.name}` ({host}) : {hosting} ; modèles : {', '.join(upstream.models)}{demo}"


def _transfers(upstreams: tuple[UpstreamSettings, ...]) -> str:
    abroad = [u.name for u in upstreams if str(u.hosting) == "non_eu"]
    if not abroad:
        return "aucun (aucun modèle configuré n'est hébergé hors de l'Union européenne)."
    names = ", ".join(f"`{name}`" for name in abroad)
    return f"oui, vers {names} ; garanties (art. 46 RGPD) : {TODO}."


def _register_record(context: Art30Context) -> str:
    settings = context.settings
    months = settings.register_retention_months
    key = f" Clé publique de vérification : `{context.public_key}`." if context.public_key else ""
    lines = [
        "## Traitement 2 — Registre des usages de l'IA générative (journalisation)",
        "",
        "**Finalités** : traçabilité et sécurité des usages (journalisation), preuve de la "
        "conformité, pilotage de l'usage et de sa sobriété (énergie et émissions estimées). "
        "Le registre n'est pas utilisé pour contrôler l'activité ou la productivité des agents : "
        "les statistiques sont produites par service et par mois, jamais par agent.",
        "",
        "**Base légale** : obligation de journalisation des déployeurs de systèmes d'IA (AI Act, "
        f"art. 26) et mission d'intérêt public {TODO}.",
        "",
        "**Personnes concernées** : les agents utilisateurs (identifiant de compte).",
        "",
        "**Catégories de données** : horodatage (UTC), identifiant de la requête, identifiant de "
        "compte de l'agent, service, modèle demandé et modèle utilisé, serveur amont, décision "
        "(transmise, bloquée, échouée), statut, nombre de données personnelles retirées par type "
        "(jamais les données elles-mêmes), règles appliquées, jetons, durée, énergie et émissions "
        "estimées. Ni le texte des demandes, ni celui des réponses, ni aucune clé.",
        "",
        "**Destinataires** : le RSSI et le DPO, seuls habilités à consulter et exporter le registre.",
        "",
        f"**Durée de conservation** : {months} mois, puis purge automatique quotidienne par blocs "
        "entiers, chaque purge laissant une trace signée.",
        "",
        f"**Mesures de sécurité** : {_storage(settings)}, lignes chaînées par empreintes SHA-256, "
        "points de contrôle signés (Ed25519, clé privée hors de la base) recopiés hors de la base, "
        f"vérification par `gardefou register verify`, {_backups(settings)}." + key,
        "",
        _location(settings),
    ]
    return "\n".join(lines)


def _storage(settings: Settings) -> str:
    if settings.register_url:
        return (
            "base PostgreSQL en ajout seul (rôle applicatif limité à la lecture et à l'ajout, "
            "déclencheurs refusant modifications et suppressions hors purge signée)"
        )
    return "base SQLite en ajout seul (modifications et suppressions refusées)"


def _backups(settings: Settings) -> str:
    if settings.register_url:
        return "sauvegardes par pg_dump (`gardefou register backup`)"
    return "sauvegardes cohérentes par l'API de sauvegarde de SQLite"


def _location(settings: Settings) -> str:
    if settings.register_url:
        parts = urlsplit(settings.register_url)
        return f"_Base du registre : PostgreSQL `{parts.hostname}:{parts.port or 5432}{parts.path}`._"
    return f"_Fichier du registre : `{settings.register_path}`._"
