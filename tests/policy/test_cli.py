"""`gardefou policy ...` as the DPO runs it: exit codes and French output."""

from __future__ import annotations

from pathlib import Path

import pytest

from proxy.cli import main
from tests.policy.conftest import REPO

EXAMPLE_CONFIG = REPO / "policies" / "examples" / "gardefou.yaml"


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    try:
        code = main(["policy", *argv])
    except SystemExit as stop:
        code = int(stop.code or 0)
    out, err = capsys.readouterr()
    return code, out, err


def test_check_accepts_the_default_policy(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "check")
    assert code == 0 and "Politique valide" in out and "sha256" in out


def test_check_rejects_a_typo_with_line_and_key(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "p.yaml"
    bad.write_text("services:\n  s:\n    modeles: [demo]\n", encoding="utf-8")
    code, _, err = run(capsys, "check", str(bad))
    assert code == 1 and "ligne 3" in err and "services.s.modeles" in err


def test_check_uses_the_configuration_for_served_models(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "check", "--config", str(EXAMPLE_CONFIG))
    assert code == 0 and "intercommunalite.yaml" in out
    code, _, err = run(
        capsys, "check", "--config", str(EXAMPLE_CONFIG), str(REPO / "policies" / "default.yaml")
    )
    assert code == 1 and "« demo » servi par aucun amont" in err


def test_explain_describes_the_policy_in_french(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "explain", "--config", str(EXAMPLE_CONFIG))
    assert code == 0
    assert "Service « rh »" in out and "hébergé localement" in out and "un humain décide" in out


def test_schema_prints_the_json_schema(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "schema")
    assert code == 0 and '"title": "Politique Garde-fou"' in out


def test_test_shows_detection_actions_and_decision(capsys: pytest.CaptureFixture[str]) -> None:
    text = "Le NIR de l'usager est 1 85 05 78 006 084 91 ; décide s'il faut le sanctionner."
    code, out, _ = run(capsys, "test", "--service", "action-sociale", "--model", "demo", text)
    assert code == 0
    assert "NIR « 1 85 05 78 006 084 91 »" in out and "refus de la requête" in out
    assert "use.decision-sanction.block" in out and "Décision : REFUSÉE" in out


def test_test_runs_the_cases(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "test", "--cases")
    assert code == 0 and "0 en échec" in out


def test_test_without_service_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "test", "bonjour")
    assert code == 2 and "--service" in err
