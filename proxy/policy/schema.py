"""Policy file schema (pydantic, unknown keys rejected); field reference in policies/README.md.

Only what one file can say about itself is checked here (types, ranges, references between its own
sections). What depends on the running proxy (served models, hosting, active recognizers) is checked
by proxy/policy/checks.py.
"""

from __future__ import annotations

import re
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from proxy.entities import Entity
from proxy.policy.lexicon import ALTERNATIVE_SEPARATOR, unusable_terms
from proxy.roles import Role
from proxy.settings import Hosting
from proxy.transform.placeholders import PlaceholderStyle

Identifier = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9_-]{0,63}$")]
Score = Annotated[float, Field(ge=0.0, le=1.0)]
_ENTITY_PREFIX = re.compile(r"^([A-Z][A-Z0-9_]+):")


class Action(StrEnum):
    PSEUDONYMISE = "pseudonymise"  # reversible placeholder, restored in the answer
    MASK = "mask"  # irreversible placeholder, never restored
    BLOCK = "block"  # the request is refused
    ALLOW = "allow"  # sent as is

    @property
    def removes(self) -> bool:
        """Whether the data is kept from the model (and so counted in the register)."""
        return self is not Action.ALLOW


class UseAction(StrEnum):
    BLOCK = "block"  # 403, naming the rule
    WARN = "warn"  # forwarded, with a reminder appended to the system prompt


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
    model_config = ConfigDict(extra="forbid", frozen=True)


class EntityRule(Strict):
    action: Action | None = Field(default=None, description="Action pour ce type de donnée")
    threshold: Score | None = Field(default=None, description="Score minimal d'une détection prise en compte")


EntityRules = dict[Entity, Action | EntityRule]


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


class Category(Strict):
    description: str = Field(min_length=1)
    entities: tuple[Entity, ...] = ()
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
    match: tuple[tuple[str, ...], ...] = Field(min_length=1)
    unless: tuple[str, ...] = ()

    @model_validator(mode="after")
    def _terms(self) -> UseRule:
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


class Defaults(Strict):
    action: Action = Action.PSEUDONYMISE
    threshold: Score = 0.0
    entities: EntityRules = {}
    on_violation: OnViolation = OnViolation.REFUSE
    lists: Lists = Lists()
    limits: Limits = Limits()
    placeholders: PlaceholderStyle = Field(
        default=PlaceholderStyle.TYPED,
        description="Forme des pseudonymes : typed ([PERSONNE_4821]) ou opaque ([DONNEE_4821], type caché)",
    )


class Policy(Strict):
    version: Literal[1] = 1
    name: str = ""
    defaults: Defaults = Defaults()
    categories: dict[Identifier, Category] = {}
    uses: dict[Identifier, UseRule] = {}
    roles: dict[Role, Grant] = {}
    users: dict[str, Grant] = {}
    services: dict[Identifier, ServicePolicy] = Field(min_length=1)

    @model_validator(mode="after")
    def _known_rules(self) -> Policy:
        for name, service in self.services.items():
            unknown = sorted(set(service.uses) - set(self.uses))
            if unknown:
                raise ValueError(f"services.{name}.uses : règle d'usage inconnue « {unknown[0]} »")
        return self


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
