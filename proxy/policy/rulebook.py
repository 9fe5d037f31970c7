"""A policy compiled once per load: term matchers built, hosting of every served model attached."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType

from proxy.entities import Entity
from proxy.policy.lexicon import Pattern, Term, any_found_in, sentences
from proxy.policy.schema import Category, Policy, UseRule
from proxy.settings import Hosting

Sentences = Sequence[tuple[str, ...]]


@dataclass(frozen=True, slots=True)
class UseMatcher:
    """Recognises one forbidden use in the instructions of a request."""

    id: str
    rule: UseRule
    patterns: tuple[Pattern, ...]
    unless: tuple[Term, ...]

    @classmethod
    def build(cls, rule_id: str, rule: UseRule) -> UseMatcher:
        patterns = tuple(Pattern.parse(pattern) for pattern in rule.match)
        return cls(rule_id, rule, patterns, tuple(Term.parse(term) for term in rule.unless))

    def found_in(self, text_sentences: Sentences) -> bool:
        """Whether a sentence matches a pattern and holds none of the `unless` phrases."""
        return any(
            any(pattern.found_in(sentence) for pattern in self.patterns)
            and not any_found_in(self.unless, sentence)
            for sentence in text_sentences
        )


@dataclass(frozen=True, slots=True)
class CategoryMatcher:
    """Recognises one data category: by the entity types found, or by its keywords."""

    id: str
    category: Category
    keywords: tuple[Term, ...]

    @classmethod
    def build(cls, category_id: str, category: Category) -> CategoryMatcher:
        return cls(category_id, category, tuple(Term.parse(word) for word in category.keywords))

    def found_in(self, text_sentences: Sentences, entities: Iterable[Entity]) -> bool:
        if set(self.category.entities) & set(entities):
            return True
        return any(any_found_in(self.keywords, sentence) for sentence in text_sentences)

    def accepts(self, hosting: Hosting | None) -> bool:
        return hosting is not None and hosting in self.category.hosting


@dataclass(frozen=True, slots=True)
class Rulebook:
    """The policy, its matchers, and where each model it may route to is hosted."""

    policy: Policy
    hosting: Mapping[str, Hosting]
    uses: tuple[UseMatcher, ...]
    categories: tuple[CategoryMatcher, ...]

    @classmethod
    def compile(cls, policy: Policy, hosting: Mapping[str, Hosting]) -> Rulebook:
        return cls(
            policy=policy,
            hosting=MappingProxyType(dict(hosting)),
            uses=tuple(UseMatcher.build(rule_id, rule) for rule_id, rule in policy.uses.items()),
            categories=tuple(CategoryMatcher.build(cid, cat) for cid, cat in policy.categories.items()),
        )


def split_sentences(texts: Iterable[str]) -> list[tuple[str, ...]]:
    """The stemmed sentences of several texts, in one list."""
    return [sentence for text in texts for sentence in sentences(text)]
