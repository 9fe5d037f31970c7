"""`gardefou report`: the pilot report of one service over a period (HTML or PDF), for the comité de suivi."""

from __future__ import annotations

import argparse
from typing import Any


def add_parser(subparsers: Any) -> None:
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "report", help="rapport de pilotage d'un service (HTML ou PDF)"
    )
    parser.set_defaults(func=lambda _args: 2)
