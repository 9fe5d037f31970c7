"""Every `gardefou` command and sub-command is documented (README or the DPO's references)."""

from __future__ import annotations

import argparse
import re
from pathlib import Path

from proxy.cli import build_parser

REPO = Path(__file__).resolve().parent.parent
DOCS = "".join(
    (REPO / name).read_text(encoding="utf-8")
    for name in ("README.md", "policies/README.md", "models/README.md")
)


def commands(parser: argparse.ArgumentParser, prefix: str = "gardefou") -> list[str]:
    found = []
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                found.append(f"{prefix} {name}")
                found.extend(commands(sub, f"{prefix} {name}"))
    return found


def test_every_command_is_documented() -> None:
    listed = commands(build_parser())
    assert "gardefou register verify" in listed  # the walk reaches sub-commands
    # the command itself, not as the prefix of a longer one ("gardefou keys" inside "gardefou keystore")
    missing = [command for command in listed if not re.search(re.escape(command) + r"(?![\w-])", DOCS)]
    assert not missing, f"commandes non documentées : {missing}"
