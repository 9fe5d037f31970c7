"""English lines of a front-end's task prompt: the French NER is not believed there without
corroboration.

Open WebUI's task prompts (title, tags, follow-ups) and pasted English documents are English; the
French model takes their capitalised words for people and places ("Suggested", "Stock Market
Trends"). A light, offline test decides each line's language from spaCy's own French and English
stop-word lists (no model, no download): a line with clearly more English than French function
words is English; a line with neither (a heading, a JSON example) follows the text as a whole. On
English lines, a finding of the French NER alone is kept only if it is corroborated: a person whose
first word is a known first name and who has a second capitalised word, a known place; so is a pair
of capitalised words found only because the first is a first name ("Chip Recipe"). The other pattern
recognizers (addresses, e-mails, civilities, greetings...) are untouched; French lines are untouched.
"""

from __future__ import annotations

import re
from collections.abc import Sequence, Set

from spacy.lang.en.stop_words import STOP_WORDS as ENGLISH_STOP_WORDS
from spacy.lang.fr.stop_words import STOP_WORDS as FRENCH_STOP_WORDS

from proxy.analysis.findings import Finding
from proxy.analysis.first_names import is_first_name, normalise
from proxy.analysis.places import place_key
from proxy.entities import Entity

_WORD = re.compile(r"[^\W\d_]+(?:'[^\W\d_]+)?")
_ENGLISH_ONLY = frozenset(ENGLISH_STOP_WORDS - FRENCH_STOP_WORDS)
_FRENCH_ONLY = frozenset(FRENCH_STOP_WORDS - ENGLISH_STOP_WORDS)
_MIN_ENGLISH = 2  # English function words a line needs to be called English
# Only a front-end's task prompt ("### Task:" opens Open WebUI's), outside the conversation or
# documents it quotes: English names and addresses elsewhere (a pasted English letter) must stay
# found, and the French NER finds them better than nothing.
_TASK = re.compile(r"^#{1,4}[ \t]*Task:", re.M)
_QUOTED = re.compile(r"<(chat_history|source|context|document)\b.*?</\1>", re.S)
_NAME_PAIRS = "fr_person_name"  # its weakest pattern (two capitalised words) is doubted too
_SURE = 0.8


class EnglishLines:
    """Filters the French NER's findings on English lines (see the module docstring)."""

    def __init__(self, ner_recognizer: str, first_names: Set[str], places: Set[str]) -> None:
        self._ner = ner_recognizer
        self._first_names = first_names
        self._places = places

    def filter(self, text: str, findings: Sequence[Finding]) -> list[Finding]:
        if not _TASK.search(text) or not any(f.recognizer in (self._ner, _NAME_PAIRS) for f in findings):
            return list(findings)
        quoted = [block.span() for block in _QUOTED.finditer(text)]
        spans = [(s, e) for s, e in english_spans(text) if not any(qs < e and s < qe for qs, qe in quoted)]
        if not spans:
            return list(findings)
        return [f for f in findings if not self._doubtful(text, f, spans)]

    def _doubtful(self, text: str, finding: Finding, spans: Sequence[tuple[int, int]]) -> bool:
        if not any(s <= finding.start < e for s, e in spans):
            return False
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
            return not (capitalised >= 2 and is_first_name(self._first_names, normalise(words[0])))
        return True


def english_spans(text: str) -> list[tuple[int, int]]:
    """The (start, end) of each English line of the text."""
    lines, votes, start = [], [], 0
    for line in text.splitlines(keepends=True):
        words = [w.lower() for w in _WORD.findall(line)]
        english = sum(w in _ENGLISH_ONLY for w in words)
        french = sum(w in _FRENCH_ONLY for w in words)
        votes.append((english, french))
        lines.append((start, start + len(line)))
        start += len(line)
    total_english = sum(e for e, _ in votes)
    total_french = sum(f for _, f in votes)
    text_is_english = total_english >= _MIN_ENGLISH and total_english > 2 * total_french
    return [
        span
        for span, (english, french) in zip(lines, votes, strict=True)
        if (english >= _MIN_ENGLISH and english > 2 * french) or (text_is_english and english >= french)
    ]
