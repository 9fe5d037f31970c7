"""A learned reading of forbidden uses: which family of decision about a person a request asks for.

Word pairs written by hand ("décide" with "sanction" in a few sentences) found 0.79 of the forbidden
uses in requests written apart from them, with 10 % false alarms; agents ask for a decision in too
many ways ("lequel on prend ?", "je présenterai ton ordre", "faute ou pas faute ?"). This model is a
multinomial logistic regression over the words of the request: Snowball stems and their pairs (as
the policy's lexicon reads them, see lexicon.py), four-letter pieces of the words (typos, SMS style),
whether a sentence is a question, its first word, the words of the sentences that address the
assistant read apart, and the project's named vocabularies found in it. It was trained
on the labelled requests of bench/data/ (how, and its figures on sets it never saw: that folder's
README) by `python -m proxy.policy.data.train_use_model`, which writes proxy/policy/data/use_model_fr.json.

At run time, a sum of weights per class (numpy, already there for spaCy) and a softmax: no
network, about a millisecond for a request of 1,000 characters. The file holds weights of words and pieces
of words, never a request.
"""

from __future__ import annotations

import gzip
import itertools
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import numpy as np
import numpy.typing as npt

from proxy.analysis.normalise import normalise
from proxy.policy.lexicon import VOCABULARY_MARK, Group, Sentence, Term, sentences, vocabularies

MODEL_FILE = Path(__file__).resolve().parent / "data" / "use_model_fr.json.gz"
NEGATIVE = "negatif"  # the class of requests that ask for no forbidden use
_LETTERS = re.compile(r"[^\W\d_]+")
_PIECE = 4  # letters in a piece of a word (" déc", "écid", "cide", "ide ")
_LENGTH_STEP, _LONG = 5, 40  # words
_WORDS_REMEMBERED = 50_000


@dataclass(frozen=True, slots=True)
class _VocabularyIndex:
    """Which named vocabularies a sentence holds, found from its words (one lookup per word) rather
    than by trying each vocabulary on each sentence."""

    by_word: Mapping[str, frozenset[str]]  # stem of a one-word term -> names of its vocabularies
    by_head: Mapping[str, tuple[tuple[str, Term], ...]]  # first stem of a phrase -> (name, phrase)

    @classmethod
    def build(cls) -> _VocabularyIndex:
        by_word: dict[str, set[str]] = {}
        by_head: dict[str, list[tuple[str, Term]]] = {}
        for name in sorted(vocabularies()):
            group = Group.parse(VOCABULARY_MARK + name)
            for word in group.words:
                by_word.setdefault(word, set()).add(name)
            for phrase in group.phrases:
                by_head.setdefault(phrase.stems[0], []).append((name, phrase))
        return cls(
            {word: frozenset(names) for word, names in by_word.items()},
            {head: tuple(phrases) for head, phrases in by_head.items()},
        )

    def names_in(self, sentence: Sentence) -> set[str]:
        names: set[str] = set()
        for word in sentence.where:
            names.update(self.by_word.get(word, ()))
        for head in self.by_head.keys() & sentence.where.keys():
            names.update(name for name, phrase in self.by_head[head] if phrase.found_in(sentence))
        return names


@lru_cache(maxsize=1)
def _vocabulary_index() -> _VocabularyIndex:
    return _VocabularyIndex.build()


def features(text: str, text_sentences: Sequence[Sentence] | None = None) -> frozenset[str]:
    """What the model reads of a request (the same at training and at run time); `text_sentences`:
    the text's sentences, when the caller has them already (`lexicon.sentences(text)`)."""
    read = sentences(text) if text_sentences is None else text_sentences
    found = set(_reading_features(read))
    for word in distinct_words(text):
        found.update(word_pieces(word))
    return frozenset(found)


def _reading_features(read: Sequence[Sentence]) -> Iterable[str]:
    for sentence in read:
        yield from _sentence_features(sentence)
    # How long the request is, in steps of five words: a short one needs less evidence of an ask
    # ("Note ce candidat sur 20.") than a long pasted document
    yield f"n:{min(sum(len(s.words) for s in read), _LONG) // _LENGTH_STEP}"


def distinct_words(text: str) -> set[str]:
    return set(_LETTERS.findall(normalise(text).text.casefold()))


def word_pieces(word: str) -> tuple[str, ...]:
    """The pieces of `_PIECE` letters of one word, its edges marked (typos change few of them)."""
    padded = f" {word} "
    return tuple("c:" + padded[i : i + _PIECE] for i in range(len(padded) - _PIECE + 1))


# Stems that address the assistant ("tu", "vous", "moi", "stp", "peux", "pourriez"…). A sentence
# holding one, or a question, asks something of it: its words are also read apart ("a:"), so that
# the ask weighs more than the pasted material around it (a table of applicants followed by
# "Traduis-le" is not "Dis-moi lequel prendre"); measured on the sets written apart, +0.9 point of
# recall at the same false alarms.
_ADDRESS = frozenset(
    {"tu", "toi", "te", "t", "vous", "moi", "stp", "svp", "merc", "peux", "pouv", "pourr", "veux", "voudr"}
)


def _sentence_features(sentence: Sentence) -> Iterable[str]:
    words = sentence.words
    yield from ("u:" + word for word in words)
    yield from (f"b:{first}_{second}" for first, second in itertools.pairwise(words))
    yield "f:" + words[0]  # an imperative opens its sentence ("Classe", "Traduis", "Décide")
    if sentence.question or not _ADDRESS.isdisjoint(words):
        yield from ("a:" + word for word in words)
    if sentence.question:
        yield "q"
    for name in _vocabulary_index().names_in(sentence):
        yield "v:" + name
        if sentence.question:
            yield "vq:" + name


@dataclass(frozen=True, slots=True)
class UseModel:
    """The classes (families of forbidden uses, and `negatif`), a weight per class for each feature,
    and the probability from which a family counts as asked for."""

    classes: tuple[str, ...]
    rows: Mapping[str, int]  # feature -> its row of `weights`
    weights: npt.NDArray[np.float64]  # one row per feature, one column per class
    bias: npt.NDArray[np.float64]
    threshold: float
    provenance: Mapping[str, object]
    # word -> rows of its pieces: most words of a request were met before (bounded, see `_piece_rows`)
    _by_word: dict[str, tuple[int, ...]] = field(default_factory=dict, compare=False, repr=False)

    @property
    def families(self) -> tuple[str, ...]:
        return tuple(name for name in self.classes if name != NEGATIVE)

    def probabilities(self, text: str, text_sentences: Sequence[Sentence] | None = None) -> dict[str, float]:
        """The probability of each class for one request (see `features` for `text_sentences`)."""
        known = self.rows
        read = sentences(text) if text_sentences is None else text_sentences
        rows = {known[feature] for feature in _reading_features(read) if feature in known}
        for word in distinct_words(text):
            rows.update(self._piece_rows(word))
        totals = self.bias + self.weights[list(rows)].sum(axis=0)
        exponentials = np.exp(totals - totals.max())
        shares = exponentials / exponentials.sum()
        return {name: float(share) for name, share in zip(self.classes, shares, strict=True)}

    def _piece_rows(self, word: str) -> tuple[int, ...]:
        rows = self._by_word.get(word)
        if rows is None:
            if len(self._by_word) >= _WORDS_REMEMBERED:
                self._by_word.clear()
            known = self.rows
            rows = self._by_word[word] = tuple(known[p] for p in word_pieces(word) if p in known)
        return rows

    def asked(
        self, probabilities: Mapping[str, float], families: Sequence[str], threshold: float | None
    ) -> bool:
        """Whether the request asks for one of `families`: their probabilities summed reach the
        threshold, or the request asks for a forbidden use (all families summed, the quantity the
        threshold was chosen on) and the likeliest family is one of them. Without the second
        reading, "Mme B. a gonflé ses revenus : on lui coupe l'aide ?" (sanction 0.4, fraude 0.3,
        aide 0.2) asked for a forbidden use yet for no rule of the policy: 4 points of recall lost
        on a set written apart."""
        limit = self.threshold if threshold is None else threshold
        if sum(probabilities.get(family, 0.0) for family in families) >= limit:
            return True
        forbidden = {family: probabilities.get(family, 0.0) for family in self.families}
        likeliest = max(forbidden, key=forbidden.__getitem__)
        return likeliest in families and sum(forbidden.values()) >= limit

    @classmethod
    def read(cls, path: Path) -> UseModel:
        raw = json.loads(gzip.decompress(path.read_bytes()).decode("utf-8"))
        classes = tuple(str(name) for name in raw["classes"])
        names = sorted(raw["weights"])
        weights = np.array([raw["weights"][name] for name in names], dtype=np.float64)
        bias = np.array(raw["bias"], dtype=np.float64)
        rows = {name: row for row, name in enumerate(names)}
        return cls(classes, rows, weights, bias, float(raw["threshold"]), raw["provenance"])


@lru_cache(maxsize=1)
def use_model() -> UseModel:
    """The model shipped in proxy/policy/data/ (read once, on first use)."""
    return UseModel.read(MODEL_FILE)
