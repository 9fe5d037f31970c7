"""`gardefou analyze`: the table, the JSONL interface external benchmarks use, bad input."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

from proxy.analysis.engine import Detector
from proxy.cli.analyze import Analyser, print_table, write_jsonl
from proxy.policy.loader import load_policy

ROOT = Path(__file__).resolve().parents[2]
POLICY = ROOT / "policies" / "default.yaml"
LETTER = "Bonjour, je suis M. DUPONT Jean, joignable au 06 12 34 56 78."


@pytest.fixture(scope="module")
def analyse(detector: Detector) -> Analyser:
    return Analyser(load_policy(POLICY), detector, service="")


def test_table_shows_redacted_text_and_findings_without_values(analyse: Analyser) -> None:
    out = io.StringIO()
    print_table(LETTER, analyse([LETTER])[0], out)
    printed = out.getvalue()
    redacted = printed.split("\n")[1]
    assert "DUPONT" not in redacted and "06 12 34 56 78" not in redacted
    assert "[TELEPHONE_" in redacted and "Bonjour, je suis M. [PERSONNE_" in redacted
    assert "PHONE" in printed and "fr_phone" in printed
    assert "DUPONT" not in printed.split("Données détectées")[1]


def test_table_says_when_the_policy_would_refuse(analyse: Analyser) -> None:
    text = "Payé avec la carte 4970 1012 3456 7893."  # the default policy blocks card numbers
    out = io.StringIO()
    print_table(text, analyse([text])[0], out)
    assert "La demande serait refusée" in out.getvalue()
    assert "4970" not in out.getvalue()


def test_jsonl_echoes_ids_and_gives_offsets(analyse: Analyser) -> None:
    lines = [
        json.dumps({"id": "a", "text": LETTER, "other": 1}),
        "",
        json.dumps({"id": 7, "text": "Rien à signaler."}),
        json.dumps({"text": "Écrire à marie.curie@exemple.fr"}),
    ]
    out = io.StringIO()
    assert write_jsonl(analyse, io.StringIO("\n".join(lines)), out) == 0
    rows = [json.loads(line) for line in out.getvalue().splitlines()]
    assert [row["id"] for row in rows] == ["a", 7, None]
    assert rows[1]["findings"] == [] and rows[1]["redacted"] == "Rien à signaler."
    found = {(f["entity_type"], LETTER[f["start"] : f["end"]]) for f in rows[0]["findings"]}
    assert ("PHONE", "06 12 34 56 78") in found
    assert all(set(f) == {"start", "end", "entity_type", "score"} for f in rows[0]["findings"])
    assert "marie.curie@exemple.fr" not in rows[2]["redacted"]


@pytest.mark.parametrize("line", ["{pas du json", json.dumps({"texte": "x"}), json.dumps([1, 2])])
def test_jsonl_bad_line_is_refused_in_french(
    analyse: Analyser, line: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert write_jsonl(analyse, io.StringIO(line + "\n"), io.StringIO()) == 2
    assert "ligne 1" in capsys.readouterr().err


def test_command_reads_jsonl_on_stdin() -> None:
    """The real command, model loaded once in its own process."""
    lines = "\n".join(json.dumps({"id": i, "text": f"Appeler le 06 12 34 56 7{i}."}) for i in range(3))
    done = subprocess.run(
        [sys.executable, "-m", "proxy", "analyze", "--format", "jsonl"],
        input=lines,
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    rows = [json.loads(line) for line in done.stdout.splitlines()]
    assert [row["id"] for row in rows] == [0, 1, 2]
    assert all(row["findings"][0]["entity_type"] == "PHONE" for row in rows)
    assert all("06 12" not in row["redacted"] for row in rows)
