"""`gardefou report` on a register of 10,000 generated rows: an HTML and a PDF report in French, with
charts, the figures of the register, and no account id anywhere."""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
from pathlib import Path

import pytest
import yaml

from proxy.cli import main
from proxy.governance.acks import AckStore, acks_path
from proxy.settings import load_settings
from tests.governance.registerfill import START, USER_PREFIX, fill_register

REPO = Path(__file__).resolve().parents[2]
ROWS = 10_000
SERVICE = "communication"


@pytest.fixture(scope="module")
def config(tmp_path_factory: pytest.TempPathFactory) -> Path:
    tmp = tmp_path_factory.mktemp("report")
    served = [("a", ["demo", "mistral-local"], "local"), ("b", ["albert-large"], "sovereign")]
    served.append(("c", ["gpt-4o"], "non_eu"))
    config = {
        "data_dir": str(tmp),
        "policy": str(REPO / "policies" / "examples" / "intercommunalite.yaml"),
        "upstreams": [
            {"name": n, "base_url": "http://127.0.0.1:9/v1", "models": m, "hosting": h} for n, m, h in served
        ],
    }
    path = tmp / "gardefou.yaml"
    path.write_text(yaml.safe_dump(config), encoding="utf-8")
    settings = load_settings(path)
    fill_register(settings.register_path, ROWS, START, days=70)
    acks = AckStore(acks_path(settings))
    for index in range(7):
        acks.add(f"{USER_PREFIX}ack{index}", SERVICE, "2026-01", "a" * 64)
    acks.close()
    return path


def report(config: Path, fmt: str) -> Path:
    output = config.parent / f"rapport.{fmt}"
    args = ["report", "--config", str(config), "--service", SERVICE, "--format", fmt, "--output", str(output)]
    assert main([*args, "--from", "2026-03-02", "--to", "2026-05-10"]) == 0
    return output


def uses_in_register(config: Path) -> int:
    with sqlite3.connect(load_settings(config).register_path) as db:
        query = "SELECT COUNT(*) FROM entries WHERE service = ? AND ts < '2026-05-11'"
        return int(db.execute(query, [SERVICE]).fetchone()[0])


def test_the_html_report_has_the_figures_and_charts_and_no_account_id(config: Path) -> None:
    html = report(config, "html").read_text(encoding="utf-8")
    assert uses_in_register(config) > 2000
    assert f"{uses_in_register(config):,}".replace(",", "\u202f") in html  # total of the service
    assert "mars 2026" in html and "mai 2026" in html  # the monthly table
    for heading in ("Usages par semaine", "Modèles utilisés et hébergement", "Données personnelles retirées"):
        assert heading in html
    assert "Numéro de sécurité sociale" in html and "cloud souverain" in html
    assert "trajet en voiture thermique" in html and "ADEME" in html
    assert "use.detection-fraude.block" in html  # observe-mode rule
    assert html.count("data:image/svg+xml;base64,") == 4
    assert "2026-01" in html and ">7<" in html  # agents who acknowledged the charter (a count)
    assert USER_PREFIX not in html and "agent.canari" not in html


def test_the_pdf_report_renders_pages_and_has_no_account_id(config: Path) -> None:
    pdf = report(config, "pdf")
    assert pdf.read_bytes().startswith(b"%PDF")
    if shutil.which("pdftotext") is None:
        pytest.fail("poppler-utils (pdftotext, pdftoppm) missing: apt-get install poppler-utils")
    text = subprocess.run(["pdftotext", str(pdf), "-"], check=True, capture_output=True, text=True).stdout
    assert "Rapport de pilotage" in text and "Charte d'utilisation" in text
    assert "agent.canari" not in text and USER_PREFIX not in text
    subprocess.run(["pdftoppm", "-r", "50", "-png", str(pdf), str(pdf.parent / "page")], check=True)
    assert len(list(pdf.parent.glob("page-*.png"))) >= 3


def test_a_report_refuses_a_period_ending_before_it_starts(config: Path) -> None:
    args = ["report", "--config", str(config), "--service", SERVICE, "--from", "2026-05-01"]
    assert main([*args, "--to", "2026-04-01", "--output", str(config.parent / "x.html")]) == 2
