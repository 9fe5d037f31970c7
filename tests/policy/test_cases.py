"""The example cases shipped in policies/cases/ hold (real detector, same engine as the proxy)."""

from __future__ import annotations

from pathlib import Path

import pytest

from proxy.analysis.engine import Detector
from proxy.policy.cases import run_file
from proxy.settings import Hosting
from tests.policy.conftest import REPO

CASE_FILES = sorted((REPO / "policies" / "cases").glob("*.yaml"))
DEFAULT_HOSTING = {"demo": Hosting.LOCAL}


def test_there_are_case_files() -> None:
    assert len(CASE_FILES) >= 2


@pytest.mark.parametrize("path", CASE_FILES, ids=lambda p: p.name)
def test_example_cases_pass(path: Path, detector: Detector) -> None:
    results = run_file(path, detector, DEFAULT_HOSTING, detector.active_entities)
    failures = {r.case.name: r.problems for r in results if not r.passed}
    assert failures == {}
    assert {r.simulation.verdict for r in results} >= {"forward", "refuse"}


def test_a_wrong_expectation_is_reported(tmp_path: Path, detector: Detector) -> None:
    path = tmp_path / "faux.yaml"
    path.write_text(
        f"policy: {REPO / 'policies' / 'default.yaml'}\n"
        "cases:\n"
        "  - name: attendu à tort\n"
        "    service: urbanisme\n"
        "    model: demo\n"
        "    text: Décide de la sanction de cet agent.\n"
        "    expect:\n"
        "      decision: forward\n"
        "      rules: [category.sante]\n",
        encoding="utf-8",
    )
    (result,) = run_file(path, detector, DEFAULT_HOSTING, detector.active_entities)
    assert not result.passed
    assert any("refuse au lieu de forward" in p for p in result.problems)
    assert any("category.sante" in p for p in result.problems)
