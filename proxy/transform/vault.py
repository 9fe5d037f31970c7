"""The placeholders of one request and the values they stand for, built from that request alone.

Nothing is shared between requests: a vault is built from the request's own findings and dropped
with it, so restoring can only ever produce a value the same request carried. Numbers come from
the caller's key (pseudonyms.py), so the same value keeps its placeholder on every turn of a
conversation. Values take their numbers in order of first appearance; when a number is already
taken (by an earlier value of the request, or by a placeholder written in the request), the value
moves on to its next number. Chat clients resend the history in order, so earlier values keep theirs.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from itertools import chain, islice

from proxy.analysis.findings import Finding
from proxy.entities import EntityType
from proxy.errors import InvalidRequest
from proxy.transform.actions import Action
from proxy.transform.placeholders import Placeholder, PlaceholderStyle, written_in
from proxy.transform.pseudonyms import NUMBERS, normalise, numbers

_PREFERRED = 64  # keyed numbers tried before taking the first free one


@dataclass(frozen=True, slots=True)
class Vault:
    _placeholders: Mapping[tuple[EntityType, str], Placeholder]  # by normalised value
    _values: Mapping[Placeholder, str]
    _as_written: Mapping[tuple[EntityType, str], Placeholder]  # the values met, as written

    def placeholder(self, entity: EntityType, value: str) -> Placeholder:
        found = self._as_written.get((entity, value))  # a resent history repeats its values
        return found if found is not None else self._placeholders[(entity, normalise(entity, value))]

    def value_of(self, placeholder: Placeholder) -> str | None:
        return self._values.get(placeholder)

    def __len__(self) -> int:
        return len(self._values)


def build_vault(
    key: bytes,
    style: PlaceholderStyle,
    texts: Sequence[str],
    findings: Sequence[Sequence[Finding]],
    actions: Mapping[EntityType, Action],
) -> Vault:
    """The vault of one request: its texts, their findings, and the action for each type."""
    values = [
        (finding.entity, text[finding.start : finding.end])
        for text, found in zip(texts, findings, strict=True)
        for finding in found
        if actions.get(finding.entity, Action.PSEUDONYMISE) is Action.PSEUDONYMISE
    ]
    written = set().union(*(written_in(text) for text in texts))
    return assign(key, style, values, written)


def assign(
    key: bytes, style: PlaceholderStyle, values: Iterable[tuple[EntityType, str]], written: set[Placeholder]
) -> Vault:
    placeholders: dict[tuple[EntityType, str], Placeholder] = {}
    restorable: dict[Placeholder, str] = {}
    as_written: dict[tuple[EntityType, str], Placeholder] = {}
    taken = set(written)
    for entity, value in values:
        if (entity, value) in as_written:
            continue
        normalised = normalise(entity, value)
        placeholder = placeholders.get((entity, normalised))
        if placeholder is None:
            placeholder = _free(key, style.label(entity), entity, normalised, taken)
            taken.add(placeholder)
            placeholders[(entity, normalised)], restorable[placeholder] = placeholder, value
        as_written[(entity, value)] = placeholder
    return Vault(placeholders, restorable, as_written)


def _free(
    key: bytes, label: str, entity: EntityType, normalised: str, taken: set[Placeholder]
) -> Placeholder:
    preferred = (Placeholder(label, n) for n in islice(numbers(key, entity, normalised), _PREFERRED))
    anything = (Placeholder(label, n) for n in range(1, NUMBERS + 1))
    for placeholder in chain(preferred, anything):
        if placeholder not in taken:
            return placeholder
    raise InvalidRequest(
        "Cette requête contient trop de données personnelles distinctes pour être pseudonymisée ; "
        "découpez-la en plusieurs requêtes."
    )
