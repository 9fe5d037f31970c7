"""Corrections of spaCy's French named entities for administrative writing (pure functions).

spaCy's spans cross line breaks, take a leading civility, tag capitalised common words, public
bodies and street-type words alone, and call hospitals places. Each span is split, trimmed,
dropped or retyped here before it becomes a finding.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from proxy.analysis.first_names import normalise
from proxy.analysis.lexicon_fr import (
    CIVILITY_WORDS,
    COMMON_NOUN_SUFFIXES,
    ESTABLISHMENT_HEADS,
    GENERIC_WORDS,
    PUBLIC_BODY_HEADS,
    TITLE_WORDS,
)
from proxy.analysis.patterns_places import STREET_TYPES
from proxy.entities import Entity

_LINE_BREAKS = re.compile(r"[\n\r\t|]+")
_TRIM = " \u00a0,;:()[]{}«»\"'’-–—/"
_WORDS = re.compile(r"[^\W_]+(?:['’-][^\W_]+)*")
_STREET_TYPE = re.compile(rf"(?i:{STREET_TYPES})")


@dataclass(frozen=True, slots=True)
class NerSpan:
    start: int
    end: int
    entity: Entity


@dataclass(frozen=True)
class NerRules:
    """`stop_words`: French function words; `first_names`: normalised known first names."""

    stop_words: frozenset[str]
    first_names: frozenset[str]

    def refine(self, text: str, span: NerSpan) -> Iterator[NerSpan]:
        """The corrected spans for one spaCy entity (none, one, or one per line)."""
        for piece in _split_lines(text, span):
            piece = _strip_civility(text, _trim(text, piece))
            surface = text[piece.start : piece.end]
            if _is_meaningful(surface, piece.entity) and not self._common_word(text, piece):
                yield _retype(text, piece)

    def _common_word(self, text: str, span: NerSpan) -> bool:
        """A lone capitalised word that is a function word, or opens a sentence as a person
        although it is no known first name ("Veuillez", "Arthrose")."""
        surface = text[span.start : span.end]
        words = [normalise(w) for w in _WORDS.findall(surface)]
        if span.entity is Entity.PERSON and all(
            w in self.stop_words or w in TITLE_WORDS or w in CIVILITY_WORDS for w in words
        ):
            return True
        if _WORDS.fullmatch(surface) is None:
            return False
        word = words[0]
        if word in self.stop_words:
            return True
        return (
            span.entity is Entity.PERSON
            and not surface.isupper()
            and word not in self.first_names
            and _opens_sentence(text, span.start)
        )


def _opens_sentence(text: str, start: int) -> bool:
    before = text[:start].rstrip(" \u00a0\t")
    return not before or before[-1] in ".!?:;\n\r|•-–*>"


def _split_lines(text: str, span: NerSpan) -> Iterator[NerSpan]:
    start = span.start
    for separator in _LINE_BREAKS.finditer(text, span.start, span.end):
        yield NerSpan(start, separator.start(), span.entity)
        start = separator.end()
    yield NerSpan(start, span.end, span.entity)


def _trim(text: str, span: NerSpan) -> NerSpan:
    start, end = span.start, span.end
    while start < end and text[start] in _TRIM:
        start += 1
    while end > start and (
        text[end - 1] in _TRIM
        or _dangling_dot(text, start, end)
        or (span.entity is Entity.PERSON and text[end - 1].isdigit())
    ):
        end -= 1
    return NerSpan(start, end, span.entity)


def _dangling_dot(text: str, start: int, end: int) -> bool:
    """A final dot that ends a sentence, not an initial ('J.')."""
    return text[end - 1] == "." and not (
        end - start >= 2 and text[end - 2].isupper() and (end - start == 2 or not text[end - 3].isalpha())
    )


def _strip_civility(text: str, span: NerSpan) -> NerSpan:
    if span.entity is not Entity.PERSON:
        return span
    start = span.start
    for word in _WORDS.finditer(text, span.start, span.end):
        if normalise(word.group()) not in CIVILITY_WORDS:
            break
        start = word.end()
        while start < span.end and text[start] in ". \u00a0":
            start += 1
    return NerSpan(start, span.end, span.entity)


def _is_meaningful(surface: str, entity: Entity) -> bool:
    if not surface:
        return False
    words = [normalise(w) for w in _WORDS.findall(surface)]
    if not words or not any(c.isupper() for c in surface) or sum(map(len, words)) < 2:
        return False
    if len(words) == 1 and not _single_word_ok(surface, words[0], entity):
        return False
    phrase = " ".join(words)
    return entity is Entity.PERSON or not _is_public_body(phrase)


def _single_word_ok(surface: str, word: str, entity: Entity) -> bool:
    if word in GENERIC_WORDS or _STREET_TYPE.fullmatch(surface.strip(".")):
        return False
    if entity is Entity.PERSON:
        return True
    if surface.isupper() and len(word) <= 3 and entity is Entity.LOCATION:
        return False
    return not word.endswith(COMMON_NOUN_SUFFIXES)


def _is_public_body(phrase: str) -> bool:
    return any(phrase == head or phrase.startswith(head + " ") for head in PUBLIC_BODY_HEADS)


def _retype(text: str, span: NerSpan) -> NerSpan:
    if span.entity is Entity.PERSON:
        return span
    phrase = " ".join(normalise(w) for w in _WORDS.findall(text[span.start : span.end]))
    if any(phrase == head or phrase.startswith(head + " ") for head in ESTABLISHMENT_HEADS):
        return NerSpan(span.start, span.end, Entity.ORGANIZATION)
    return span
