"""French term matching for policy rules: sentences, stems, terms and groups of alternatives.

A policy names words as a DPO writes them ("décider", "attribution d'aide"); requests use any
inflection ("décide", "décidez", "attribue l'aide"), with or without accents, in any order within a
sentence. Words are reduced to Snowball French stems (then stripped of accents) and short function
words are dropped, so that a term matches every form of its words in sequence, and a pattern (a list
of groups of alternative terms) matches when each group has a term in the same sentence.
"""

from __future__ import annotations

import re
import threading
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import snowballstemmer  # type: ignore[import-untyped]
import yaml

from proxy.analysis.normalise import normalise

_WORD = re.compile(r"[^\W_]+", re.UNICODE)
# A file's name is not words of the request: "note.odt" does not ask to grade anyone.
_FILE_NAME = re.compile(
    r"[^\s«»\"'()\[\]]+\.(?:pdf|docx?|odt|ods|odp|xlsx?|csv|txt|rtf|pptx?|md|png|jpe?g)\b"
)
_SENTENCE_END = re.compile(r"[.!?;\n\r]+(?:\s|$)|\n")
_STOPWORDS = frozenset(
    (  # not "a": "le maire a décidé" (a decision taken) is not "décider"; not "ta", "ton", "votre"…:
        # "ta réponse", "votre avis" say who is asked to decide
        "au",
        "aux",
        "ce",
        "cet",
        "cette",
        "ces",
        "d",
        "de",
        "des",
        "du",
        "en",
        "et",
        "l",
        "la",
        "le",
        "les",
        "leur",
        "leurs",
        "ma",
        "mes",
        "mon",
        "notre",
        "nos",
        "sa",
        "ses",
        "son",
        "un",
        "une",
        "s",
        "qu",
        "que",
        "qui",
    )
)
ALTERNATIVE_SEPARATOR = "|"
QUESTION = "?"  # a term ending with "?" ("lequel ?") is only found in a question
VOCABULARY_MARK = "@"  # "@decision" in a group stands for every term of that vocabulary
VOCABULARY_FILE = Path(__file__).resolve().parent / "data" / "vocabulary_fr.yaml"


_PER_THREAD = threading.local()


def _stemmer() -> object:
    """This thread's stemmer: a Snowball stemmer keeps its work in progress on itself, and the
    policy's text matching runs in several threads (the event loop, the admin console's workers)."""
    stemmer = getattr(_PER_THREAD, "stemmer", None)
    if stemmer is None:
        stemmer = _PER_THREAD.stemmer = snowballstemmer.stemmer("french")
    return stemmer


# Verb endings Snowball leaves on words it does not take for verbs ("fraudent", "embauchons"): cut
# when the word is long enough to keep a stem of four letters or more.
_VERB_ENDINGS = ("ent", "ons")
_MIN_CUT = 7


# Past participles of the first group ("décidé", "désignée", "fixés") report a decision someone took;
# the other forms (décide, décider, décidez, déciderais) ask for one. Their stems are kept apart.
_PARTICIPLE_ENDINGS = ("é", "ée", "és", "ées")
PARTICIPLE_MARK = "é"
_MIN_PARTICIPLE = 5


@lru_cache(maxsize=65536)
def stem(word: str) -> str:
    """The accent-free Snowball stem of one lower-case word (marked if a past participle)."""
    stemmed: str = _stemmer().stemWord(word)  # type: ignore[attr-defined]
    if stemmed == word and len(word) >= _MIN_CUT and word.endswith(_VERB_ENDINGS):
        stemmed = word[:-3]
    participle = len(word) >= _MIN_PARTICIPLE and word.endswith(_PARTICIPLE_ENDINGS)
    return strip_accents(stemmed) + (PARTICIPLE_MARK if participle else "")


def strip_accents(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.replace("œ", "oe").replace("æ", "ae"))
    return "".join(char for char in decomposed if not unicodedata.combining(char))


# "à" (to) is kept apart from "a" (has): "à qui attribuer" asks for a decision, "a attribué" reports
# one. A term written with "à" also matches "a", as agents often type it without its accent.
TO = "à"
HAS = "a"


def stems(text: str) -> tuple[str, ...]:
    """Stems of the content words of `text`, in order. A participle after the infinitive "être"
    ("doit être sanctionné", "doivent être classées") asks for the act: it is not marked."""
    words = _WORD.findall(_FILE_NAME.sub(" ", text.casefold().replace("’", "'")))
    found, after_etre = [], False
    for word in words:
        if word not in _STOPWORDS:
            stemmed = TO if word == TO else stem(word)
            found.append(stemmed[: -len(PARTICIPLE_MARK)] if after_etre and _marked(stemmed) else stemmed)
        after_etre = word in _INFINITIVE_ETRE
    return tuple(found)


_INFINITIVE_ETRE = frozenset({"être", "etre"})


def _marked(stemmed: str) -> bool:
    return stemmed.endswith(PARTICIPLE_MARK) and stemmed != PARTICIPLE_MARK


def _same(words: Sequence[str], term: Sequence[str]) -> bool:
    """Whether a sentence's stems are a term's ("a" stands for "à" in the sentence, not the reverse)."""
    if len(words) != len(term):  # the sentence ends before the term does
        return False
    return all(word == stem or (stem == TO and word == HAS) for word, stem in zip(words, term, strict=True))


@dataclass(frozen=True, slots=True)
class Sentence:
    """The stems of one sentence, with where each stem occurs (so a term is looked up, not searched)."""

    words: tuple[str, ...]
    where: Mapping[str, tuple[int, ...]]
    question: bool = False  # ends with "?"

    @classmethod
    def of(cls, words: tuple[str, ...], question: bool = False) -> Sentence:
        where: dict[str, list[int]] = {}
        for index, word in enumerate(words):
            where.setdefault(word, []).append(index)
            if word == HAS:  # also where a term's "à" may stand (see `_same`)
                where.setdefault(TO, []).append(index)
        return cls(words, {word: tuple(indexes) for word, indexes in where.items()}, question)

    @classmethod
    def parse(cls, text: str) -> Sentence:
        return cls.of(stems(text), text.rstrip().endswith(QUESTION))

    @classmethod
    def joined(cls, parts: Sequence[Sentence]) -> Sentence:
        """All the sentences of a text as one: a term or group absent from it is absent from each
        of them (a phrase may straddle two sentences here, so it is only a quick first look)."""
        return cls.of(tuple(word for part in parts for word in part.words), any(p.question for p in parts))


def sentences(text: str) -> list[Sentence]:
    """Each sentence of `text` (split on end punctuation and line breaks), read on its normalised
    view: "mala\u200bdie" with a zero-width space is "maladie" (see proxy/analysis/normalise.py)."""
    view = normalise(text).text
    return [Sentence.of(found, asks) for part, asks in _split_sentences(view) if (found := stems(part))]


# Abbreviations whose period does not end a sentence ("Décide si M. Martin doit être sanctionné").
_ABBREVIATIONS = frozenset(
    [
        "m",
        "mm",
        "mme",
        "mmes",
        "mlle",
        "mlles",
        "dr",
        "drs",
        "pr",
        "me",
        "mes",
        "mgr",
        "st",
        "ste",
        "cf",
        "art",
        "al",
        "av",
        "bd",
        "réf",
        "ref",
        "tél",
        "tel",
    ]
)
_LAST_WORD = re.compile(r"([^\W\d_]+)\s*$")
_ABBREVIATION_WINDOW = 16


def _split_sentences(text: str) -> list[tuple[str, bool]]:
    """Each sentence, and whether it is a question."""
    parts, start = [], 0
    for end in _SENTENCE_END.finditer(text):
        if end.group().startswith(".") and _ends_with_abbreviation(text, end.start()):
            continue
        parts.append((text[start : end.start()], QUESTION in end.group()))
        start = end.end()
    parts.append((text[start:], text.rstrip().endswith(QUESTION)))
    return parts


def _ends_with_abbreviation(text: str, end: int) -> bool:
    """`text[:end]` ends with a civility or title (M., Mme., Dr.), or an initial (J. Dupont).

    Only the last few characters are searched: searching the whole prefix at every period made
    splitting quadratic in the length of the text."""
    start = max(0, end - _ABBREVIATION_WINDOW)
    word = _LAST_WORD.search(text, start, end)
    if word is None or (word.start() == start and start > 0 and text[start - 1].isalpha()):
        return False  # no word, or one longer than any abbreviation
    return word.group(1).casefold() in _ABBREVIATIONS or (len(word.group(1)) == 1 and word.group(1).isupper())


@dataclass(frozen=True, slots=True)
class Term:
    """One word or phrase, as the sequence of its stems."""

    source: str
    stems: tuple[str, ...]
    question: bool = False  # only in a sentence that ends with "?"

    @classmethod
    def parse(cls, source: str) -> Term:
        return cls(source.strip(), stems(source), source.strip().endswith(QUESTION))

    def positions(self, sentence: Sentence) -> list[int]:
        """Start indexes where the term's stems occur in sequence in `sentence`."""
        if self.question and not sentence.question:
            return []
        size = len(self.stems)
        starts = sentence.where.get(self.stems[0], ())
        if size == 1:
            return list(starts)
        return [i for i in starts if _same(sentence.words[i : i + size], self.stems)]

    def found_in(self, sentence: Sentence) -> bool:
        if len(self.stems) > 1 and not all(word in sentence.where for word in self.stems[1:]):
            return False  # most phrases miss a word: looked up before their order is checked
        return bool(self.positions(sentence))


@dataclass(frozen=True, slots=True)
class Group:
    """Alternatives: the group is present when any of its terms is (one-word terms: a set lookup;
    phrases: only those whose first stem the sentence holds are looked at)."""

    terms: tuple[Term, ...]
    words: frozenset[str]
    phrases: tuple[Term, ...]
    heads: frozenset[str]  # first stem of each phrase: most sentences hold none of them
    by_head: Mapping[str, tuple[Term, ...]]

    @classmethod
    def of(cls, terms: Iterable[Term]) -> Group:
        kept = tuple(terms)
        words = frozenset(t.stems[0] for t in kept if len(t.stems) == 1 and not t.question)
        phrases = tuple(t for t in kept if len(t.stems) > 1 or t.question)
        by_head: dict[str, list[Term]] = {}
        for phrase in phrases:
            by_head.setdefault(phrase.stems[0], []).append(phrase)
        heads = frozenset(by_head)
        return cls(kept, words, phrases, heads, {head: tuple(p) for head, p in by_head.items()})

    @classmethod
    def parse(cls, source: str) -> Group:
        return cls.of(Term.parse(part) for part in expand(source.split(ALTERNATIVE_SEPARATOR)))

    def found_in(self, sentence: Sentence) -> bool:
        if not self.words.isdisjoint(sentence.where.keys()):
            return True
        present = self.heads.intersection(sentence.where.keys()) if self.heads else ()
        return any(term.found_in(sentence) for head in present for term in self.by_head[head])


@dataclass(frozen=True, slots=True)
class Pattern:
    """Every group must be present in one sentence, in any order."""

    groups: tuple[Group, ...]

    @classmethod
    def parse(cls, sources: Sequence[str]) -> Pattern:
        return cls(tuple(Group.parse(source) for source in sources))

    def found_in(self, sentence: Sentence) -> bool:
        return all(group.found_in(sentence) for group in self.groups)


def unusable_terms(sources: Iterable[str]) -> list[str]:
    """Terms that reduce to nothing (only function words or punctuation): a policy error. A
    vocabulary named "@name" must exist (else `UnknownVocabulary`)."""
    return [source for source in expand(sources) if not stems(source)]


class UnknownVocabulary(ValueError):
    """A term names a vocabulary that proxy/policy/data/vocabulary_fr.yaml does not define."""


@lru_cache(maxsize=1)
def vocabularies() -> Mapping[str, tuple[str, ...]]:
    """The project's named vocabularies (proxy/policy/data/vocabulary_fr.yaml): read once."""
    raw = yaml.safe_load(VOCABULARY_FILE.read_text(encoding="utf-8"))
    return {str(name): tuple(str(term) for term in terms) for name, terms in raw.items()}


def expand(parts: Iterable[str], seen: frozenset[str] = frozenset()) -> list[str]:
    """The terms of `parts`, each "@name" replaced by the terms of that vocabulary (which may name
    another one); empty parts dropped."""
    terms: list[str] = []
    for part in (p.strip() for p in parts):
        if not part.startswith(VOCABULARY_MARK):
            terms += [part] if part else []
            continue
        name = part[len(VOCABULARY_MARK) :].strip()
        if name not in vocabularies() or name in seen:
            known = ", ".join(VOCABULARY_MARK + n for n in sorted(vocabularies()))
            raise UnknownVocabulary(f"vocabulaire inconnu « {part} » (connus : {known})")
        terms += expand(vocabularies()[name], seen | {name})
    return terms
