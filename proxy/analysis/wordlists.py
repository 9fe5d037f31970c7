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
from typing import Any

import yaml

_NUMBER_WORDS = "number_words_fr.txt"
_IDENTIFIER_LABELS = "identifier_labels.yaml"
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


def first_letters(words: Iterable[str]) -> str:
    """A look-ahead accepting exactly the first letters of the words (both cases, any accent)."""
    letters: set[str] = set()
    for word in words:
        first = word[0].lower()
        letters.update({first, first.upper(), *_VARIANTS.get(_bare(first), "")})
        letters.update(c.upper() for c in _VARIANTS.get(_bare(first), ""))
    return f"(?=[{re.escape(''.join(sorted(letters)))}])"
