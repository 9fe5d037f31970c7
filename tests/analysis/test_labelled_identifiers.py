"""Context-gated identifiers, odd phone groupings, names in lower case after a label."""

from __future__ import annotations

import pytest

from bench.identifiers import generate_labelled
from proxy.analysis.engine import Detector
from proxy.analysis.patterns_fr import catalogue
from proxy.analysis.wordlists import identifier_labels
from proxy.entities import Entity


def _found(detector: Detector, text: str) -> dict[str, Entity]:
    return {text[f.start : f.end]: f.entity for f in detector.detect([text])[0]}


def test_invalid_checksums_are_flagged_after_a_label_only(detector: Detector) -> None:
    generated = list(generate_labelled(6))
    findings = detector.detect([g.text for g in generated])
    missed, flagged = [], []
    for item, found in zip(generated, findings, strict=True):
        end = item.start + len(item.value)
        hits = [f for f in found if f.start < end and item.start < f.end and f.entity.value == item.label]
        if item.valid and not hits:
            missed.append(item.text)
        if not item.valid and hits:
            flagged.append(item.text)
    assert missed == []
    assert flagged == []


@pytest.mark.parametrize(
    ("text", "value", "entity"),
    [
        ("présentait le permis n° 880712300456", "880712300456", Entity.DRIVING_LICENSE),
        ("n° de sécurité sociale 1 85 05 78 006 084 12", "1 85 05 78 006 084 12", Entity.NIR),
        ("Numéro de securite sociale : 185057800608412.", "185057800608412", Entity.NIR),
        ("CNI n° 881399300456", "881399300456", Entity.ID_CARD),
        ("Tél. 01 2048 3632", "01 2048 3632", Entity.PHONE),
        ("Portable : 09 65 42 8231", "09 65 42 8231", Entity.PHONE),
        ("Joignable au +33 20 19 39 00.", "+33 20 19 39 00", Entity.PHONE),
        ("Nom : D. BLUTHIES", "D. BLUTHIES", Entity.PERSON),
        ("N° SS : 2 05 07 59 512 086 33", "2 05 07 59 512 086 33", Entity.NIR),
        ("son n° fiscal est 1 78 42 316 905 27", "1 78 42 316 905 27", Entity.TAX_ID),
        (
            "sur votre compte bancaire : FR76 1450 5000 0108 7654 3210 987.",
            "FR76 1450 5000 0108 7654 3210 987",
            Entity.IBAN,
        ),
    ],
)
def test_value_after_its_label(detector: Detector, text: str, value: str, entity: Entity) -> None:
    assert _found(detector, text).get(value) is entity


def test_names_in_lower_case_after_a_label(detector: Detector) -> None:
    found = _found(detector, "Infirmiers : theodore roux, marie cécile lefevre")
    assert found.get("theodore roux") is Entity.PERSON
    assert found.get("marie cécile lefevre") is Entity.PERSON
    assert _found(detector, "Présents : tous les agents du service") == {}


@pytest.mark.parametrize("text", ["Le dossier porte le 185057800608412.", "Tableau : 06 2452 78 86 unités"])
def test_without_a_label_nothing(detector: Detector, text: str) -> None:
    assert _found(detector, text) == {}


SHAPES = {
    "fr_nir": "1 85 05 78 006 084 12",
    "fr_siren": "123 456 789",
    "fr_siret": "123 456 789 00012",
    "iban": "FR76 3000 6000 0112 3456 7890 180",
    "fr_rib": "30006 00001 12345678901 12",
    "credit_card": "4970 1234 5678 9010",
    "fr_tax_id": "12 34 567 890 123",
    "fr_caf_number": "1234567",
    "fr_id_card": "881399300456",
    "fr_passport": "12AB34567",
    "fr_driving_licence": "880712300456",
}


def test_every_label_of_the_data_file_gates_its_recognizer() -> None:
    specs = {spec.name: spec for spec in catalogue()}
    assert set(identifier_labels()) == set(SHAPES)
    for name, labels in identifier_labels().items():
        gated = specs[name].patterns[-1].compile()
        for label in labels:
            for written in (label, label.upper(), label.replace("é", "e")):
                match = gated.search(f"Voici le {written} : {SHAPES[name]}.")
                assert match is not None and match.group(1) == SHAPES[name], (name, written)
