"""Keyed, stable pseudonyms: same value and caller -> same placeholder, whatever else the request holds."""

from __future__ import annotations

from itertools import islice

from proxy.analysis.findings import Finding
from proxy.entities import Entity
from proxy.policy.schema import Action
from proxy.transform.placeholders import Placeholder, PlaceholderStyle
from proxy.transform.pseudonyms import NUMBERS, normalise, numbers
from proxy.transform.vault import assign, build_vault
from tests.transform.samples import KEY_A, KEY_B, VALUES_A, VALUES_B, vault_of

PERSON = Entity.PERSON


def test_same_value_same_caller_gets_the_same_placeholder_on_every_turn() -> None:
    turn1 = vault_of(VALUES_A[:2])
    turn3 = vault_of((*VALUES_A[:2], (PERSON, "Paul Girard"), *VALUES_A[2:]))
    for entity, value in VALUES_A[:2]:
        assert turn1.placeholder(entity, value) == turn3.placeholder(entity, value)


def test_writings_of_one_value_share_a_placeholder_and_restore_the_first() -> None:
    vault = vault_of(
        ((PERSON, "Hélène Dubois"), (PERSON, "HELENE  DUBOIS"), (Entity.PHONE, "06.12.34.56.78"))
    )
    assert vault.placeholder(PERSON, "helene dubois") == vault.placeholder(PERSON, "Hélène Dubois")
    assert vault.placeholder(Entity.PHONE, "+33 6 12 34 56 78") == vault.placeholder(
        Entity.PHONE, "0612345678"
    )
    assert vault.value_of(vault.placeholder(PERSON, "HELENE DUBOIS")) == "Hélène Dubois"
    assert len(vault) == 2


def test_the_number_depends_on_the_callers_key() -> None:
    """Over many values, two keys almost never agree: a caller's pseudonyms say nothing to another."""
    names = [(PERSON, f"Personne numéro {i}") for i in range(200)]
    a, b = vault_of(tuple(names), KEY_A), vault_of(tuple(names), KEY_B)
    same = sum(a.placeholder(e, v) == b.placeholder(e, v) for e, v in names)
    assert same <= 3


def test_numbers_are_readable_and_typed() -> None:
    placeholder = vault_of(VALUES_A).placeholder(Entity.PHONE, "06 12 34 56 78")
    assert placeholder.label == "TELEPHONE" and 1 <= placeholder.number <= NUMBERS
    opaque = assign(KEY_A, PlaceholderStyle.OPAQUE, VALUES_A, set())
    assert {opaque.placeholder(e, v).label for e, v in VALUES_A} == {"DONNEE"}


def _colliding_pair() -> tuple[str, str]:
    """Two names whose first keyed number is the same (found by search, ~120 tries by the birthday bound)."""
    first: dict[int, str] = {}
    for i in range(100_000):
        name = f"Agent {i}"
        number = next(numbers(KEY_A, PERSON, normalise(PERSON, name)))
        if number in first:
            return first[number], name
        first[number] = name
    raise AssertionError("no collision found")


def test_a_collision_gives_the_later_value_its_next_number_and_keeps_the_earlier_one() -> None:
    earlier, later = _colliding_pair()
    alone = vault_of(((PERSON, earlier),))
    both = vault_of(((PERSON, earlier), (PERSON, later)))
    assert both.placeholder(PERSON, earlier) == alone.placeholder(PERSON, earlier)
    second_choice = list(islice(numbers(KEY_A, PERSON, normalise(PERSON, later)), 2))[1]
    assert both.placeholder(PERSON, later) == Placeholder("PERSONNE", second_choice)
    assert both.value_of(both.placeholder(PERSON, later)) == later


def test_a_placeholder_written_in_the_request_is_never_given_to_a_value() -> None:
    preferred = vault_of(((PERSON, "Marie Dubois"),)).placeholder(PERSON, "Marie Dubois")
    vault = assign(KEY_A, PlaceholderStyle.TYPED, [(PERSON, "Marie Dubois")], {preferred})
    assert vault.placeholder(PERSON, "Marie Dubois") != preferred
    assert vault.value_of(preferred) is None


def test_only_pseudonymised_findings_enter_the_vault() -> None:
    text = "Marie Dubois, NIR 1 84 12 76 451 089 46, tél. 06 12 34 56 78"
    findings = [
        Finding(0, 12, PERSON, 0.9, "test"),
        Finding(17, 38, Entity.NIR, 1.0, "test"),
        Finding(45, 59, Entity.PHONE, 1.0, "test"),
    ]
    actions = {PERSON: Action.PSEUDONYMISE, Entity.NIR: Action.MASK, Entity.PHONE: Action.ALLOW}
    vault = build_vault(KEY_A, PlaceholderStyle.TYPED, [text], [findings], actions)
    assert len(vault) == 1 and vault.value_of(vault.placeholder(PERSON, "Marie Dubois")) == "Marie Dubois"


def test_a_vault_holds_only_its_own_requests_values() -> None:
    vault_a, vault_b = vault_of(VALUES_A, KEY_A), vault_of(VALUES_B, KEY_B)
    values_a = {value for _, value in VALUES_A}
    for entity, value in VALUES_B:
        assert vault_a.value_of(vault_b.placeholder(entity, value)) in values_a | {None}
