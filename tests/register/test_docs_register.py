"""The README documents every `gardefou register` action and every register configuration key."""

from __future__ import annotations

import argparse
from pathlib import Path

from proxy.cli import build_parser
from proxy.settings import Settings, UpstreamSettings

README = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")


def register_actions() -> list[str]:
    parser = build_parser()
    commands = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    register = commands.choices["register"]
    actions = next(a for a in register._actions if isinstance(a, argparse._SubParsersAction))
    return sorted(actions.choices)


def test_every_register_action_is_documented() -> None:
    actions = register_actions()
    assert len(actions) == 10
    assert [a for a in actions if f"gardefou register {a}" not in README] == []


def test_every_register_configuration_key_is_documented() -> None:
    names = [name for name in Settings.model_fields if name.startswith("register_")]
    keys = [f"`{name}`" if name != "register_db" else "`register`" for name in names]
    energy = ("params_billion", "active_params_billion", "electricity_zone")
    energy += ("electricity_gco2_per_kwh", "pue")
    keys += [f"`upstreams[].{name}`" for name in energy if name in UpstreamSettings.model_fields]
    assert len(keys) == 13
    assert [key for key in keys if key not in README] == []
