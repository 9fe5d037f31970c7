"""`gardefou policy`: placeholder until its owner lands it."""

from __future__ import annotations

import argparse
from typing import Any


def add_parser(subparsers: Any) -> None:
    parser: argparse.ArgumentParser = subparsers.add_parser("policy", help="(à venir)")
    parser.set_defaults(func=lambda _args: 2)
