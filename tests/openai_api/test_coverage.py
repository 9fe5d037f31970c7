"""The README's coverage table is the one generated from the wire inventory."""

from __future__ import annotations

from pathlib import Path

from proxy.openai_api.coverage import END, START, table, with_table
from proxy.openai_api.inventory import routes

README = Path(__file__).resolve().parents[2] / "README.md"


def test_the_readme_table_is_generated_from_the_inventory() -> None:
    readme = README.read_text(encoding="utf-8")
    assert START in readme and END in readme
    assert with_table(readme) == readme, "run: python -m proxy.openai_api.coverage --write"


def test_the_table_has_a_row_per_classified_field_and_dispatched_list() -> None:
    rows = table().splitlines()[2:]
    expected = sum(len(r.rules) + len(r.kinds) + 1 for r in routes().values())
    assert len(rows) == expected
    assert any("`user`" in row and "pseudonyme" in row for row in rows)


def test_a_stale_table_is_detected() -> None:
    readme = README.read_text(encoding="utf-8")
    stale = readme.replace("| `chat.completions` | `model` |", "| `chat.completions` | `modele` |", 1)
    assert with_table(stale) != stale
