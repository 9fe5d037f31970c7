"""The front-end settings, the task header and kinds are documented in French in the README."""

from __future__ import annotations

import re
from pathlib import Path

from proxy.settings import FrontendSettings
from proxy.tasks import TASK_HEADER, TaskKind, catalogue

REPO = Path(__file__).resolve().parents[2]
README = (REPO / "README.md").read_text(encoding="utf-8")
POLICIES = (REPO / "policies" / "README.md").read_text(encoding="utf-8")


def test_every_frontend_key_has_a_readme_row_and_a_french_description() -> None:
    for name, info in FrontendSettings.model_fields.items():
        assert info.description and re.search(r"[éèàêù]|\b(le|la|les|des|du|par)\b", info.description)
        row = next((r for r in README.splitlines() if r.startswith(f"| `auth.frontends.<nom>.{name}` |")), "")
        assert row, f"auth.frontends.<nom>.{name} missing from README"
        default = info.default
        if isinstance(default, bool | int | str) and default is not None:
            shown = str(default).lower() if isinstance(default, bool) else str(default)
            assert f"`{shown}`" in row, name


def test_the_task_header_and_every_kind_are_documented() -> None:
    assert TASK_HEADER in README and "{{TASK}}" in README
    for kind in TaskKind:
        assert f"`{kind}`" in POLICIES, kind
    for value in catalogue().header_values:
        if value.endswith("_generation"):
            assert f"`{value}`" in README, value
