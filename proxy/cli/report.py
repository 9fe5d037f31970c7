"""`gardefou report`: the pilot report of one service over a period (HTML or PDF), for the comité de
suivi. Aggregates only: no figure per agent, no account id."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from proxy.cli.register_args import common, day, guarded, register_files
from proxy.governance.report import ReportFormat, gather, render_report
from proxy.governance.report_data import Period
from proxy.register.store import Register


def add_parser(subparsers: Any) -> None:
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "report", parents=common(), help="rapport de pilotage d'un service (HTML ou PDF)"
    )
    parser.add_argument("--service", required=True, help="le service (au sens de la politique)")
    parser.add_argument("--from", dest="since", type=day, required=True, help="premier jour (AAAA-MM-JJ)")
    parser.add_argument("--to", dest="until", type=day, required=True, help="dernier jour inclus")
    parser.add_argument("--format", choices=[f.value for f in ReportFormat], default="html")
    parser.add_argument("--output", "-o", type=Path, help="fichier (défaut : rapport-SERVICE-DU-AU.html|pdf)")
    parser.set_defaults(func=guarded(report))


def report(args: argparse.Namespace) -> int:
    if args.until < args.since:
        raise ValueError("la date de fin (--to) précède la date de début (--from)")
    files = register_files(args)
    period = Period(args.service, args.since, args.until)
    register = Register.open(files.db, readonly=True)
    try:
        figures = gather(files.settings, register, period)
    finally:
        register.close()
    fmt = ReportFormat(args.format)
    output = args.output or Path(f"rapport-{args.service}-{args.since}-{args.until}.{fmt.value}")
    output.write_bytes(render_report(figures, fmt))
    print(f"Rapport écrit dans {output} ({figures.uses} requête(s) du service sur la période).")
    return 0
