"""Keyed pseudonym numbers: the same value, for the same caller, always asks for the same number.

number = 1 + HMAC-SHA256(caller key, entity || normalised value || attempt) mod 9999

No map is kept anywhere: the number is recomputed from the value on every request. `attempt` only
grows when two values of one request want the same number (see vault.py).
"""

from __future__ import annotations

import hashlib
import hmac
import re
import unicodedata
from collections.abc import Iterator

from proxy.entities import CustomEntity, Entity, EntityType

NUMBERS = 9999
_IDENTIFIERS = frozenset(Entity) - {
    Entity.PERSON,
    Entity.LOCATION,
    Entity.ADDRESS,
    Entity.ORGANIZATION,
    Entity.DATE,
    Entity.DATE_OF_BIRTH,
}
_NOT_ALNUM = re.compile(r"[\W_]+")


def normalise(entity: EntityType, value: str) -> str:
    """The form two writings of one value share: case, accents, spacing (and, for numbers, separators)."""
    text = (value if value.isascii() else _without_accents(value)).casefold()
    if entity in _IDENTIFIERS or isinstance(entity, CustomEntity):  # a DPO's types are identifiers
        text = _NOT_ALNUM.sub("", text)
        if entity is Entity.PHONE and text.startswith("33") and len(text) == 11:
            text = "0" + text[2:]  # +33 6 12 34 56 78 is 06 12 34 56 78
        return text
    return " ".join(_NOT_ALNUM.sub(" ", text).split())


def _without_accents(value: str) -> str:
    """NFKD, then the combining marks dropped (an ASCII text has none: `normalise` skips this)."""
    decomposed = unicodedata.normalize("NFKD", value)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def numbers(key: bytes, entity: EntityType, normalised: str) -> Iterator[int]:
    """The numbers this value asks for, in order of preference (endless, deterministic)."""
    attempt = 0
    while True:
        message = f"{entity}\x00{normalised}\x00{attempt}".encode()
        digest = hmac.digest(key, message, hashlib.sha256)
        yield 1 + int.from_bytes(digest[:8], "big") % NUMBERS
        attempt += 1
