"""Corrections of spaCy's French named entities for administrative writing (pure functions).

spaCy's spans cross line breaks, take a leading civility, tag capitalised common words, public
bodies and street-type words alone, and call hospitals places. Each span is split, trimmed,
dropped or retyped here before it becomes a finding.
"""

from __future__ import annotations

import re
from collections.abc import Container, Iterator
from dataclasses import dataclass, field

from proxy.analysis.first_names import WORD, normalise
from proxy.analysis.lexicon_fr import (
    CALENDAR_WORDS,
    CIVILITY_WORDS,
    COMMON_NOUN_SUFFIXES,
    ESTABLISHMENT_HEADS,
    GENERIC_WORDS,
    GREETING_WORDS,
    PUBLIC_BODY_HEADS,
    TITLE_WORDS,
)
from proxy.analysis.patterns_names import NAMED_AFTER_WORDS
from proxy.analysis.patterns_places import STREET_TYPES
from proxy.analysis.places import place_key
from proxy.entities import Entity

# All-capital single words this short are acronyms (TVA, ECG, DRFIP), not places or organisations;
# places are kept from 4 letters ("LYON", "METZ").
_PUBLIC_BODY_HEADS = frozenset(PUBLIC_BODY_HEADS)
_ESTABLISHMENT_HEADS = frozenset(ESTABLISHMENT_HEADS)
_LONGEST_HEAD = max(len(head.split(" ")) for head in _PUBLIC_BODY_HEADS | _ESTABLISHMENT_HEADS)
_ACRONYM_LENGTH = {Entity.LOCATION: 3, Entity.ORGANIZATION: 6}
_MAX_DIGITS = 4
_NUMBER_LABELS = frozenset({"n", "no", "num", "numero", "ref", "reference"})
# The domain of a public body, not a place: "ministère de la Santé", "droits de l'Homme".
_NAMED_BY_BODY = re.compile(
    r"(?i:minist[eè]re|secr[ée]tariat|droits|direction|d[ée]l[ée]gation|commissariat)"
    r"(?:[ \u00a0]+[\w-]+)?[ \u00a0]+"
    r"(?:de[ \u00a0]+la[ \u00a0]+|de[ \u00a0]+l['’]|(?:des|du|de|aux)[ \u00a0]+)$"
)
# How far before a span `_NAMED_BY_BODY` looks: its words fit in far less. Searching from the text's
# start instead made every entity cost a scan of all that precedes it (quadratic in long texts).
_BODY_REACH = 200
# Leading words of a person span that are not the name: "Bonjour", "M.", "le Directeur Général".
_NOT_THE_NAME = (
    CIVILITY_WORDS | GREETING_WORDS | TITLE_WORDS | {"le", "la", "les", "l", "de", "du", "des", "d"}
)
# A person's name that names a school, a room, a street...: "collège Jean Moulin".
_NAMED_AFTER = re.compile(rf"(?i:{NAMED_AFTER_WORDS})[ \u00a0]+$")
_FIELD_LABEL = re.compile(r"[ \t\u00a0]*:")
_LINE_BREAKS = re.compile(r"[\n\r\t|]+")
_TRIM = " \u00a0,;:()[]{}«»\"'’-–—/"
_STREET_TYPE = re.compile(rf"(?i:{STREET_TYPES})")
_PLACE_WORD = r"[A-ZÀ-ÖØ-Þ][\w'’]*"
_PLACE_JOIN = r"(?:[ \u00a0]?-[ \u00a0]?|[ \u00a0]+(?:sur|sous|en|le|la|les)[ \u00a0]+|[ \u00a0])"
_TRAILING_PLACE = re.compile(
    rf"(?:[ \u00a0](?:de|du|des|à|en)[ \u00a0]+(?:la[ \u00a0]+|l['’]|les[ \u00a0]+)?|[ \u00a0]d['’])"
    rf"({_PLACE_WORD}(?:{_PLACE_JOIN}{_PLACE_WORD})*)$"
)


@dataclass(frozen=True, slots=True)
class NerSpan:
    start: int
    end: int
    entity: Entity


@dataclass(frozen=True)
class NerRules:
    """`stop_words`: French function words; `first_names`: normalised known first names;
    `places`: keys (`place_key`) of names that are places whatever precedes them; `common_words`:
    the French dictionary (lower-cased forms)."""

    stop_words: frozenset[str]
    first_names: frozenset[str]
    places: frozenset[str] = frozenset()
    common_words: Container[str] = field(default_factory=frozenset)

    def refine(self, text: str, span: NerSpan) -> Iterator[NerSpan]:
        """The corrected spans for one spaCy entity (none, one, or one per line)."""
        for piece in _split_lines(text, span):
            piece = _strip_civility(text, _trim(text, piece))
            surface = text[piece.start : piece.end]
            if _is_meaningful(surface, piece.entity) and not self._common_word(text, piece):
                yield from _institution_parts(text, piece)

    def _common_word(self, text: str, span: NerSpan) -> bool:
        place = span.entity is not Entity.PERSON and place_key(text[span.start : span.end]) in self.places
        if (
            span.entity is not Entity.PERSON
            and not place
            and _NAMED_BY_BODY.search(text, max(0, span.start - _BODY_REACH), span.start)
        ):
            return True  # "ministère de l'[Intérieur]", "Droits de l'[Homme]"; not "direction de Rouen"
        if span.entity is Entity.PERSON and _named_after(text, span):
            return True  # "collège [Jean Moulin]", "[Salle Pierre Mendès France]"
        if span.entity is not Entity.PERSON and _FIELD_LABEL.match(text, span.end):
            return True  # "Téléphone :", "Employeur :": the label of a form field
        if not place and self._dictionary_word_opening(text, span):
            return True  # "[Hier], ...", "[Besoin] exprimé :", "[Coordonnées] bancaires"
        return self._lone_word(text, span)

    def _dictionary_word_opening(self, text: str, span: NerSpan) -> bool:
        """A place or organisation that is one dictionary word, capitalised only because it
        opens a sentence or a line."""
        surface = text[span.start : span.end]
        return (
            span.entity is not Entity.PERSON
            and WORD.fullmatch(surface) is not None
            and not surface.isupper()
            and _opens_sentence(text, span.start)
            and surface.lower() in self.common_words
        )

    def _lone_word(self, text: str, span: NerSpan) -> bool:
        """A lone capitalised word that is a function word, or opens a sentence as a person
        although it is no known first name ("Veuillez", "Arthrose")."""
        surface = text[span.start : span.end]
        words = [normalise(w) for w in WORD.findall(surface)]
        if span.entity is Entity.PERSON and all(
            w in self.stop_words or w in TITLE_WORDS or w in CIVILITY_WORDS for w in words
        ):
            return True
        if WORD.fullmatch(surface) is None:
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
    before = start  # walked back over blanks (not a copy of the text before: long texts)
    while before > 0 and text[before - 1] in " \u00a0\t":
        before -= 1
    return before == 0 or text[before - 1] in ".!?:;\n\r|•-–*>"


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


def _named_after(text: str, span: NerSpan) -> bool:
    first = WORD.match(text, span.start)
    if first is not None and _NAMED_AFTER.match(first.group() + " "):
        return True
    return _NAMED_AFTER.search(text, max(0, span.start - 40), span.start) is not None


def _strip_civility(text: str, span: NerSpan) -> NerSpan:
    if span.entity is not Entity.PERSON:
        return span
    start = span.start
    for word in WORD.finditer(text, span.start, span.end):
        if normalise(word.group()) not in _NOT_THE_NAME:
            break
        start = word.end()
        while start < span.end and text[start] in ". \u00a0":
            start += 1
    return NerSpan(start, span.end, span.entity)


def _is_meaningful(surface: str, entity: Entity) -> bool:
    if not surface:
        return False
    words = [normalise(w) for w in WORD.findall(surface)]
    if not words or not any(c.isupper() for c in surface) or sum(map(len, words)) < 2:
        return False
    if words[0] in _NUMBER_LABELS:  # "N° FINESS", "numéro RPPS": the label of an identifier
        return False
    if sum(c.isdigit() for c in surface) >= _MAX_DIGITS:  # numbers are the patterns' business
        return False
    raw = WORD.findall(surface)
    if entity is Entity.PERSON and all(len(w) < 3 or normalise(w) in CIVILITY_WORDS for w in raw):
        return False  # "B. De A": initials alone (the pattern recognizers handle "[L.]", "de K")
    if raw[0].isupper() and len(raw[0]) <= 4 and all(w.islower() for w in raw[1:]):
        return False  # "LDH normale", "CRP négative": a measure, not an organisation
    return len(words) > 1 or _single_word_ok(surface, words[0], entity)


def _single_word_ok(surface: str, word: str, entity: Entity) -> bool:
    if word in GENERIC_WORDS or word in CIVILITY_WORDS or word in CALENDAR_WORDS:
        return False
    if _STREET_TYPE.fullmatch(surface.strip(".")):
        return False
    if entity is Entity.PERSON:
        return True
    if surface.isupper() and len(word) <= _ACRONYM_LENGTH[entity]:  # TVA, ECG, DRFIP
        return False
    return not word.endswith(COMMON_NOUN_SUFFIXES)


def _organisation_and_place(text: str, span: NerSpan, place: re.Match[str] | None) -> Iterator[NerSpan]:
    """'Église de Suède': the organisation, and the place it names."""
    if span.entity is not Entity.ORGANIZATION or place is None or not _real_place(text, span, place):
        yield span
        return
    head_end = place.start(0)
    if len(WORD.findall(text, span.start, head_end)) > 1:  # "Église": says nothing alone
        yield NerSpan(span.start, head_end, Entity.ORGANIZATION)
    yield NerSpan(place.start(1), place.end(1), Entity.LOCATION)


def _real_place(text: str, span: NerSpan, place: re.Match[str] | None) -> bool:
    """The place an institution names, unless it is itself a body or a domain ("Président du
    Conseil départemental", "ministère des Finances")."""
    if place is None:
        return False
    name = " ".join(normalise(w) for w in WORD.findall(place.group(1)))
    head = WORD.match(text, span.start)
    return not (
        name in GENERIC_WORDS
        or name.endswith(COMMON_NOUN_SUFFIXES)
        or _starts_with(name, _PUBLIC_BODY_HEADS)
        or (head is not None and normalise(head.group()) in TITLE_WORDS)
        or _NAMED_BY_BODY.search(text, span.start, place.start(1))
    )


def _starts_with(phrase: str, heads: frozenset[str]) -> bool:
    """The phrase is one of the heads, or begins with one followed by more words."""
    words = phrase.split(" ")
    return any(" ".join(words[:count]) in heads for count in range(1, min(len(words), _LONGEST_HEAD) + 1))


def _institution_parts(text: str, span: NerSpan) -> Iterator[NerSpan]:
    """Public bodies are not personal data but the place they name may be ("la cour d'appel de
    Rennes"); an establishment is an organisation, or the place it names."""
    if span.entity is Entity.PERSON:
        yield span
        return
    phrase = " ".join(normalise(w) for w in WORD.findall(text[span.start : span.end]))
    if phrase.split(" ", 1)[0] in TITLE_WORDS:
        return  # "Président du Conseil départemental": a function, not an organisation
    public = _starts_with(phrase, _PUBLIC_BODY_HEADS)
    establishment = _starts_with(phrase, _ESTABLISHMENT_HEADS)
    place = _TRAILING_PLACE.search(text, span.start, span.end)
    if not (public or establishment):
        yield from _organisation_and_place(text, span, place)
        return
    if _real_place(text, span, place) and place is not None:
        yield NerSpan(place.start(1), place.end(1), Entity.LOCATION)
    elif establishment:
        yield NerSpan(span.start, span.end, Entity.ORGANIZATION)
