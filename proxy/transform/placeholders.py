"""The placeholder grammar: how a placeholder is written for the model, and how it is read back.

Written strictly (`[PERSONNE_4821]`), read tolerantly (`[Personne 4821]`, `[ personne_4821 ]`,
`[Téléphone-12]`), because models lightly rewrite what they copy. Reading only ever yields a
`Placeholder` key; which value (if any) it stands for is the vault's business.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from proxy.analysis.findings import Finding
from proxy.entities import Entity, EntityType

# Longest text between the brackets that can still be read as a placeholder. Bounds the stream
# restorer's carry buffer: it never holds more than "[" + MAX_INNER characters.
MAX_INNER = 40
CANDIDATE = re.compile(rf"\[([^\[\]\n]{{1,{MAX_INNER}}})\]")
_READABLE = re.compile(r" *([A-Z]+(?:[ _-]+[A-Z]+)*)[ _-]*([0-9]{1,6}) *")
OPAQUE_LABEL = "DONNEE"
# A placeholder exactly as the proxy writes it: a known label and at most 4 digits, nothing personal.
_LABELS = "|".join(sorted({entity.label for entity in Entity} | {OPAQUE_LABEL}))
_OWN_FORM = re.compile(rf"\[(?:{_LABELS})_[0-9]{{1,4}}\]")


class PlaceholderStyle(StrEnum):
    TYPED = "typed"  # [PERSONNE_4821]: the model knows what kind of data it stands for
    OPAQUE = "opaque"  # [DONNEE_4821]: the type is hidden from the model too

    def label(self, entity: EntityType) -> str:
        return entity.label if self is PlaceholderStyle.TYPED else OPAQUE_LABEL

    def mask(self, entity: EntityType) -> str:
        """The irreversible replacement: `[NIR]`, never restored."""
        return f"[{self.label(entity)}]"


@dataclass(frozen=True, slots=True, order=True)
class Placeholder:
    label: str
    number: int

    def __str__(self) -> str:
        return f"[{self.label}_{self.number}]"


def read(inner: str) -> Placeholder | None:
    """The placeholder a bracketed text stands for, tolerating case, spaces, accents, `-` or ` `."""
    match = _READABLE.fullmatch(_fold(inner))
    if match is None:
        return None
    label = re.sub(r"[ _-]+", "_", match.group(1))
    return Placeholder(label, int(match.group(2)))


def _fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).upper()


def written_in(text: str) -> set[Placeholder]:
    """Every placeholder already present in a text (typed by the user, or left by an earlier turn)."""
    found = (read(match.group(1)) for match in CANDIDATE.finditer(text))
    return {placeholder for placeholder in found if placeholder is not None}


def outside_placeholders(text: str, findings: Sequence[Finding]) -> list[Finding]:
    """Drop findings lying inside a placeholder written in the proxy's own form (`[PERSONNE_12]` is not
    a place called PERSONNE_12): a placeholder the user quotes then reaches the model as written."""
    spans = [match.span() for match in _OWN_FORM.finditer(text)]
    return [f for f in findings if not any(start <= f.start and f.end <= end for start, end in spans)]
