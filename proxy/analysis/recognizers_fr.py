"""Presidio recognizers for French text: the pattern catalogue and spaCy's named entities."""

from __future__ import annotations

import re
from typing import Any

from presidio_analyzer import LocalRecognizer, RecognizerResult
from presidio_analyzer.nlp_engine import NlpArtifacts

from proxy.analysis.context import ContextWords
from proxy.analysis.ner_rules import NerRules, NerSpan
from proxy.analysis.patterns import Pattern, RecognizerSpec
from proxy.entities import Entity

LANGUAGE = "fr"
_BEFORE = 40  # characters before a match that `Pattern.not_after` looks at
_SHRINK_SEPARATOR = re.compile(r"[ \u00a0.\-]\S*$")


class FrenchPatternRecognizer(LocalRecognizer):
    """Regex -> validation (checksum) -> French context words, for one entity type."""

    def __init__(self, spec: RecognizerSpec, context: ContextWords, boost: float) -> None:
        self._patterns = [(pattern, pattern.compile()) for pattern in spec.patterns]
        self._not_after = {
            id(pattern): re.compile(pattern.not_after)
            for pattern in spec.patterns
            if pattern.not_after is not None
        }
        self._split = {
            id(pattern): re.compile(pattern.split) for pattern in spec.patterns if pattern.split is not None
        }
        self._context = context
        self._boost = boost
        super().__init__(supported_entities=[spec.entity.value], name=spec.name, supported_language=LANGUAGE)

    def load(self) -> None:
        """Nothing to load: patterns are compiled in the constructor."""

    def analyze(
        self, text: str, entities: list[str], nlp_artifacts: NlpArtifacts | None = None
    ) -> list[RecognizerResult]:
        results = []
        for pattern, regex in self._patterns:
            for match in regex.finditer(text):
                start, end = match.span(pattern.group)
                if start < 0 or start == end:
                    continue
                for part_start, part_end in self._parts(text, start, end, pattern):
                    result = self._result(text, part_start, part_end, pattern)
                    if result is not None:
                        results.append(result)
        return results

    def _parts(self, text: str, start: int, end: int, pattern: Pattern) -> list[tuple[int, int]]:
        """The finding, or its parts between the pattern's separators (one name each)."""
        split = self._split.get(id(pattern))
        if split is None:
            return [(start, end)]
        parts, part_start = [], start
        for separator in split.finditer(text, start, end):
            parts.append((part_start, separator.start()))
            part_start = separator.end()
        parts.append((part_start, end))
        return [(s, e) for s, e in parts if s < e]

    def _result(self, text: str, start: int, end: int, pattern: Pattern) -> RecognizerResult | None:
        valid_end = _validated_end(text, start, end, pattern)  # first: most matches fail it
        if valid_end is None:
            return None
        not_after = self._not_after.get(id(pattern))
        if not_after is not None and not_after.search(text, max(0, start - _BEFORE), start):
            return None
        has_context = self._context.found_before(text, start)
        if pattern.needs_context and not has_context:
            return None
        score = min(1.0, pattern.score + self._boost) if has_context else pattern.score
        return _recognizer_result(self, start, valid_end, score)


def _validated_end(text: str, start: int, end: int, pattern: Pattern) -> int | None:
    """End of the longest prefix of the match (cut at separators) that validates."""
    if pattern.validate is None:
        return end
    candidate = text[start:end]
    while candidate:
        if pattern.validate(candidate):
            return start + len(candidate)
        shorter = _SHRINK_SEPARATOR.sub("", candidate) if pattern.shrink else candidate
        if shorter == candidate:  # nothing left to cut: stop (looping here hung a thread)
            return None
        candidate = shorter
    return None


class SpacyNerRecognizer(LocalRecognizer):
    """Named entities found by spaCy (already mapped to our entity types by the NLP engine)."""

    def __init__(self, name: str, entities: frozenset[Entity], score: float, rules: NerRules) -> None:
        self._score = score
        self._rules = rules
        super().__init__(
            supported_entities=sorted(e.value for e in entities),
            name=name,
            supported_language=LANGUAGE,
        )

    def load(self) -> None:
        """Nothing to load: the spaCy pipeline runs in the NLP engine."""

    def analyze(
        self, text: str, entities: list[str], nlp_artifacts: NlpArtifacts | None = None
    ) -> list[RecognizerResult]:
        if nlp_artifacts is None:
            return []
        wanted = set(self.supported_entities)
        spans = (
            NerSpan(span.start_char, span.end_char, Entity(span.label_))
            for span in nlp_artifacts.entities
            if span.label_ in wanted
        )
        return [
            _recognizer_result(self, kept.start, kept.end, self._score, kept.entity.value)
            for span in spans
            for kept in self._rules.refine(text, span)
        ]


def _recognizer_result(
    recognizer: LocalRecognizer, start: int, end: int, score: float, entity: str | None = None
) -> RecognizerResult:
    name: str = getattr(recognizer, "name")  # noqa: B009 (untyped attribute in presidio)
    metadata: dict[str, Any] = {
        RecognizerResult.RECOGNIZER_NAME_KEY: name,
        RecognizerResult.RECOGNIZER_IDENTIFIER_KEY: recognizer.id,
    }
    return RecognizerResult(
        entity_type=entity or recognizer.supported_entities[0],
        start=start,
        end=end,
        score=score,
        recognition_metadata=metadata,
    )
