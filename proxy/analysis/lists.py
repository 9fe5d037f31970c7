"""Per-policy allow-list and deny-list, applied to the findings of one text.

- allow: a finding whose covered text equals an allowed term (ignoring case, accents kept, and
  runs of whitespace) is dropped — e.g. the name of the collectivité or of its elected officials.
- deny: every occurrence of a denied term (whole words, ignoring case and whitespace runs) becomes
  a finding (score 1.0, so it wins any overlap), e.g. internal project code names. Terms are looked
  for in the text's normalised view (invisible characters inside a term do not hide it). An entry
  written "ENTITY:term" names its entity type ("PERSON:Jean Dupont", "LOCATION:ZI des Prés");
  a plain term takes the type of a detected finding it overlaps, ORGANIZATION otherwise.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from proxy.analysis.findings import Finding
from proxy.analysis.normalise import normalise
from proxy.analysis.overlaps import resolve
from proxy.entities import Entity, EntityType

DENY_RECOGNIZER = "deny_list"
DEFAULT_DENY_ENTITY = Entity.ORGANIZATION
_SPACES = re.compile(r"\s+")


@dataclass(frozen=True, slots=True)
class DenyEntry:
    """A term always redacted; `entity` None means "the type of what was detected there"."""

    term: str
    entity: EntityType | None

    @classmethod
    def parse(cls, entry: str) -> DenyEntry:
        """'PERSON:Jean Dupont' -> (Jean Dupont, PERSON); 'Hermès' -> (Hermès, None)."""
        prefix, sep, rest = entry.partition(":")
        if sep and prefix.strip() in Entity.__members__ and rest.strip():
            return cls(rest.strip(), Entity(prefix.strip()))
        return cls(entry.strip(), None)


def apply_lists(
    text: str, findings: list[Finding], allow: Sequence[str], deny: Sequence[str]
) -> list[Finding]:
    """Drop allowed findings, add denied terms; the result is sorted and non-overlapping."""
    allowed = {_normalise(term) for term in allow if term.strip()}
    kept = [f for f in findings if _normalise(text[f.start : f.end]) not in allowed]
    if not deny:
        return kept
    entries = [DenyEntry.parse(entry) for entry in deny if entry.strip()]
    return resolve([*kept, *_deny_findings(text, entries, kept)], text)


def _normalise(term: str) -> str:
    return _SPACES.sub(" ", term).strip().casefold()


def _deny_findings(text: str, entries: Iterable[DenyEntry], detected: Sequence[Finding]) -> Iterable[Finding]:
    view = normalise(text)
    for entry in entries:
        for match in _term_regex(entry.term).finditer(view.text):
            start, end = view.original_span(match.start(), match.end())
            span = Finding(start, end, DEFAULT_DENY_ENTITY, 1.0, DENY_RECOGNIZER)
            entity = entry.entity or _detected_entity(span, detected)
            yield Finding(span.start, span.end, entity, 1.0, DENY_RECOGNIZER)


def _detected_entity(span: Finding, detected: Sequence[Finding]) -> EntityType:
    return next((f.entity for f in detected if f.overlaps(span)), DEFAULT_DENY_ENTITY)


def _term_regex(term: str) -> re.Pattern[str]:
    words = [re.escape(word) for word in term.split()]
    return re.compile(r"(?<!\w)" + r"\s+".join(words) + r"(?!\w)", re.IGNORECASE)
