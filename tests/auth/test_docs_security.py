"""Every access and limit setting is described in French in the settings and documented in the
README, with its real default; every role and `keys` action too."""

from __future__ import annotations

import argparse
import re
from pathlib import Path

from pydantic import BaseModel

from proxy.cli import build_parser
from proxy.roles import Role
from proxy.settings import AuthSettings, LimitSettings, SsoSettings

README = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
SECTIONS: list[tuple[str, type[BaseModel]]] = [
    ("auth", AuthSettings),
    ("auth.sso", SsoSettings),
    ("limits", LimitSettings),
]


def documented_keys() -> list[tuple[str, type[BaseModel], str]]:
    keys = []
    for prefix, model in SECTIONS:
        for name, info in model.model_fields.items():
            if info.annotation not in (SsoSettings,) and name not in ("anonymous_user", "anonymous_service"):
                keys.append((f"{prefix}.{name}", model, name))
    return keys


def test_every_key_has_a_french_description_and_a_readme_row_with_its_default() -> None:
    keys = documented_keys()
    assert len(keys) >= 16
    for key, model, name in keys:
        info = model.model_fields[name]
        assert info.description and re.search(r"[éèàêù]|\b(le|la|les|des|du|par)\b", info.description), key
        row = next((line for line in README.splitlines() if line.startswith(f"| `{key}` |")), None)
        assert row is not None, f"{key} missing from README"
        default = info.default
        if isinstance(default, bool):
            assert f"`{str(default).lower()}`" in row, key
        elif isinstance(default, int | float) and not isinstance(default, bool):
            assert f"`{default:g}`" in row or f"`{default}`" in row, key
        elif isinstance(default, str):
            assert f"`{default}`" in row, key


def test_every_role_and_keys_action_is_documented() -> None:
    assert all(f"| `{role}` |" in README for role in Role)
    parser = build_parser()
    commands = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    keys = next(a for a in commands.choices["keys"]._actions if isinstance(a, argparse._SubParsersAction))
    assert sorted(keys.choices) == ["create", "init", "list", "revoke"]
    assert all(f"gardefou keys {action}" in README for action in keys.choices)
    assert "--role" in README and "--expires" in README
