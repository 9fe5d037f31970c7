"""Person-name patterns (proxy/analysis/patterns_names.py), spec by spec, with the word lists of
data/: what each finds, and what its data says is not a name."""

from __future__ import annotations

import pytest

from proxy.analysis.first_names import load_first_names
from proxy.analysis.patterns import RecognizerSpec
from proxy.analysis.patterns_names import NAME_RECOGNIZERS, name_specs
from tests.analysis.patternkit import found


@pytest.fixture(scope="module")
def specs() -> dict[str, RecognizerSpec]:
    return {spec.name: spec for spec in name_specs(load_first_names())}


def test_every_spec_is_declared(specs: dict[str, RecognizerSpec]) -> None:
    assert tuple(specs) == NAME_RECOGNIZERS


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Reçu M. DUPONT Jean ce matin.", ["DUPONT Jean"]),
        ("Mme Le Goff a signé.", ["Le Goff"]),  # "Le" begins a surname after a civility
        ("Dr A. Martin est absent.", ["A. Martin"]),
        ("le brigadier LEMAIRE a constaté", ["LEMAIRE"]),  # a rank (ranks_before_name_fr.txt)
        ("Nom : MARTIN\n", ["MARTIN"]),  # a form field (name_fields_fr.txt)
        ("M. le Maire a reçu la demande.", []),  # a title (titles_after_civility_fr.txt)
        ("Madame la Proviseure recevra les parents.", []),
        ("l'agent du Gouvernement a répondu", []),
    ],
)
def test_civility(specs: dict[str, RecognizerSpec], text: str, expected: list[str]) -> None:
    assert found(specs["fr_person_civility"], text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Bonjour Marie,\nmerci pour votre retour.", ["Marie"]),
        ("Bonjour Madame, merci.", []),  # not_a_name_after_greeting_fr.txt
        ("Bonjour à tous,", []),
        ("Merci pour tout.\n\nCordialement,\nJean Dupont\n", ["Jean Dupont"]),  # closings.txt
        ("Merci !! Julie", ["Julie"]),
    ],
)
def test_greetings_and_signatures(specs: dict[str, RecognizerSpec], text: str, expected: list[str]) -> None:
    assert found(specs["fr_person_greeting"], text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Je viens avec sa fille Manon demain.", ["Manon"]),  # kinship_fr.txt, kin_owners.txt
        ("ses deux enfants, Ibrahim et Salimata, sont inscrits", ["Ibrahim", "Salimata"]),
        ("ma collègue Anaïs a appelé", ["Anaïs"]),
        ("le service de la Petite Enfance", []),  # capitalised: a service, not a girl
    ],
)
def test_family(specs: dict[str, RecognizerSpec], text: str, expected: list[str]) -> None:
    assert found(specs["fr_person_family"], text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Le dossier de DUPONT Jean est complet.", ["DUPONT Jean"]),
        ("Jean DUPONT viendra.", ["Jean DUPONT"]),
        ("Boulangerie MARTIN SARL", []),  # institution_words_fr.txt
        ("au collège Jean MOULIN", []),  # named_after_places_fr.txt
    ],
)
def test_names_without_civility(specs: dict[str, RecognizerSpec], text: str, expected: list[str]) -> None:
    assert found(specs["fr_person_name"], text) == expected
