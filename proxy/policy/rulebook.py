"""A policy compiled once per load: term matchers built, hosting of every served model attached."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType

from proxy.entities import Entity
from proxy.policy.lexicon import Group, Pattern, Sentence, Term, sentences
from proxy.policy.schema import Action, Category, EntityRule, Policy, ServicePolicy, UseRule
from proxy.settings import Hosting

Sentences = Sequence[Sentence]
NO_SERVICE = ServicePolicy(models=("(aucun)",))  # a caller whose service the policy does not name


@dataclass(frozen=True, slots=True)
class UseMatcher:
    """Recognises one forbidden use in the instructions of a request."""

    id: str
    rule: UseRule
    patterns: tuple[Pattern, ...]
    unless: Group

    @classmethod
    def build(cls, rule_id: str, rule: UseRule) -> UseMatcher:
        patterns = tuple(Pattern.parse(pattern) for pattern in rule.match)
        return cls(rule_id, rule, patterns, Group.of(Term.parse(term) for term in rule.unless))

    def found_in(self, text_sentences: Sentences) -> bool:
        """Whether a sentence matches a pattern and holds none of the `unless` phrases."""
        return any(
            any(pattern.found_in(sentence) for pattern in self.patterns)
            and not self.unless.found_in(sentence)
            for sentence in text_sentences
        )


@dataclass(frozen=True, slots=True)
class CategoryMatcher:
    """Recognises one data category: by the entity types found, or by its keywords."""

    id: str
    category: Category
    keywords: Group

    @classmethod
    def build(cls, category_id: str, category: Category) -> CategoryMatcher:
        return cls(category_id, category, Group.of(Term.parse(word) for word in category.keywords))

    def found_in(self, text_sentences: Sentences, entities: Iterable[Entity]) -> bool:
        if set(self.category.entities) & set(entities):
            return True
        return any(self.keywords.found_in(sentence) for sentence in text_sentences)

    def accepts(self, hosting: Hosting | None) -> bool:
        return hosting is not None and hosting in self.category.hosting


@dataclass(frozen=True, slots=True)
class EntityTreatment:
    """Per service, the action and the score threshold of every entity type, resolved once."""

    actions: Mapping[Entity, Action]
    thresholds: Mapping[Entity, float]

    @classmethod
    def resolve(cls, policy: Policy, service: ServicePolicy) -> EntityTreatment:
        actions, thresholds = {}, {}
        base = service.threshold if service.threshold is not None else policy.defaults.threshold
        for entity in Entity:
            own = _entity_rule(service.entities.get(entity))
            default = _entity_rule(policy.defaults.entities.get(entity))
            actions[entity] = own.action or default.action or policy.defaults.action
            chosen = own.threshold if own.threshold is not None else default.threshold
            thresholds[entity] = base if chosen is None else chosen
        return cls(MappingProxyType(actions), MappingProxyType(thresholds))


def _entity_rule(rule: Action | EntityRule | None) -> EntityRule:
    return EntityRule(action=rule) if isinstance(rule, Action) else rule or EntityRule()


@dataclass(frozen=True, slots=True)
class Rulebook:
    """The policy, its matchers, and where each model it may route to is hosted."""

    policy: Policy
    hosting: Mapping[str, Hosting]
    uses: tuple[UseMatcher, ...]
    categories: tuple[CategoryMatcher, ...]
    treatments: Mapping[str, EntityTreatment]

    @classmethod
    def compile(cls, policy: Policy, hosting: Mapping[str, Hosting]) -> Rulebook:
        treatments = {name: EntityTreatment.resolve(policy, s) for name, s in policy.services.items()}
        treatments[""] = EntityTreatment.resolve(policy, NO_SERVICE)
        return cls(
            policy=policy,
            hosting=MappingProxyType(dict(hosting)),
            uses=tuple(UseMatcher.build(rule_id, rule) for rule_id, rule in policy.uses.items()),
            categories=tuple(CategoryMatcher.build(cid, cat) for cid, cat in policy.categories.items()),
            treatments=MappingProxyType(treatments),
        )

    def actions_for(self, service: str) -> Mapping[Entity, Action]:
        return self.treatments.get(service, self.treatments[""]).actions

    def thresholds_for(self, service: str) -> Mapping[Entity, float]:
        return self.treatments.get(service, self.treatments[""]).thresholds


def split_sentences(texts: Iterable[str]) -> list[Sentence]:
    """The stemmed sentences of several texts, in one list."""
    return [sentence for text in texts for sentence in sentences(text)]


class Splitter:
    """Splits texts into sentences, each distinct text once per decision (instructions are also texts)."""

    def __init__(self) -> None:
        self._seen: dict[str, list[Sentence]] = {}

    def __call__(self, texts: Iterable[str]) -> list[Sentence]:
        found: list[Sentence] = []
        for text in texts:
            if text not in self._seen:
                self._seen[text] = sentences(text)
            found += self._seen[text]
        return found
