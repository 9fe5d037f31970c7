"""The overhead benchmark runs end to end in its tiny configuration (figures are printed, not checked)."""

from __future__ import annotations

import re

import pytest

from bench import overhead


def test_quick_benchmark_prints_every_section(capsys: pytest.CaptureFixture[str]) -> None:
    assert overhead.main(["--quick", "--workers", "2"]) == 0
    table = capsys.readouterr().out.split("Résultats")[-1]
    for heading in ("1 client", "charge 1000 car.", "flux", "conversation", "CPU proxy", "pic RSS"):
        assert heading in table
    latency = next(line for line in table.splitlines() if line.startswith("300 car."))
    assert len(re.findall(r"-?\d+\.\d", latency)) == 10  # percentiles and CPU all measured (no nan)
    stream = next(line for line in table.splitlines() if line.startswith("3 x 10 ms"))
    assert " 3/3 " in stream  # every chunk of the streamed answer reached the client
    assert re.search(r"registre SQLite : (\d+) lignes pour \1 requêtes, chaîne vérifiée", table)
