"""Word lists of the detector, read from `data/` (one file per concept, each naming its source),
and the regular expressions generated from them: alternations and their first-letter prefilters.

Nothing here is written by hand for speed: a prefilter is derived from the words it guards, so a
word added to a file can never be dropped by a look-ahead that forgot its first letter.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Iterable, Mapping
from importlib import resources
from re import _constants, _parser  # type: ignore[attr-defined]  # the stdlib's regex parser
from typing import Any

import yaml

_NUMBER_WORDS = "number_words_fr.txt"
_IDENTIFIER_LABELS = "identifier_labels.yaml"
_IDENTIFIER_SHAPES = "identifier_shapes.yaml"
_PEOPLE_LIST_LABELS = "people_list_labels_fr.txt"
# A letter of a word list matches its accented and unaccented forms alike.
_VARIANTS = {
    "a": "aàâä",
    "c": "cç",
    "e": "eéèêë",
    "i": "iîï",
    "o": "oôö",
    "u": "uùûü",
    "'": "'’",
}


def _read(name: str) -> str:
    return resources.files("proxy.analysis").joinpath("data", name).read_text(encoding="utf-8")


def read_list(name: str) -> tuple[str, ...]:
    """The non-empty, non-comment lines of a data file."""
    lines = (line.strip() for line in _read(name).splitlines())
    return tuple(line for line in lines if line and not line.startswith("#"))


@functools.cache
def words(name: str) -> tuple[str, ...]:
    """The items of a data file, in the file's order (read once per process)."""
    items = read_list(name)
    if not items:
        raise ValueError(f"{name} : liste vide")
    return items


@functools.cache
def word_set(name: str) -> frozenset[str]:
    return frozenset(words(name))


@functools.cache
def pairs(name: str) -> Mapping[str, str]:
    """A data file of pairs, one per line: a key, one space, its value."""
    pairs = [line.split(" ") for line in words(name)]
    if any(len(pair) != 2 for pair in pairs):
        raise ValueError(f"{name} : une paire « clé valeur » par ligne est attendue")
    return {key: value for key, value in pairs}


@functools.cache
def alternatives(name: str) -> str:
    """A data file of regular-expression alternatives (one per line, in the order they are tried)
    as one alternation, without its group: the caller puts it in `(?:...)` or `(?i:...)`."""
    return "|".join(words(name))


@functools.cache
def number_words() -> tuple[str, ...]:
    return read_list(_NUMBER_WORDS)


@functools.cache
def people_list_labels() -> tuple[str, ...]:
    return read_list(_PEOPLE_LIST_LABELS)


@functools.cache
def identifier_labels() -> Mapping[str, tuple[str, ...]]:
    """Strong labels per recognizer name (data/identifier_labels.yaml)."""
    raw: Any = yaml.safe_load(_read(_IDENTIFIER_LABELS))
    if not isinstance(raw, dict) or not all(isinstance(v, list) and v for v in raw.values()):
        raise ValueError(f"{_IDENTIFIER_LABELS} : une liste de libellés par reconnaisseur est attendue")
    return {str(name): tuple(str(label).lower() for label in labels) for name, labels in raw.items()}


@functools.cache
def identifier_shapes() -> Mapping[str, str]:
    """The shape of each identifier after a strong label (data/identifier_shapes.yaml); `{S}`
    stands for the optional separator inside a number."""
    raw: Any = yaml.safe_load(_read(_IDENTIFIER_SHAPES))
    if not isinstance(raw, dict) or not all(isinstance(v, str) and v for v in raw.values()):
        raise ValueError(f"{_IDENTIFIER_SHAPES} : une expression régulière par reconnaisseur est attendue")
    return {str(name): shape for name, shape in raw.items()}


def _bare(letter: str) -> str:
    return unicodedata.normalize("NFKD", letter)[0].replace("’", "'")


def word_regex(word: str) -> str:
    """A word or phrase of a list: accents optional, any run of spaces, either apostrophe."""
    parts = []
    for letter in word.lower():
        if letter == " ":
            parts.append(r"[ \u00a0]+")
        elif letter == "°":
            parts.append("[°o]")
        else:
            base = _bare(letter)
            variants = _VARIANTS.get(base, "") + letter
            parts.append(
                f"[{re.escape(''.join(sorted(set(variants))))}]"
                if len(set(variants)) > 1
                else re.escape(letter)
            )
    return "".join(parts)


def alternation(words: Iterable[str]) -> str:
    """One non-capturing group matching any of the words (longest first)."""
    ordered = sorted(set(words), key=lambda w: (-len(w), w))
    return "(?:" + "|".join(word_regex(word) for word in ordered) + ")"


def prefilter(regex: str) -> str:
    """A look-ahead accepting the characters `regex` can start with (in any case, as the regex
    engine folds them), generated from the regex itself: put before it, it only spares the regex
    the positions where it cannot match, so it can never drop a match."""
    starts = _starts(_parser.parse(regex))
    if starts is None:
        raise ValueError(f"aucun préfiltre possible pour {regex[:40]!r}")
    return f"(?=(?i:[{''.join(sorted(re.escape(c) if len(c) == 1 else c for c in starts))}]))"


def _starts(items: Any) -> set[str] | None:
    """The first characters of a parsed sequence; None: any character may come first."""
    found: set[str] = set()
    for op, value in items:
        first = _first(op, value)
        if first is None:
            return None
        chars, optional = first
        found |= chars
        if not optional:
            return found
    return None  # the whole sequence may match nothing: what follows it comes first


def _first(op: Any, value: Any) -> tuple[set[str], bool] | None:
    """(first characters, may match nothing) of one parsed item."""
    if op in (_constants.AT, _constants.ASSERT, _constants.ASSERT_NOT):
        return set(), True  # zero width
    if op is _constants.LITERAL:
        return {chr(value)}, False
    if op is _constants.IN:
        return _class(value)
    if op is _constants.SUBPATTERN:
        return _group(value[-1])
    if op is _constants.BRANCH:
        return _branches(value[1])
    if op in (_constants.MAX_REPEAT, _constants.MIN_REPEAT):
        inner = _group(value[2])
        return None if inner is None else (inner[0], inner[1] or value[0] == 0)
    return None


def _group(items: Any) -> tuple[set[str], bool] | None:
    found: set[str] = set()
    for op, value in items:
        first = _first(op, value)
        if first is None:
            return None
        found |= first[0]
        if not first[1]:
            return found, False
    return found, True


def _branches(branches: Any) -> tuple[set[str], bool] | None:
    found: set[str] = set()
    optional = False
    for branch in branches:
        first = _group(branch)
        if first is None:
            return None
        found |= first[0]
        optional = optional or first[1]
    return found, optional


def _class(items: Any) -> tuple[set[str], bool] | None:
    chars: set[str] = set()
    for op, value in items:
        if op is _constants.LITERAL:
            chars.add(chr(value))
        elif op is _constants.RANGE:
            chars.update(chr(c) for c in range(value[0], value[1] + 1))
        elif op is _constants.CATEGORY and value is _constants.CATEGORY_DIGIT:
            chars.add(r"\d")  # any Unicode digit, as the regex's own \d
        else:
            return None  # negated classes and other categories: anything
    return chars, False


def first_letters(words: Iterable[str]) -> str:
    """A look-ahead accepting exactly the first letters of the words (both cases, any accent)."""
    letters: set[str] = set()
    for word in words:
        first = word[0].lower()
        letters.update({first, first.upper(), *_VARIANTS.get(_bare(first), "")})
        letters.update(c.upper() for c in _VARIANTS.get(_bare(first), ""))
    return f"(?=[{re.escape(''.join(sorted(letters)))}])"
