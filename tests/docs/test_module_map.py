"""The README's module map is the one generated from the code (tests/docs/module_map.py)."""

from __future__ import annotations

from tests.docs.module_map import README, module_map, readme_with_map


def test_the_readme_module_map_is_up_to_date() -> None:
    readme = README.read_text(encoding="utf-8")
    assert readme_with_map(readme) == readme, "python -m tests.docs.module_map --write"


def test_every_module_says_what_it_is_for() -> None:
    assert "(sans docstring)" not in module_map()
