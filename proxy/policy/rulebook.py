"""A policy compiled once per load: term matchers built, hosting of every served model attached."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence, Set
from dataclasses import dataclass
from types import MappingProxyType
from typing import TypeVar

from proxy.entities import CustomEntity, Entity, EntityType
from proxy.memo import DigestMemo
from proxy.policy.lexicon import Group, Pattern, Sentence, Term, expand, sentences
from proxy.policy.schema import Action, Category, EntityRule, Policy, RuleMode, ServicePolicy, UseRule
from proxy.policy.use_model import use_model
from proxy.settings import Hosting

Sentences = Sequence[Sentence]
Probabilities = Mapping[str, float]  # per family of the forbidden-use model (see use_model.py)
NO_SERVICE = ServicePolicy(models=("(aucun)",))  # a caller whose service the policy does not name
# Consecutive sentences a forbidden use may spread over: the person or the case in one, the ask in a
# later one ("Voici le dossier de M. Perrot. […] Décide.").
WINDOW = 4


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
        return cls(rule_id, rule, patterns, Group.of(Term.parse(term) for term in expand(rule.unless)))

    def asked_in(self, text_sentences: Sentences, whole: Sentence, probabilities: Probabilities) -> bool:
        """Whether the text asks for this use: the model says so for one of the rule's families
        (`model`), or one of its patterns is found (`match`)."""
        if self.rule.model and use_model().asked(probabilities, self.rule.model, self.rule.model_threshold):
            return True
        return bool(self.patterns) and self.found_in(text_sentences, whole)

    def found_in(self, text_sentences: Sentences, whole: Sentence | None = None) -> bool:
        """Whether a few consecutive sentences of one text (`WINDOW`: "Voici le dossier de M. Perrot.
        Il a 58 ans. Décide s'il doit être recruté.") hold every group of a pattern between them.
        A sentence holding an `unless` phrase ("le jury a retenu Mme A.") adds nothing to any
        window; the others still count. Each sentence is read once, and only for the patterns whose
        every group the text as a whole (`whole`, see `Sentence.joined`) holds: most texts ask for
        no forbidden use, and looking for every group in every sentence of a long text cost
        milliseconds per request."""
        whole = Sentence.joined(text_sentences) if whole is None else whole
        patterns = [p for p in self.patterns if p.found_in(whole)]
        if not patterns:
            return False
        full = [(1 << len(pattern.groups)) - 1 for pattern in patterns]
        empty = [0] * len(patterns)
        held = [empty if self.unless.found_in(s) else _groups_in(patterns, s) for s in text_sentences]
        for end in range(len(held)):
            window = held[max(0, end - WINDOW + 1) : end + 1]
            if _covers([_union(masks) for masks in zip(*window, strict=True)], full):
                return True
        return False


def _groups_in(patterns: Sequence[Pattern], sentence: Sentence) -> list[int]:
    """Per pattern, a bit per group the sentence holds."""
    return [
        sum(1 << i for i, group in enumerate(pattern.groups) if group.found_in(sentence))
        for pattern in patterns
    ]


def _union(masks: Iterable[int]) -> int:
    union = 0
    for mask in masks:
        union |= mask
    return union


def _covers(held: Sequence[int], full: Sequence[int]) -> bool:
    return any(mask == whole for mask, whole in zip(held, full, strict=True))


@dataclass(frozen=True, slots=True)
class CategoryMatcher:
    """Recognises one data category: by the entity types found, or by its keywords."""

    id: str
    category: Category
    keywords: Group

    @classmethod
    def build(cls, category_id: str, category: Category) -> CategoryMatcher:
        return cls(category_id, category, Group.of(Term.parse(word) for word in expand(category.keywords)))

    def present(self, entities: Iterable[EntityType], keyword_categories: Set[str]) -> bool:
        """By one of its entity types found, or by its keywords (see `TextMatches.keywords_in`)."""
        return bool(set(self.category.entities) & set(entities)) or self.id in keyword_categories

    def keywords_found_in(self, text_sentences: Sentences, whole: Sentence | None = None) -> bool:
        """Whether a sentence holds one of the keywords (first looked up in the whole text)."""
        if whole is not None and not self.keywords.found_in(whole):
            return False
        return any(self.keywords.found_in(sentence) for sentence in text_sentences)

    def accepts(self, hosting: Hosting | None) -> bool:
        return hosting is not None and hosting in self.category.hosting


@dataclass(frozen=True, slots=True)
class EntityTreatment:
    """Per service, the action and the score threshold of every entity type, resolved once, and the
    action of each observe-mode entity rule (recorded when its type is found, never applied)."""

    actions: Mapping[EntityType, Action]
    thresholds: Mapping[EntityType, float]
    observed: Mapping[EntityType, Action]

    @classmethod
    def resolve(cls, policy: Policy, service: ServicePolicy) -> EntityTreatment:
        """Every type of the project, and every custom type the policy names; a custom type it does
        not name is treated as CUSTOM (see `ByType`)."""
        actions: dict[EntityType, Action] = {}
        thresholds: dict[EntityType, float] = {}
        observed: dict[EntityType, Action] = {}
        base = service.threshold if service.threshold is not None else policy.defaults.threshold
        named = [e for e in (*policy.defaults.entities, *service.entities) if isinstance(e, CustomEntity)]
        for entity in (*Entity, *named):
            own = _entity_rule(service.entities.get(entity))
            default = _entity_rule(policy.defaults.entities.get(entity))
            watched = next((r for r in (own, default) if r.mode is RuleMode.OBSERVE and r.action), None)
            own, default = _enforced(own), _enforced(default)
            actions[entity] = own.action or default.action or policy.defaults.action
            chosen = own.threshold if own.threshold is not None else default.threshold
            thresholds[entity] = base if chosen is None else chosen
            if watched is not None and watched.action is not None and watched.action is not actions[entity]:
                observed[entity] = watched.action
        return cls(ByType(actions), ByType(thresholds), observed)


def _enforced(rule: EntityRule) -> EntityRule:
    return rule if rule.mode is RuleMode.ENFORCE else EntityRule()


V = TypeVar("V")


class ByType(Mapping[EntityType, V]):
    """A value per entity type; a custom type without its own value takes CUSTOM's (read-only)."""

    def __init__(self, values: Mapping[EntityType, V]) -> None:
        self._values = dict(values)

    def __getitem__(self, entity: EntityType) -> V:
        if entity not in self._values and isinstance(entity, CustomEntity):
            return self._values[Entity.CUSTOM]
        return self._values[entity]

    def __contains__(self, entity: object) -> bool:
        return entity in self._values or isinstance(entity, CustomEntity)

    def __iter__(self) -> Iterator[EntityType]:
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)


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
    matches: TextMatches

    @classmethod
    def compile(cls, policy: Policy, hosting: Mapping[str, Hosting]) -> Rulebook:
        treatments = {name: EntityTreatment.resolve(policy, s) for name, s in policy.services.items()}
        treatments[""] = EntityTreatment.resolve(policy, NO_SERVICE)
        uses = tuple(UseMatcher.build(rule_id, rule) for rule_id, rule in policy.uses.items())
        categories = tuple(CategoryMatcher.build(cid, cat) for cid, cat in policy.categories.items())
        return cls(
            policy=policy,
            hosting=MappingProxyType(dict(hosting)),
            uses=uses,
            categories=categories,
            treatments=MappingProxyType(treatments),
            matches=TextMatches(categories, uses),
        )

    def actions_for(self, service: str) -> Mapping[EntityType, Action]:
        return self.treatments.get(service, self.treatments[""]).actions

    def thresholds_for(self, service: str) -> Mapping[EntityType, float]:
        return self.treatments.get(service, self.treatments[""]).thresholds

    def observed_for(self, service: str) -> Mapping[EntityType, Action]:
        return self.treatments.get(service, self.treatments[""]).observed


def split_sentences(texts: Iterable[str]) -> list[Sentence]:
    """The stemmed sentences of several texts, in one list."""
    return [sentence for text in texts for sentence in sentences(text)]


class TextMatches:
    """The category keywords and forbidden uses found in each text, remembered per text.

    Chat clients resend the whole conversation on every turn: stemming and matching all of it again
    made the policy's cost grow with the conversation (a third of the proxy's CPU by turn 20).
    Matches depend only on the text and the rulebook, which owns this memo. Keys are salted sha256
    digests and values rule ids: no text is kept. Bounded (least recently used first), in memory."""

    def __init__(
        self, categories: Sequence[CategoryMatcher], uses: Sequence[UseMatcher], max_entries: int = 4096
    ) -> None:
        self._categories = categories
        self._uses = uses
        self._entries: DigestMemo[_Matched] = DigestMemo(max_entries)

    def found(self, texts: Iterable[str], instructions: Iterable[str]) -> tuple[set[str], set[str]]:
        """Ids of the categories whose keywords occur in one of `texts`, and of the forbidden uses
        asked for in one of `instructions` (only an instruction asks: an earlier answer of the model
        or a tool's result does not, and the use model is not run on them)."""
        texts, asking = tuple(texts), set(instructions)
        categories: set[str] = set()
        uses: set[str] = set()
        for text in texts:
            matched = self._matched(text, asks=text in asking)
            categories |= matched.categories
            uses |= matched.uses or frozenset()
        for text in asking.difference(texts):
            uses |= self._matched(text, asks=True).uses or frozenset()
        return categories, uses

    def keywords_in(self, texts: Iterable[str]) -> set[str]:
        return self.found(texts, ())[0]

    def uses_in(self, instructions: Iterable[str]) -> set[str]:
        return self.found((), instructions)[1]

    def _matched(self, text: str, asks: bool) -> _Matched:
        key = self._entries.key(text)
        found = self._entries.get(key)
        if found is None or (asks and found.uses is None):
            found = self._match(text, found, asks)
            self._entries.put(key, found)
        return found

    def _match(self, text: str, known: _Matched | None, asks: bool) -> _Matched:
        text_sentences = sentences(text)
        whole = Sentence.joined(text_sentences)
        if known is None:
            categories = (c.id for c in self._categories if c.keywords_found_in(text_sentences, whole))
            known = _Matched(frozenset(categories), None)
        if not asks:
            return known
        modelled = any(use.rule.model for use in self._uses)
        probabilities = use_model().probabilities(text, text_sentences) if modelled else {}
        uses = (u.id for u in self._uses if u.asked_in(text_sentences, whole, probabilities))
        return _Matched(known.categories, frozenset(uses))


@dataclass(frozen=True, slots=True)
class _Matched:
    categories: frozenset[str]
    uses: frozenset[str] | None  # None: not worked out (the text was never an instruction)
