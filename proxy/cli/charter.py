"""`gardefou charter stats`: how many agents acknowledged the charter, per service and version
(counts only: the list of agents never leaves the acknowledgement file)."""

from __future__ import annotations

import argparse
import json
from typing import Any

from proxy.cli.common import config_option, settings_or_exit
from proxy.cli.register_args import guarded
from proxy.governance.acks import AckCount
from proxy.governance.acks_pg import ack_counts


def add_parser(subparsers: Any) -> None:
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "charter", help="charte d'utilisation : acceptations par service"
    )
    actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
    stats = actions.add_parser(
        "stats", parents=[config_option()], help="nombre d'agents ayant accepté la charte, par service"
    )
    stats.add_argument("--format", choices=("text", "json"), default="text")
    stats.set_defaults(func=guarded(charter_stats))


def charter_stats(args: argparse.Namespace) -> int:
    counts = ack_counts(settings_or_exit(args.config))
    if args.format == "json":
        print(json.dumps(_json(counts), ensure_ascii=False, indent=2))
    else:
        print(_text(counts))
    return 0


def _json(counts: list[AckCount]) -> list[dict[str, Any]]:
    return [
        {"service": c.service, "version": c.version, "empreinte": c.charter_sha256, "agents": c.agents}
        for c in counts
    ]


def _text(counts: list[AckCount]) -> str:
    if not counts:
        return "Aucune acceptation de charte enregistrée."
    lines = [f"  {'service':<24}{'version':<14}{'agents':>8}"]
    lines += [f"  {c.service or '(aucun)':<24}{c.version:<14}{c.agents:>8}" for c in counts]
    return "Acceptations de la charte, par service et version :\n" + "\n".join(lines)
