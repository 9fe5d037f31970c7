"""The DPO's recognizers in Presidio's format: Presidio's documented example works unchanged, the
three worked examples of models/README.md work, a bad file is refused, a changed file is reloaded."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from proxy.analysis.custom import CustomRecognizerError, CustomRecognizers, load
from proxy.analysis.engine import DetectionError, Detector, load_detection_config
from proxy.entities import CustomEntity

MODELS = Path(__file__).resolve().parents[2] / "models"
EXAMPLES = MODELS / "examples" / "custom_recognizers.yaml"

# Verbatim from Presidio's documentation (docs/tutorial/08_no_code.md, "Creating no-code pattern
# recognizers"), with its "de" and "en" languages.
PRESIDIO_EXAMPLE = r"""
recognizers:
  -
    name: "Zip code Recognizer"
    supported_language: "de"
    patterns:
      -
         name: "zip code (weak)"
         regex: "(\\b\\d{5}(?:\\-\\d{4})?\\b)"
         score: 0.01
    context:
     - zip
     - code
    supported_entity: "ZIP"
  -
    name: "Titles recognizer"
    supported_language: "en"
    supported_entity: "TITLE"
    deny_list:
      - Mr.
      - Mrs.
      - Ms.
      - Miss
      - Dr.
      - Prof.
"""


def _custom(tmp_path: Path, text: str) -> CustomRecognizers:
    path = tmp_path / "custom_recognizers.yaml"
    path.write_text(text, encoding="utf-8")
    return CustomRecognizers(path, window=60, boost=0.35, interval_s=0.0)


def test_presidio_documented_example_loads_and_works_unchanged(tmp_path: Path) -> None:
    custom = _custom(tmp_path, PRESIDIO_EXAMPLE)
    text = "Mr. John Smith, zip code: 10023-1234"
    found = {text[f.start : f.end]: (f.entity, f.recognizer) for f in custom.findings(text)}
    assert found["10023-1234"] == (CustomEntity("ZIP"), "Zip code Recognizer")
    assert found["Mr."] == (CustomEntity("TITLE"), "Titles recognizer")
    assert custom.entities == {CustomEntity("ZIP"), CustomEntity("TITLE")}
    assert [type(e) for e in custom.entities] == [CustomEntity, CustomEntity]


def test_the_three_worked_examples(tmp_path: Path) -> None:
    custom = _custom(tmp_path, EXAMPLES.read_text(encoding="utf-8"))
    text = "Agent matricule 004512, dossier ASE-2024-00123, contrat EAU 1234 5674 ; EAU 1234 5670 faux."
    found = {text[f.start : f.end]: f for f in custom.findings(text)}
    assert found["004512"].score == pytest.approx(0.65)  # 0.3 + context "matricule"
    assert found["ASE-2024-00123"].recognizer == "Dossier ASE"
    assert "EAU 1234 5674" in found
    assert "EAU 1234 5670" not in found  # fails Luhn's key


def test_the_detector_uses_them_and_refuses_a_bad_file(tmp_path: Path) -> None:
    models = tmp_path / "models"
    shutil.copytree(MODELS, models, ignore=shutil.ignore_patterns("examples"))
    shutil.copy(EXAMPLES, models / "custom_recognizers.yaml")
    detector = Detector(load_detection_config(models))
    text = "Le dossier ASE-2024-00123 de M. Paul Martin."
    found = {text[f.start : f.end]: f.entity for f in detector.detect([text])[0]}
    assert (
        found["ASE-2024-00123"] == CustomEntity("DOSSIER_ASE")
        and found["ASE-2024-00123"].label == "DOSSIER_ASE"
    )
    assert {"MATRICULE_AGENT", "DOSSIER_ASE", "CONTRAT_EAU"} <= detector.active_entities
    (models / "custom_recognizers.yaml").write_text("recognizers:\n  - name: x\n    supported_entity: X\n")
    with pytest.raises(DetectionError, match="patterns"):
        Detector(load_detection_config(models))


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "recognizers:\n  - name: a\n    supported_entity: A\n"
            "    patterns: [{name: p, regex: '(', score: 0.5}]\n",
            "regex",
        ),
        ("recognizers:\n  - name: a\n    supported_entity: A\n    pattern: []\n", "clé inconnue « pattern »"),
        ("recognizers:\n  - supported_entity: A\n    deny_list: [x]\n    validator: nope\n", "validator"),
        ("recognizers:\n  - name: fr_nir\n    supported_entity: NIR\n    deny_list: [x]\n", "double"),
        ("recognizer: []\n", "recognizers"),
        ("recognizers:\n  - name: a\n    supported_entity: matricule 2\n    deny_list: [x]\n", "majuscules"),
        (
            "recognizers:\n  - name: a\n    supported_entity: A\n    supported_language: french\n"
            "    deny_list: [x]\n",
            "deux lettres",
        ),
    ],
)
def test_a_bad_file_names_what_is_wrong(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "custom_recognizers.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(CustomRecognizerError, match=message):
        load(path, 60)


def test_a_changed_file_is_reloaded_and_a_broken_one_ignored(tmp_path: Path) -> None:
    custom = _custom(tmp_path, "recognizers: []\n")
    assert custom.findings("ASE-2024-00123") == []
    path = tmp_path / "custom_recognizers.yaml"
    path.write_text(EXAMPLES.read_text(encoding="utf-8"), encoding="utf-8")
    os.utime(path, ns=(1, 1))
    assert [f.recognizer for f in custom.findings("ASE-2024-00123")] == ["Dossier ASE"]
    path.write_text("recognizers: [oops", encoding="utf-8")
    assert [f.recognizer for f in custom.findings("ASE-2024-00123")] == ["Dossier ASE"]


def test_a_reloaded_file_must_keep_the_types_the_policy_names(tmp_path: Path) -> None:
    custom = _custom(tmp_path, EXAMPLES.read_text(encoding="utf-8"))
    custom.require(lambda: frozenset({"DOSSIER_ASE"}))
    path = tmp_path / "custom_recognizers.yaml"
    path.write_text(
        "recognizers:\n  - name: m\n    supported_entity: MATRICULE_AGENT\n    deny_list: [x]\n",
        encoding="utf-8",
    )
    os.utime(path, ns=(2, 2))
    assert "DOSSIER_ASE" in custom.entities  # the file without it was refused, the previous one stays
    assert [f.recognizer for f in custom.findings("ASE-2024-00123")] == ["Dossier ASE"]
