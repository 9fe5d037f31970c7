"""First names known to Faker's person providers (French and the languages most heard in France).

Loaded on demand (never at import time) and normalised: case-folded, accents removed.
"""

from __future__ import annotations

import importlib
import re
import unicodedata
from collections.abc import Iterable, Set

# French-speaking locales, then the languages most often met in French administrative files.
FAKER_LOCALES = (
    "fr_FR",
    "fr_BE",
    "fr_CH",
    "fr_QC",
    "fr_CA",
    "fr_DZ",
    "en",
    "en_GB",
    "en_US",
    "en_IE",
    "es_ES",
    "it_IT",
    "de_DE",
    "de_CH",
    "pt_PT",
    "pt_BR",
    "nl_NL",
    "nl_BE",
    "pl_PL",
    "ro_RO",
    "tr_TR",
)
# Entries of those lists that are above all French words (function words, months, places).
_NOT_NAMES = frozenset(
    [
        "le",
        "la",
        "les",
        "de",
        "des",
        "du",
        "un",
        "une",
        "et",
        "en",
        "au",
        "aux",
        "par",
        "pour",
        "sur",
        "son",
        "sa",
        "ses",
        "elle",
        "il",
        "bas",
        "deja",
        "aura",
        "ah",
        "sien",
        "mai",
        "juin",
        "france",
        "paris",
        "justice",
        "page",
        "saint",
        "sainte",
        "prince",
        "ville",
    ]
)
_LATIN_NAME = re.compile(r"[a-z][a-z' -]+")
# A word with its inner apostrophes and hyphens: "d'Ascq", "Jean-Pierre", "Villeneuve-d’Ascq".
WORD = re.compile(r"[^\W_]+(?:['’-][^\W_]+)*")
_ATTRIBUTES = ("first_names", "first_names_male", "first_names_female", "first_names_nonbinary")
_MIN_LENGTH = 3


def normalise(word: str) -> str:
    """Case-folded, without accents: 'Hélène' -> 'helene'."""
    if word.isascii():  # most words: nothing to decompose (same result, a tenth of the time)
        return word.lower()
    decomposed = unicodedata.normalize("NFKD", word.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def is_first_name(first_names: Set[str], word: str) -> bool:
    """A normalised word that is a known first name, or made of them ("jean-pierre")."""
    return word in first_names or all(part in first_names for part in word.split("-"))


def load_first_names(locales: Iterable[str] = FAKER_LOCALES) -> frozenset[str]:
    names: set[str] = set()
    for locale in locales:
        provider = importlib.import_module(f"faker.providers.person.{locale}").Provider
        for attribute in _ATTRIBUTES:
            values = getattr(provider, attribute, ())
            if isinstance(values, list | tuple | dict):
                names.update(_split(values))
    return frozenset(
        name
        for name in names
        if len(name) >= _MIN_LENGTH and name not in _NOT_NAMES and _LATIN_NAME.fullmatch(name)
    )


def _split(values: Iterable[str]) -> Iterable[str]:
    """'Jean-Pierre' gives 'jean-pierre', 'jean' and 'pierre'."""
    for value in values:
        name = normalise(value)
        yield name
        yield from name.replace("-", " ").split()
