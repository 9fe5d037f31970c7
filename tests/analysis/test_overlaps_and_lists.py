"""Overlap resolution and the policy's allow/deny lists (pure functions)."""

from __future__ import annotations

import itertools

from proxy.analysis.findings import Finding
from proxy.analysis.lists import DenyEntry, apply_lists
from proxy.analysis.overlaps import resolve
from proxy.entities import Entity

TEXT = "M. Jean Dupont, 12 rue de la Paix, 75002 Paris, projet Hermès."


def _f(surface: str, entity: Entity, score: float = 0.85, recognizer: str = "test") -> Finding:
    start = TEXT.index(surface)
    return Finding(start, start + len(surface), entity, score, recognizer)


def test_same_type_overlaps_are_merged() -> None:
    merged = resolve([_f("Jean Dupont", Entity.PERSON), _f("M. Jean", Entity.PERSON, 0.9)])
    assert [(TEXT[f.start : f.end], f.score) for f in merged] == [("M. Jean Dupont", 0.9)]


def test_higher_score_then_longer_wins_across_types() -> None:
    address = _f("12 rue de la Paix, 75002 Paris", Entity.ADDRESS, 0.9)
    place = _f("Paris", Entity.LOCATION)
    person = _f("Jean Dupont", Entity.PERSON)
    assert resolve([place, person, address]) == [person, address]


def test_result_is_sorted_and_disjoint() -> None:
    found = resolve(
        [_f("Paris", Entity.LOCATION), _f("Jean", Entity.PERSON), _f("rue de la Paix", Entity.LOCATION)]
    )
    assert found == sorted(found, key=lambda f: f.start)
    assert all(a.end <= b.start for a, b in itertools.pairwise(found))


def test_allow_list_drops_matching_findings_ignoring_case_and_spaces() -> None:
    findings = [_f("Jean Dupont", Entity.PERSON), _f("Paris", Entity.LOCATION)]
    kept = apply_lists(TEXT, findings, allow=["jean   DUPONT"], deny=[])
    assert [f.entity for f in kept] == [Entity.LOCATION]


def test_deny_list_adds_terms_with_their_type() -> None:
    findings = [_f("Paris", Entity.LOCATION)]
    kept = apply_lists(TEXT, findings, allow=[], deny=["hermès", "LOCATION:rue de la Paix", "absent"])
    found = {(TEXT[f.start : f.end], f.entity, f.recognizer) for f in kept}
    assert ("Hermès", Entity.ORGANIZATION, "deny_list") in found
    assert ("rue de la Paix", Entity.LOCATION, "deny_list") in found
    assert ("Paris", Entity.LOCATION, "test") in found


def test_plain_deny_term_takes_the_detected_type() -> None:
    kept = apply_lists(TEXT, [_f("Jean Dupont", Entity.PERSON)], allow=[], deny=["Dupont"])
    assert [(TEXT[f.start : f.end], f.entity) for f in kept] == [("Jean Dupont", Entity.PERSON)]


def test_deny_entry_parsing() -> None:
    assert DenyEntry.parse("PERSON: Jean Dupont") == DenyEntry("Jean Dupont", Entity.PERSON)
    assert DenyEntry.parse("Projet: Hermès") == DenyEntry("Projet: Hermès", None)
