"""Policy file schema (pydantic, unknown keys rejected); field reference in policies/README.md.

Only what one file can say about itself is checked here (types, ranges, references between its own
sections). What depends on the running proxy (served models, hosting, active recognizers) is checked
by proxy/policy/checks.py.
"""

from __future__ import annotations

import re
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, Field, field_validator, model_validator

from proxy.attachments.kinds import RawKind
from proxy.config_file import STRICT
from proxy.entities import Entity, entity_type
from proxy.governance.config import Governance
from proxy.policy.lexicon import ALTERNATIVE_SEPARATOR, unusable_terms
from proxy.policy.use_model import use_model
from proxy.roles import Role
from proxy.settings import Hosting
from proxy.tasks import TaskKind
from proxy.transform.actions import Action as Action  # re-exported: the rules name it
from proxy.transform.placeholders import PlaceholderStyle

Identifier = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9_-]{0,63}$")]
Score = Annotated[float, Field(ge=0.0, le=1.0)]
_ENTITY_PREFIX = re.compile(r"^([A-Z][A-Z0-9_]+):")


class UseAction(StrEnum):
    BLOCK = "block"  # 403, naming the rule
    WARN = "warn"  # forwarded, with a reminder appended to the system prompt
    NOTICE = "notice"  # forwarded; the answer carries the AI-generated notice (proxy/governance)


class RuleMode(StrEnum):
    ENFORCE = "enforce"  # the rule acts (block or warn)
    OBSERVE = "observe"  # the rule only records what it would have done (register: observed_rule_ids)


class OnViolation(StrEnum):
    REROUTE = "reroute"  # send to the first fallback model whose hosting accepts the data
    REFUSE = "refuse"  # 403


class Area(StrEnum):
    """AI Act Annex III high-risk areas a collectivité may have assessed for a service."""

    BIOMETRICS = "biometrics"
    CRITICAL_INFRASTRUCTURE = "critical_infrastructure"
    EDUCATION = "education"
    EMPLOYMENT = "employment"
    ESSENTIAL_SERVICES = "essential_services"
    LAW_ENFORCEMENT = "law_enforcement"
    MIGRATION = "migration"
    JUSTICE_DEMOCRACY = "justice_democracy"


class Strict(BaseModel):
    model_config = STRICT


class EntityRule(Strict):
    action: Action | None = Field(default=None, description="Action pour ce type de donnée")
    threshold: Score | None = Field(default=None, description="Score minimal d'une détection prise en compte")
    mode: RuleMode = Field(
        default=RuleMode.ENFORCE,
        description="enforce (la règle agit) ou observe (le registre note l'action qu'elle aurait eue ; "
        "le type suit la règle de defaults ou l'action par défaut)",
    )


# A type of Garde-fou (NIR, PERSON...) or a custom type of models/custom_recognizers.yaml
# (MATRICULE_AGENT): whether a recognizer is active for it is checked by proxy/policy/checks.py.
EntityName = Annotated[str, AfterValidator(entity_type)]
EntityRules = dict[EntityName, Action | EntityRule]


class Lists(Strict):
    allow: tuple[str, ...] = Field(default=(), description="Termes jamais traités comme données personnelles")
    deny: tuple[str, ...] = Field(default=(), description="Termes toujours traités ([TYPE:]terme)")

    @field_validator("deny")
    @classmethod
    def _known_prefixes(cls, deny: tuple[str, ...]) -> tuple[str, ...]:
        for entry in deny:
            prefix = _ENTITY_PREFIX.match(entry.strip())
            if prefix and prefix.group(1) not in Entity.__members__:
                raise ValueError(f"type de donnée inconnu « {prefix.group(1)} » (préfixe TYPE:terme)")
        return deny


class Limits(Strict):
    max_input_chars: Annotated[int, Field(ge=1)] | None = None
    max_tokens: Annotated[int, Field(ge=1)] | None = None
    requests_per_minute: Annotated[int, Field(ge=1)] | None = Field(
        default=None, description="Requêtes par minute pour l'ensemble du service (au-delà : 429)"
    )

    def over(self, base: Limits) -> Limits:
        """These limits, falling back to `base` field by field."""
        own = {name: getattr(self, name) for name in type(self).model_fields}
        return base.model_copy(update={k: v for k, v in own.items() if v is not None})


class AttachmentRules(Strict):
    raw: dict[RawKind, tuple[Hosting, ...]] = Field(
        default={},
        description="Pièces jointes transmises telles quelles (sans texte à caviarder), par type, "
        "et les hébergements qui peuvent les recevoir ; par défaut : aucune",
    )
    ocr: bool = Field(
        default=False, description="Lire le texte des images (OCR), envoyé caviardé à la place de l'image"
    )
    max_bytes: Annotated[int, Field(ge=1)] = Field(
        default=10_000_000, description="Taille maximale d'une pièce jointe une fois décodée (octets)"
    )
    max_unpacked_bytes: Annotated[int, Field(ge=1)] = Field(
        default=50_000_000,
        description="Taille maximale du contenu décompressé d'un document (DOCX, ODT) ou de son texte",
    )


class Category(Strict):
    description: str = Field(min_length=1)
    entities: tuple[EntityName, ...] = ()
    keywords: tuple[str, ...] = Field(default=(), description="Mots ou expressions (toutes formes)")
    hosting: tuple[Hosting, ...] = Field(min_length=1, description="Hébergements autorisés")

    @model_validator(mode="after")
    def _recognisable(self) -> Category:
        if not self.entities and not self.keywords:
            raise ValueError("une catégorie doit nommer des types de données (entities) ou des mots-clés")
        _check_terms(self.keywords)
        return self


class UseRule(Strict):
    description: str = Field(min_length=1, description="Ce que la règle reconnaît, en français")
    action: UseAction = UseAction.BLOCK
    mode: RuleMode = Field(
        default=RuleMode.ENFORCE,
        description="enforce (la règle agit) ou observe (le registre note ce qu'elle aurait fait, sans agir)",
    )
    area: Area | None = None
    match: tuple[tuple[str, ...], ...] = ()
    unless: tuple[str, ...] = ()
    model: tuple[str, ...] = Field(
        default=(),
        description="familles du modèle d'usages interdits qui valent cette règle (sanction, aide, "
        "recrutement, evaluation, fraude)",
    )
    model_threshold: Score | None = Field(
        default=None,
        description="probabilité à partir de laquelle le modèle signale l'usage (défaut : le sien)",
    )

    @model_validator(mode="after")
    def _terms(self) -> UseRule:
        if not self.match and not self.model:
            raise ValueError(
                "une règle d'usage a besoin de « match » (motifs), de « model » (familles), ou des deux"
            )
        unknown = sorted(set(self.model) - set(use_model().families)) if self.model else []
        if unknown:
            known = ", ".join(use_model().families)
            raise ValueError(f"famille inconnue du modèle : {', '.join(unknown)} (connues : {known})")
        for pattern in self.match:
            if not pattern:
                raise ValueError("un motif de « match » est vide")
            _check_terms(part for group in pattern for part in group.split(ALTERNATIVE_SEPARATOR))
        _check_terms(self.unless)
        return self


class Grant(Strict):
    models: tuple[str, ...] = Field(min_length=1, description="Modèles autorisés en plus du service")


class ServicePolicy(Strict):
    description: str = ""
    models: tuple[str, ...] = Field(min_length=1, description="Catalogue des modèles autorisés")
    fallback_models: tuple[str, ...] = ()
    on_violation: OnViolation | None = None
    threshold: Score | None = None
    entities: EntityRules = {}
    lists: Lists = Lists()
    uses: dict[str, UseAction] = {}
    assessed_areas: tuple[Area, ...] = ()
    limits: Limits = Limits()
    attachments: AttachmentRules | None = Field(
        default=None, description="Règles des pièces jointes du service (remplacent celles de defaults)"
    )


class Defaults(Strict):
    action: Action = Action.PSEUDONYMISE
    threshold: Score = 0.0
    entities: EntityRules = {}
    on_violation: OnViolation = OnViolation.REFUSE
    lists: Lists = Lists()
    limits: Limits = Limits()
    attachments: AttachmentRules = AttachmentRules()
    placeholders: PlaceholderStyle = Field(
        default=PlaceholderStyle.TYPED,
        description="Forme des pseudonymes : typed ([PERSONNE_4821]) ou opaque ([DONNEE_4821], type caché)",
    )


class TaskAction(StrEnum):
    ALLOW = "allow"  # forwarded like any request
    ROUTE = "route"  # sent to `model` instead of the model asked for
    REFUSE = "refuse"  # 403: the front-end's background task is switched off


class TaskRule(Strict):
    action: TaskAction = Field(description="allow, route (vers model) ou refuse")
    model: str | None = Field(
        default=None, description="Modèle (servi et autorisé au service) qui reçoit la tâche si route"
    )

    @model_validator(mode="after")
    def _route_names_a_model(self) -> TaskRule:
        if (self.action is TaskAction.ROUTE) != (self.model is not None):
            raise ValueError("model est exigé avec action: route, et seulement avec elle")
        return self


class Policy(Strict):
    version: Literal[1] = 1
    name: str = ""
    defaults: Defaults = Defaults()
    categories: dict[Identifier, Category] = {}
    uses: dict[Identifier, UseRule] = {}
    roles: dict[Role, Grant] = {}
    users: dict[str, Grant] = {}
    services: dict[Identifier, ServicePolicy] = Field(min_length=1)
    governance: Governance = Field(default=Governance(), description="Charte, mention IA, transparence")
    tasks: dict[TaskKind, TaskRule] = Field(
        default={},
        description="Tâches de fond des frontaux (titre, tags, suggestions, autocomplétion...) : "
        "autoriser, réacheminer vers un autre modèle ou refuser",
    )

    @model_validator(mode="after")
    def _known_rules(self) -> Policy:
        for name, service in self.services.items():
            unknown = sorted(set(service.uses) - set(self.uses))
            if unknown:
                raise ValueError(f"services.{name}.uses : règle d'usage inconnue « {unknown[0]} »")
        unknown = sorted(set(self.governance.notice.services) - set(self.services))
        if unknown:
            raise ValueError(f"governance.notice.services : service inconnu « {unknown[0]} »")
        return self

    def attachments_for(self, service: str) -> AttachmentRules:
        """The attachment rules of a service: its own, or those of `defaults`."""
        own = self.services[service].attachments if service in self.services else None
        return own if own is not None else self.defaults.attachments


def _check_terms(terms: Any) -> None:
    empty = unusable_terms(terms)
    if empty:
        raise ValueError(f"terme inutilisable (aucun mot significatif) : « {empty[0]} »")


def json_schema() -> dict[str, Any]:
    """The JSON Schema of a policy file, for editors (policies/policy.schema.json)."""
    schema = Policy.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "Politique Garde-fou"
    return schema
