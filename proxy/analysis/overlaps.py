"""Overlap resolution: at most one finding per character, the most convincing one wins."""

from __future__ import annotations

from collections.abc import Iterable

from proxy.analysis.findings import Finding
from proxy.entities import Entity

# Most specific first: a checksummed identifier beats a generic number, an address beats a place.
_SPECIFICITY: tuple[Entity, ...] = (
    Entity.NIR,
    Entity.IBAN,
    Entity.RIB,
    Entity.SIRET,
    Entity.SIREN,
    Entity.CREDIT_CARD,
    Entity.TAX_ID,
    Entity.EMAIL,
    Entity.URL,
    Entity.IP_ADDRESS,
    Entity.PHONE,
    Entity.PASSPORT,
    Entity.ID_CARD,
    Entity.CAF_NUMBER,
    Entity.LICENSE_PLATE,
    Entity.DATE_OF_BIRTH,
    Entity.DATE,
    Entity.ADDRESS,
    Entity.PERSON,
    Entity.ORGANIZATION,
    Entity.LOCATION,
)
_RANK = {entity: rank for rank, entity in enumerate(_SPECIFICITY)}


def resolve(findings: Iterable[Finding]) -> list[Finding]:
    """Merge overlapping findings of one type, then keep non-overlapping winners, sorted."""
    chosen: list[Finding] = []
    for finding in sorted(merge_same_entity(findings), key=_priority):
        if not any(finding.overlaps(kept) for kept in chosen):
            chosen.append(finding)
    return sorted(chosen, key=lambda f: (f.start, f.end))


def merge_same_entity(findings: Iterable[Finding]) -> list[Finding]:
    """Union of overlapping findings of the same entity type (best score and recognizer kept)."""
    merged: list[Finding] = []
    for finding in sorted(findings, key=lambda f: (f.entity, f.start, -f.end)):
        last = merged[-1] if merged else None
        if last is not None and last.entity == finding.entity and last.overlaps(finding):
            merged[-1] = _union(last, finding)
        else:
            merged.append(finding)
    return merged


def _union(first: Finding, second: Finding) -> Finding:
    best = first if first.score >= second.score else second
    return Finding(
        start=min(first.start, second.start),
        end=max(first.end, second.end),
        entity=first.entity,
        score=best.score,
        recognizer=best.recognizer,
    )


def _priority(finding: Finding) -> tuple[float, int, int]:
    return (-finding.score, -finding.length, _RANK.get(finding.entity, len(_RANK)))
