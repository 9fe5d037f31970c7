"""The language of each line of a text, and English lines analysed as English.

Open WebUI's task and RAG prompts and pasted English documents are English: the French model takes
their capitalised words for people and places ("Suggested", "Stock Market Trends", "Ensure").

A segment is a line. Front-end templates, chat histories, e-mails and Markdown are written in lines;
markup (`<source>`, `### Task:`) starts lines; a line rarely mixes two languages, while a paragraph
of a French letter often quotes an English line ("Subject: ...", "Dear Sir or Madam,").

Each line is first counted for function words found only in English or only in French (spaCy's
stop-word lists: no model). A line with more English than French ones is a candidate, and lingua
(French and English only, offline models shipped in its wheel) decides; a line with French ones
(or as many) is French; a line with none (a heading, a name, a JSON example) follows the text: English
if its decided English lines are longer than its French ones, else French. A French text thus costs
the count alone; lingua reads only the lines that look English.

English lines are read by the English model (`models/nlp.yaml`, `english`), its findings checked by
conservative rules (no acronym, no single capitalised word opening an instruction line, no markup or
placeholder); the French model's findings there are kept only if corroborated (a known first name
followed by a capitalised word, a known place), and the weakest French name pattern (two capitalised
words, the first a first name: "Chip Recipe") is doubted too. The other pattern recognizers (e-mails,
phones, addresses, identifiers, civilities, dates...) run on every line. French lines are untouched.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence, Set
from dataclasses import replace

from lingua import Language, LanguageDetectorBuilder
from spacy.lang.en.stop_words import STOP_WORDS as ENGLISH_STOP_WORDS
from spacy.lang.fr.stop_words import STOP_WORDS as FRENCH_STOP_WORDS

from proxy.analysis.findings import Finding
from proxy.analysis.first_names import is_first_name, normalise
from proxy.analysis.ner import ENGLISH, FRENCH, NerText, RawEntity
from proxy.analysis.places import place_key
from proxy.analysis.wordlists import read_list, word_set
from proxy.entities import Entity

Span = tuple[int, int]
ENGLISH_NER_RECOGNIZER = "spacy_ner_en"

_WORD = re.compile(r"[^\W\d_]+(?:'[^\W\d_]+)?")
_ENGLISH_ONLY = frozenset(ENGLISH_STOP_WORDS - FRENCH_STOP_WORDS)
_FRENCH_ONLY = frozenset(FRENCH_STOP_WORDS - ENGLISH_STOP_WORDS)
_CONFIDENCE = 0.5  # lingua's confidence that a candidate line is English (two languages: the likelier)
_NAME_PAIRS = "fr_person_name"  # its weakest pattern (two capitalised words) is doubted too
_SURE = 0.8
_TRIM = " \t\u00a0,;:.!?()[]\"'’-–—"
_NOT_A_NAME = re.compile(r"[{}<>\[\]`|=_/\\@#*]")  # markup, placeholders, code
_LINE_START = re.compile(r"(?:^|\n)[ \t]*(?:(?:[-*+>#]+|\d+[.)])[ \t]*)*$")
_LINE_START_REACH = 40
_COURTESY_WORDS = "courtesy_words_en.txt"
_TEMPLATE_LINES = "frontend_template_lines.txt"  # Open WebUI's own prompts: fixed text, no one's data
_NAME_WORD = re.compile(r"\S+")
_PARTICLES = "particles_in_english_names.txt"


class LanguageIdentifier:
    """Finds the English lines of a text (see the module docstring). Thread-safe; build once."""

    def __init__(self) -> None:
        builder = LanguageDetectorBuilder.from_languages(Language.ENGLISH, Language.FRENCH)
        self._lingua = builder.with_preloaded_language_models().build()

    def english_spans(self, text: str) -> list[Span]:
        """The (start, end) of each run of English lines (their line ends included)."""
        lines = list(_lines(text))
        languages = [
            self._language(text[start:end], english, french) for start, end, english, french in lines
        ]
        sizes = {ENGLISH: 0, FRENCH: 0}
        for (start, end, _, _), language in zip(lines, languages, strict=True):
            if language is not None:
                sizes[language] += end - start
        default = ENGLISH if sizes[ENGLISH] > sizes[FRENCH] else FRENCH
        english_lines = (
            (start, end)
            for (start, end, _, _), language in zip(lines, languages, strict=True)
            if (language or default) == ENGLISH
        )
        return _merged(english_lines)

    def _language(self, line: str, english: int, french: int) -> str | None:
        if english > french:
            confidence = self._lingua.compute_language_confidence(line, Language.ENGLISH)
            return ENGLISH if confidence >= _CONFIDENCE else FRENCH
        return FRENCH if french else None


def _lines(text: str) -> Iterable[tuple[int, int, int, int]]:
    """(start, end, English-only function words, French-only function words) of each line."""
    start = 0
    for line in text.splitlines(keepends=True):
        words = [w.lower() for w in _WORD.findall(line)]
        english = sum(w in _ENGLISH_ONLY for w in words)
        french = sum(w in _FRENCH_ONLY for w in words)
        yield start, start + len(line), english, french
        start += len(line)


def _merged(spans: Iterable[Span]) -> list[Span]:
    merged: list[Span] = []
    for start, end in spans:
        if merged and merged[-1][1] == start:
            merged[-1] = (merged[-1][0], end)
        else:
            merged.append((start, end))
    return merged


def ner_texts(texts: Sequence[str], english: Sequence[Sequence[Span]]) -> list[NerText]:
    """What the NER reads: each whole text in French, then each of its English runs in English."""
    routed: list[NerText] = []
    for text, spans in zip(texts, english, strict=True):
        routed.append((FRENCH, text))
        routed.extend((ENGLISH, text[start:end]) for start, end in spans)
    return routed


def regrouped(
    english: Sequence[Sequence[Span]], found: Sequence[list[RawEntity]]
) -> list[tuple[list[RawEntity], list[RawEntity]]]:
    """Per text, the French model's entities and the English model's (in the text's offsets), from
    the entities of `ner_texts`' list."""
    grouped: list[tuple[list[RawEntity], list[RawEntity]]] = []
    position = 0
    for spans in english:
        french = found[position]
        shifted = [
            (start + s, start + e, label)
            for (start, _), entities in zip(
                spans, found[position + 1 : position + 1 + len(spans)], strict=True
            )
            for s, e, label in entities
        ]
        grouped.append((french, shifted))
        position += 1 + len(spans)
    return grouped


class EnglishLines:
    """The findings of a text's English lines (see the module docstring)."""

    def __init__(
        self,
        ner_recognizer: str,
        labels: Mapping[str, Entity],
        score: float,
        first_names: Set[str],
        places: Set[str],
    ) -> None:
        self._ner = ner_recognizer
        self._labels = labels
        self._score = score
        self._first_names = first_names
        self._places = places
        self._courtesy = frozenset(read_list(_COURTESY_WORDS))
        self._template_lines = frozenset(read_list(_TEMPLATE_LINES))

    def findings(self, text: str, entities: Sequence[RawEntity]) -> list[Finding]:
        """The English model's entities that pass the rules, as findings."""
        found = (
            self._finding(text, s, e, self._labels[label])
            for s, e, label in entities
            if label in self._labels
        )
        return [f for f in found if f is not None]

    def filter(self, text: str, findings: Iterable[Finding], spans: Sequence[Span]) -> list[Finding]:
        """The findings, less the French model's (and weak name pairs) on English lines, unless
        corroborated."""
        findings = list(findings)
        if not spans:
            return findings
        english = [f for f in findings if f.recognizer == ENGLISH_NER_RECOGNIZER]
        fixed = self._template_spans(text, spans)
        cut = (self._cut(text, f, spans) for f in findings if not any(s <= f.start < e for s, e in fixed))
        return [f for f in cut if not self._doubtful(text, f, spans, english)]

    def _template_spans(self, text: str, spans: Sequence[Span]) -> list[Span]:
        """The English lines that are verbatim lines of a front-end's own prompt (an example such as
        "New York City for Italian cuisine." is the front-end's text, not someone's data)."""
        found = []
        for start, end in spans:
            position = start
            for line in text[start:end].splitlines(keepends=True):
                if line.strip() in self._template_lines:
                    found.append((position, position + len(line)))
                position += len(line)
        return found

    def _cut(self, text: str, finding: Finding, spans: Sequence[Span]) -> Finding:
        """A French-model person on an English line, ended where the name ends."""
        if finding.recognizer != self._ner or finding.entity is not Entity.PERSON:
            return finding
        if not any(s <= finding.start < e for s, e in spans):
            return finding
        end = finding.start
        for word in _NAME_WORD.finditer(text, finding.start, finding.end):
            if not word.group()[:1].isupper() and word.group() not in word_set(_PARTICLES):
                break  # "Sarah Whitfield moved to 42 Baker Street", "Seán Murphy and Aoife Murphy"
            end = word.end()
        return finding if end == finding.end else replace(finding, end=end)

    def _finding(self, text: str, start: int, end: int, entity: Entity) -> Finding | None:
        value = text[start:end]
        first_line = value.split("\n", 1)[0]
        stripped = first_line.lstrip(_TRIM)
        start += len(first_line) - len(stripped)
        value = stripped.rstrip(_TRIM)
        if not any(c.isalpha() for c in value) or _NOT_A_NAME.search(value):
            return None
        words = value.split()
        if len(words) == 1 and place_key(value) in self._places:
            entity = Entity.LOCATION  # "Bergerac", "Bandol": the small English model says PERSON
        if not (words[0][:1].isupper() and words[-1][:1].isupper()):
            return None  # a name starts and ends with a capital ("de construire" in a French quote)
        if len(words) == 1 and not self._single_word_kept(text, start, value, entity):
            return None
        if entity is Entity.PERSON and self._opens_line(text, start, words[0]):
            return None  # "Ignore Markdown", "Generate" open instruction lines
        if entity is Entity.ORGANIZATION and "," in value:
            return None  # a list of capitalised words ("Science, Technology, Arts")
        return Finding(start, start + len(value), entity, self._score, ENGLISH_NER_RECOGNIZER)

    def _single_word_kept(self, text: str, start: int, word: str, entity: Entity) -> bool:
        if word.isupper() or word.lower() in self._courtesy:
            return False  # an acronym (JSON, XML, IBAN), "Dear", "Madam"
        if entity is not Entity.PERSON or is_first_name(self._first_names, normalise(word)):
            return True
        before = text[max(0, start - _LINE_START_REACH) : start].split()
        return (
            bool(before) and before[-1].rstrip(".").lower() in self._courtesy
        )  # "Mr Thompson", not "Python"

    def _opens_line(self, text: str, start: int, word: str) -> bool:
        if is_first_name(self._first_names, normalise(word)):
            return False
        return _LINE_START.search(text, max(0, start - _LINE_START_REACH), start) is not None

    def _doubtful(
        self, text: str, finding: Finding, spans: Sequence[Span], english: Sequence[Finding]
    ) -> bool:
        if not any(s <= finding.start < e for s, e in spans):
            return False
        if finding.end <= finding.start:
            return True
        if finding.recognizer == _NAME_PAIRS and finding.score < _SURE:
            return True  # "Chip Recipe": two capitalised words, the first a first name
        if finding.recognizer != self._ner:
            return False
        value = text[finding.start : finding.end]
        if finding.entity is Entity.LOCATION:
            return place_key(value) not in self._places
        if finding.entity is Entity.PERSON:
            words = value.split()
            capitalised = sum(w[:1].isupper() for w in words)
            if capitalised >= 2 and is_first_name(self._first_names, normalise(words[0])):
                return False
            return capitalised < 2 or any(finding.overlaps(f) for f in english)  # an unknown first name
        return True
