"""The placeholder grammar: strict when written, tolerant when read back."""

from __future__ import annotations

import pytest

from proxy.entities import Entity
from proxy.transform.placeholders import CANDIDATE, Placeholder, PlaceholderStyle, read, written_in


@pytest.mark.parametrize(
    ("inner", "expected"),
    [
        ("PERSONNE_4821", Placeholder("PERSONNE", 4821)),
        ("Personne 4821", Placeholder("PERSONNE", 4821)),
        (" personne_4821 ", Placeholder("PERSONNE", 4821)),
        ("Téléphone-12", Placeholder("TELEPHONE", 12)),
        ("DATE NAISSANCE 7", Placeholder("DATE_NAISSANCE", 7)),
        ("Adresse IP 3", Placeholder("ADRESSE_IP", 3)),
        ("ADRESSE_3", Placeholder("ADRESSE", 3)),
        ("PERSONNE4821", Placeholder("PERSONNE", 4821)),
    ],
)
def test_light_rewritings_read_as_the_same_placeholder(inner: str, expected: Placeholder) -> None:
    assert read(inner) == expected


@pytest.mark.parametrize(
    "inner",
    ["NIR", "voir annexe", "PERSONNE", "1", "PERSONNE_1_2", "PERSONNE_١", "PERSONNE_1234567", "x 1 y"],
)
def test_other_bracketed_texts_are_not_placeholders(inner: str) -> None:
    assert read(inner) is None


def test_styles_write_typed_or_opaque_placeholders_and_masks() -> None:
    assert PlaceholderStyle.TYPED.label(Entity.PHONE) == "TELEPHONE"
    assert PlaceholderStyle.OPAQUE.label(Entity.PHONE) == "DONNEE"
    assert PlaceholderStyle.TYPED.mask(Entity.NIR) == "[NIR]"
    assert str(Placeholder("PERSONNE", 12)) == "[PERSONNE_12]"
    assert CANDIDATE.fullmatch(str(Placeholder("CARTE_BANCAIRE", 9999)))


def test_placeholders_written_in_a_text_are_found_whatever_their_writing() -> None:
    text = "Voir [Personne 12], [NIR], [TELEPHONE_3] et [note]."
    assert written_in(text) == {Placeholder("PERSONNE", 12), Placeholder("TELEPHONE", 3)}
