"""A DPO's own entity types (models/custom_recognizers.yaml) are first-class: their own placeholder,
policy rules that name them (checked against the recognizers in force, on each policy reload too)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from proxy.analysis.engine import Detector, load_detection_config
from proxy.config_file import ConfigFileError
from proxy.entities import CustomEntity, Entity
from proxy.policy.checks import PolicyContext
from proxy.policy.loader import load_policy
from proxy.policy.simulate import caller_for, simulate
from proxy.policy.store import PolicyStore
from proxy.settings import Hosting
from tests.policy.conftest import REPO

EXAMPLES = REPO / "models" / "examples" / "custom_recognizers.yaml"


@pytest.fixture(scope="module")
def custom_detector(tmp_path_factory: pytest.TempPathFactory) -> Detector:
    models = tmp_path_factory.mktemp("models")
    shutil.copytree(REPO / "models", models, dirs_exist_ok=True, ignore=shutil.ignore_patterns("examples"))
    shutil.copy(EXAMPLES, models / "custom_recognizers.yaml")
    return Detector(load_detection_config(models))


def _policy(tmp_path: Path, entities: dict[str, str]) -> Path:
    raw = yaml.safe_load((REPO / "policies" / "default.yaml").read_text(encoding="utf-8"))
    raw["services"]["rh"]["entities"] = entities
    path = tmp_path / "policy.yaml"
    path.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    return path


def test_a_custom_type_has_its_own_placeholder_and_its_own_rule(
    tmp_path: Path, custom_detector: Detector
) -> None:
    context = PolicyContext({"demo": Hosting.LOCAL}, custom_detector.active_entities)
    rulebook = load_policy(_policy(tmp_path, {"MATRICULE_AGENT": "mask"}), context).rulebook
    text = "Le dossier ASE-2024-00123 concerne l'agent matricule 004512."
    result = simulate(rulebook, custom_detector, caller_for("rh"), "demo", text)
    assert "[DOSSIER_ASE_" in result.redacted and "ASE-2024-00123" not in result.redacted
    assert "[MATRICULE_AGENT]" in result.redacted  # masked: its own rule, not CUSTOM's
    assert result.plan.actions[CustomEntity("DOSSIER_ASE")] is result.plan.actions[Entity.CUSTOM]
    blocking = load_policy(_policy(tmp_path, {"DOSSIER_ASE": "block"}), context).rulebook
    refused = simulate(blocking, custom_detector, caller_for("rh"), "demo", text)
    assert refused.refusal is not None and "DOSSIER_ASE" in refused.refusal.message


def test_a_rule_for_a_type_no_recognizer_finds_is_refused_then_accepted_on_reload(
    tmp_path: Path, custom_detector: Detector
) -> None:
    active = {"types": frozenset(Entity)}
    context = PolicyContext({"demo": Hosting.LOCAL}, active["types"])
    with pytest.raises(ConfigFileError, match="« DOSSIER_ASE » sans reconnaisseur actif"):
        load_policy(_policy(tmp_path, {"DOSSIER_ASE": "block"}), context)
    path = _policy(tmp_path, {})
    store = PolicyStore(path, context, interval_s=0.0, active_entities=lambda: active["types"])
    _policy(tmp_path, {"DOSSIER_ASE": "block"})
    assert not store.reload_if_changed()  # no recognizer for it yet: the previous policy stays
    active["types"] = custom_detector.active_entities  # the DPO's file is in force
    path.write_text(path.read_text(encoding="utf-8") + "\n", encoding="utf-8")
    assert store.reload_if_changed()


def test_a_name_that_cannot_be_a_placeholder_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigFileError, match="majuscules"):
        load_policy(_policy(tmp_path, {"matricule agent": "block"}), None)
