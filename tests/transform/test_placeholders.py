"""The placeholder grammar: strict when written, tolerant when read back."""

from __future__ import annotations

import pytest

from proxy.analysis.findings import Finding
from proxy.entities import Entity
from proxy.transform.placeholders import (
    CANDIDATE,
    Placeholder,
    PlaceholderStyle,
    outside_placeholders,
    read,
    written_in,
)


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


def test_findings_inside_a_placeholder_in_the_proxys_own_form_are_dropped() -> None:
    text = "Voir [PERSONNE_12] et [Marie Dubois 3] à [ADRESSE_IP_7]."
    inside = Finding(6, 17, Entity.LOCATION, 0.85, "spacy")  # PERSONNE_12
    loose = Finding(23, 35, Entity.PERSON, 0.85, "spacy")  # Marie Dubois: not the proxy's form
    address = Finding(42, 54, Entity.LOCATION, 0.85, "spacy")  # ADRESSE_IP_7
    assert [text[f.start : f.end] for f in (inside, loose, address)] == [
        "PERSONNE_12",
        "Marie Dubois",
        "ADRESSE_IP_7",
    ]
    assert outside_placeholders(text, [inside, loose, address]) == [loose]
