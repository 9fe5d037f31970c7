"""The identifier and date catalogue (proxy/analysis/patterns_fr.py), with its data files."""

from __future__ import annotations

import pytest

from proxy.analysis.patterns import RecognizerSpec
from proxy.analysis.patterns_fr import CATALOGUE_NAMES, catalogue
from proxy.analysis.wordlists import identifier_labels, identifier_shapes, words
from tests.analysis.patternkit import found


@pytest.fixture(scope="module")
def specs() -> dict[str, RecognizerSpec]:
    return {spec.name: spec for spec in catalogue()}


def test_the_catalogue_is_what_it_declares(specs: dict[str, RecognizerSpec]) -> None:
    assert set(specs) == CATALOGUE_NAMES
    assert set(identifier_labels()) <= set(identifier_shapes()) <= set(specs)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Rendez-vous le 3 juin 2024 à la mairie.", ["3 juin 2024"]),
        ("courrier du 12/03/2024", ["12/03/2024"]),
        ("du 21 au 25 octobre", ["21", "25 octobre"]),
        ("réunion mardi 19 après-midi", ["mardi 19"]),
        ("on se voit en juin", ["juin"]),
        ("le onze mars deux mille vingt-quatre", ["onze mars deux mille vingt-quatre"]),
        ("Sent: Monday 3 June 2024", ["Monday 3 June 2024"]),
        ("Lun. 22/04 : permanence", ["22/04"]),
    ],
)
def test_dates(specs: dict[str, RecognizerSpec], text: str, expected: list[str]) -> None:
    assert found(specs["fr_date"], text) == expected


def test_every_month_of_the_data_files_is_a_date(specs: dict[str, RecognizerSpec]) -> None:
    for month in words("full_months_fr.txt"):
        written = month.replace("[ée]", "é").replace("[ûu]", "û")
        assert found(specs["fr_date"], f"le 2 {written} 2024 ;") == [f"2 {written} 2024"], month


def test_a_labelled_identifier_needs_only_its_shape(specs: dict[str, RecognizerSpec]) -> None:
    text = "n° de sécurité sociale : 2 84 05 75 123 456 00"  # checksum wrong: the label is enough
    assert found(specs["fr_nir"], text) == ["2 84 05 75 123 456 00"]
