"""Observe mode per rule: the rule records what it would have done, the request goes through, and
`register stats` counts what observe-mode rules would have blocked."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from proxy.analysis.engine import Detector
from proxy.cli import main
from proxy.policy.checks import PolicyContext
from proxy.policy.loader import load_policy
from proxy.policy.simulate import caller_for, simulate
from proxy.register.stats import compute_stats, render_text, stats_json
from proxy.register.store import Register
from tests.policy.conftest import NIR, REPO, TABLE_POLICY
from tests.register.registerkit import build_entry

SANCTION = "Décide de la sanction à appliquer pour ce dossier."


def _observing(tmp_path: Path, context: PolicyContext) -> object:
    raw = yaml.safe_load(TABLE_POLICY.read_text(encoding="utf-8"))
    raw["uses"]["decision-sanction"]["mode"] = "observe"
    path = tmp_path / "policy.yaml"
    path.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    return load_policy(path, context).rulebook


def test_an_observed_rule_records_and_does_not_block(
    tmp_path: Path, context: PolicyContext, detector: Detector
) -> None:
    rulebook = _observing(tmp_path, context)
    result = simulate(rulebook, detector, caller_for("rh"), "local-llm", SANCTION)  # type: ignore[arg-type]
    assert result.decision is not None
    assert result.decision.refusal is None
    assert result.decision.observed == ("use.decision-sanction.block",)
    assert not any(rule.startswith("use.decision-sanction") for rule in result.decision.rules)


def test_enforced_rules_keep_blocking(context: PolicyContext, detector: Detector) -> None:
    rulebook = load_policy(TABLE_POLICY, context).rulebook
    result = simulate(rulebook, detector, caller_for("rh"), "local-llm", SANCTION)
    assert result.decision is not None and result.decision.refusal is not None
    assert result.decision.observed == ()


def test_register_stats_show_what_observed_rules_would_have_done(tmp_path: Path) -> None:
    """Rows written by the real register (column observed_rule_ids), counted by `register stats`."""
    register = Register.open(tmp_path / "register.sqlite")
    rule = ("use.decision-sanction.block",)
    register.append(build_entry(service="rh", observed_rule_ids=rule))
    register.append(build_entry(service="rh", observed_rule_ids=rule))
    register.append(build_entry(service="social"))
    stats = compute_stats(register.rows())
    register.close()
    assert stats.total.observed_rules == {"use.decision-sanction.block": 2}
    assert stats.by_service["rh"].observed_rules == {"use.decision-sanction.block": 2}
    assert stats_json(stats)["total"]["regles_observees"] == {"use.decision-sanction.block": 2}
    assert "Règles en observation" in render_text(stats)


def test_policy_test_shows_what_an_observed_rule_would_have_done(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    raw = yaml.safe_load((REPO / "policies" / "default.yaml").read_text(encoding="utf-8"))
    raw["uses"]["decision-sanction"]["mode"] = "observe"
    path = tmp_path / "policy.yaml"
    path.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    code = main(
        ["policy", "test", "--policy", str(path), "--service", "urbanisme", "--model", "demo", SANCTION]
    )
    out = capsys.readouterr().out
    assert code == 0
    assert "Règles en observation" in out
    assert "use.decision-sanction.block : aurait refusé la demande" in out
    assert "Décision : TRANSMISE" in out


def test_an_observed_entity_rule_records_its_action_and_the_type_follows_the_default(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    raw = yaml.safe_load((REPO / "policies" / "default.yaml").read_text(encoding="utf-8"))
    raw["services"]["urbanisme"]["entities"] = {"NIR": {"action": "block", "mode": "observe"}}
    path = tmp_path / "policy.yaml"
    path.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    text = f"Le NIR de l'usager est {NIR}."
    code = main(["policy", "test", "--policy", str(path), "--service", "urbanisme", "--model", "demo", text])
    out = capsys.readouterr().out
    assert code == 0 and "Décision : TRANSMISE" in out  # the defaults' NIR: mask applies
    assert "entity.NIR.block : aurait refusé la demande" in out and NIR not in out.split("envoyé")[-1]
