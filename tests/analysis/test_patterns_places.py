"""Address and place patterns (proxy/analysis/patterns_places.py) with the word lists of data/."""

from __future__ import annotations

import pytest

from proxy.analysis.data import regenerate
from proxy.analysis.patterns_places import ADDRESS, PLACE, place_spec
from proxy.analysis.places import load_communes
from proxy.analysis.wordlists import words
from tests.analysis.patternkit import found


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Il habite 12 bis rue de la Paix, 75002 Paris depuis mars.", ["12 bis rue de la Paix, 75002 Paris"]),
        ("Courrier au 3 allée des Tilleuls.", ["3 allée des Tilleuls"]),
        ("Envoi à 33000 Bordeaux.", ["33000 Bordeaux"]),
        ("Total : 12000 euros versés.", []),  # money, not a postcode
    ],
)
def test_address(text: str, expected: list[str]) -> None:
    assert found(ADDRESS, text) == expected


def test_every_street_type_of_the_data_file_makes_an_address() -> None:
    for item in words("street_types_fr.txt"):
        street = item.replace("[ée]", "é").replace("\\.?", "").replace("\\.", ".")
        text = f"Au 4 {street} Victor Hugo."
        assert found(ADDRESS, text) == [f"4 {street} Victor Hugo"], item


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Elle est née à Lyon en 1980.", ["Lyon"]),  # lives_in_fr.txt
        ("le tribunal administratif de Rennes a jugé", ["Rennes"]),  # bodies_named_after_place_fr.txt
        ("Ville : Bordeaux\n", ["Bordeaux"]),
    ],
)
def test_place(text: str, expected: list[str]) -> None:
    assert found(PLACE, text) == expected


def test_a_known_commune_after_a_preposition_of_place() -> None:
    spec = place_spec(load_communes())
    assert found(spec, "Il revient depuis Rouen demain.") == ["Rouen"]  # place_prepositions_fr.txt
    assert found(spec, "POLICE MUNICIPALE DE LOMME") == ["LOMME"]
    assert found(spec, "Il parle de Projet demain.") == []  # no such commune


def test_the_regeneration_tool_is_importable_without_running_faker() -> None:
    """Faker is only a development tool: importing the tool imports no Faker."""
    assert regenerate.DATA.is_dir() and "faker" not in regenerate.__dict__
