"""The `gardefou` command: one sub-command group per module of this package.

Each module exposes `add_parser(subparsers)`, which registers its sub-command(s) and sets `func`
(a callable taking the parsed namespace and returning the exit code).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from proxy.cli import analyze, charter, keys, policy, register, report, serve


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="gardefou",
        description="Garde-fou : proxy de garde-fous pour l'IA générative des collectivités.",
    )
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMANDE")
    for module in (serve, keys, analyze, policy, register, charter, report):
        module.add_parser(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    code: int = args.func(args)
    return code


if __name__ == "__main__":
    sys.exit(main())
