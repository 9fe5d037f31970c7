"""Overlap resolution: at most one finding per character, the most convincing one wins."""

from __future__ import annotations

from collections.abc import Iterable

from proxy.analysis.findings import Finding
from proxy.analysis.wordlists import words
from proxy.entities import Entity, EntityType

# Most specific first (data/entity_specificity.txt): a checksummed identifier beats a generic
# number, an address beats a place.
_SPECIFICITY: tuple[EntityType, ...] = tuple(Entity(value) for value in words("entity_specificity.txt"))
_RANK = {entity: rank for rank, entity in enumerate(_SPECIFICITY)}
# Natural-language spans whose boundaries are uncertain: trimmed rather than dropped.
_TRIMMABLE = frozenset({Entity.PERSON, Entity.LOCATION, Entity.ORGANIZATION, Entity.ADDRESS})
_MIN_TRIMMED = 2


def resolve(findings: Iterable[Finding], text: str | None = None) -> list[Finding]:
    """Keep the most convincing finding wherever two overlap; the result is sorted and disjoint.

    A name, place or organisation that overlaps a stronger finding of another type keeps its
    longest remaining part (with `text`, to trim spaces and punctuation); other types are dropped.
    Overlapping findings of the same type are merged.
    """
    chosen: list[Finding] = []
    for finding in sorted(findings, key=_priority):
        kept = _outside_others(finding, chosen, text)
        if kept is not None:
            chosen.append(kept)
    return sorted(merge_same_entity(chosen), key=lambda f: (f.start, f.end))


def _outside_others(finding: Finding, chosen: list[Finding], text: str | None) -> Finding | None:
    others = sorted(
        (c for c in chosen if c.entity != finding.entity and c.overlaps(finding)), key=lambda c: c.start
    )
    if not others:
        return finding
    if text is None or finding.entity not in _TRIMMABLE:
        return None
    start, end = _longest_gap(finding, others)
    while start < end and not text[start].isalnum():
        start += 1
    while end > start and not (text[end - 1].isalnum() or text[end - 1] == "."):
        end -= 1
    piece = text[start:end]
    if sum(c.isalpha() for c in piece) < _MIN_TRIMMED or not any(c.isupper() for c in piece):
        return None
    return Finding(start, end, finding.entity, finding.score, finding.recognizer)


def _longest_gap(finding: Finding, others: list[Finding]) -> tuple[int, int]:
    gaps, cursor = [], finding.start
    for other in others:
        gaps.append((cursor, max(cursor, other.start)))
        cursor = max(cursor, other.end)
    gaps.append((cursor, max(cursor, finding.end)))
    return max(gaps, key=lambda gap: gap[1] - gap[0])


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
    return (
        -finding.score,
        -finding.length,
        _RANK.get(finding.entity, _RANK[Entity.CUSTOM]),
    )  # custom types: as CUSTOM
