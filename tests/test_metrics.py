"""Metrics labels stay within the configuration, and worker processes (`serve --workers N`) add up."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from prometheus_client.parser import text_string_to_metric_families

from proxy.metrics import Metrics
from proxy.register.entry import Decision
from proxy.settings import Settings
from tests.register.registerkit import build_entry

REPO = Path(__file__).resolve().parent.parent
RECORD_ONE = (
    "from proxy.metrics import Metrics; from proxy.settings import Settings;"
    "from proxy.register.entry import RegisterEntry as E;"
    "entry = E('r', 'u', 's', 'chat.completions', 'demo', 'demo', 'demo', 'ab', 'forwarded', 200, {}, (),"
    " False, 5, attachments={'pdf:text': 2});"
    "Metrics(Settings()).recorded(entry, 0.001, None)"
)
SCRAPE = "import sys; from proxy.metrics import Metrics; from proxy.settings import Settings;"
SCRAPE += "sys.stdout.write(Metrics(Settings()).exposition().decode())"


def samples(text: str, name: str) -> list[tuple[dict[str, str], float]]:
    return [
        (sample.labels, sample.value)
        for family in text_string_to_metric_families(text)
        for sample in family.samples
        if sample.name == name
    ]


def test_a_model_nobody_serves_is_counted_as_other_and_refusals_by_code_and_rule() -> None:
    metrics = Metrics(Settings())
    blocked = build_entry(
        model="modele-invente",
        routed_model=None,
        upstream=None,
        decision=Decision.BLOCKED,
        status=403,
        error_code="personal_data_blocked",
        rule_ids=("entities.credit_card",),
    )
    metrics.recorded(blocked, 0.002, None)
    text = metrics.exposition().decode()
    ((labels, value),) = samples(text, "gardefou_requests_total")
    assert (
        labels
        == {
            "route": "chat.completions",
            "service": "urbanisme",
            "model": "(autre)",
            "hosting": "(aucun)",
            "decision": "blocked",
        }
        and value == 1
    )
    assert samples(text, "gardefou_refusals_total") == [({"code": "personal_data_blocked"}, 1.0)]
    assert samples(text, "gardefou_refusal_rules_total") == [({"rule": "entities.credit_card"}, 1.0)]
    assert "agent.dupont" not in text  # the agent of the entry is no label


def test_worker_processes_write_figures_that_any_of_them_adds_up(tmp_path: Path) -> None:
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(tmp_path)}
    for _ in range(2):
        subprocess.run([sys.executable, "-c", RECORD_ONE], cwd=REPO, env=env, check=True)
    scraped = subprocess.run(
        [sys.executable, "-c", SCRAPE], cwd=REPO, env=env, check=True, capture_output=True, text=True
    ).stdout
    ((labels, value),) = samples(scraped, "gardefou_requests_total")
    assert labels["hosting"] == "local" and value == 2
    assert samples(scraped, "gardefou_attachments_total") == [({"kind": "pdf", "treatment": "text"}, 4.0)]
