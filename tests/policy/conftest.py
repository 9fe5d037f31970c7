"""Policy test fixtures: the table policy compiled against a fixed set of served models."""

from __future__ import annotations

from pathlib import Path

import pytest

from proxy.analysis.engine import Detector
from proxy.policy.checks import PolicyContext
from proxy.policy.loader import LoadedPolicy, load_policy
from proxy.settings import Hosting

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
TABLE_POLICY = HERE / "table_policy.yaml"
HOSTING = {
    "local-llm": Hosting.LOCAL,
    "souverain": Hosting.SOVEREIGN,
    "mistral-eu": Hosting.EU,
    "gpt-4o": Hosting.NON_EU,
}
# Checksum-valid identifiers (NIR key = 97 - number mod 97; IBAN mod 97 = 1).
NIR = "1 85 05 78 006 084 91"
IBAN = "FR76 3000 6000 0112 3456 7890 189"


@pytest.fixture(scope="session")
def context(detector: Detector) -> PolicyContext:
    return PolicyContext(HOSTING, detector.active_entities)


@pytest.fixture(scope="session")
def table(context: PolicyContext) -> LoadedPolicy:
    return load_policy(TABLE_POLICY, context)
