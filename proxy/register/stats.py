"""Statistics of use from the register: per service and month, never per agent.

Uses, blocked and failed requests, refusals per rule, observe-mode rules that would have acted,
personal data removed per type, models and their hosting, task kinds, tokens, energy and emissions.
Months are calendar months in Paris time. The CNIL forbids using such logs to monitor agents'
productivity, so no figure is given per user. Each row's counts are read as recorded.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from proxy.register.export import entity_label

PARIS = ZoneInfo("Europe/Paris")
NO_TASK = "-"  # the agent's own use (no background task of a chat front-end)


@dataclass(frozen=True, slots=True)
class Totals:
    uses: int
    forwarded: int
    blocked: int
    failed: int
    redactions: Mapping[str, int]  # French entity label -> count
    prompt_tokens: int
    completion_tokens: int
    energy_wh: float
    gco2e: float
    refusals_by_rule: Mapping[str, int] = field(default_factory=dict)  # rules of blocked requests
    observed_rules: Mapping[str, int] = field(default_factory=dict)  # observe mode: would have acted
    models: Mapping[tuple[str, str], int] = field(default_factory=dict)  # (model, upstream) -> uses
    tasks: Mapping[str, int] = field(default_factory=dict)  # task kind (NO_TASK: agent's use) -> uses

    @property
    def redactions_total(self) -> int:
        return sum(self.redactions.values())


@dataclass(frozen=True, slots=True)
class Stats:
    total: Totals
    by_service: Mapping[str, Totals]
    by_service_month: Mapping[tuple[str, str], Totals]  # (service, "YYYY-MM")
    first_ts: str | None
    last_ts: str | None


@dataclass(slots=True)
class _Tally:
    uses: int = 0
    decisions: Counter[str] = field(default_factory=Counter)
    redactions: Counter[str] = field(default_factory=Counter)
    prompt_tokens: int = 0
    completion_tokens: int = 0
    energy_wh: float = 0.0
    gco2e: float = 0.0
    refusals: Counter[str] = field(default_factory=Counter)
    observed: Counter[str] = field(default_factory=Counter)
    models: Counter[tuple[str, str]] = field(default_factory=Counter)
    tasks: Counter[str] = field(default_factory=Counter)

    def add(self, row: Mapping[str, Any], counts: Mapping[str, int]) -> None:
        self.uses += 1
        self.decisions[row["decision"]] += 1
        self.redactions.update(counts)
        if row["decision"] == "blocked":
            self.refusals.update(json.loads(row.get("rule_ids") or "[]") or ["(sans règle)"])
        self.observed.update(json.loads(row.get("observed_rule_ids") or "[]"))
        self.models[(row.get("routed_model") or row.get("model") or "", row.get("upstream") or "")] += 1
        self.tasks[row.get("task") or NO_TASK] += 1
        self.prompt_tokens += row["prompt_tokens"] or 0
        self.completion_tokens += row["completion_tokens"] or 0
        self.energy_wh += row["energy_wh"] or 0.0
        self.gco2e += row["gco2e"] or 0.0

    def freeze(self) -> Totals:
        return Totals(
            uses=self.uses,
            forwarded=self.decisions["forwarded"],
            blocked=self.decisions["blocked"],
            failed=self.decisions["failed"],
            redactions=dict(self.redactions.most_common()),
            prompt_tokens=self.prompt_tokens,
            completion_tokens=self.completion_tokens,
            energy_wh=self.energy_wh,
            gco2e=self.gco2e,
            refusals_by_rule=dict(self.refusals.most_common()),
            observed_rules=dict(self.observed.most_common()),
            models=dict(self.models.most_common()),
            tasks=dict(self.tasks.most_common()),
        )


def paris_month(ts: str) -> str:
    """The calendar month, in Paris, of a register timestamp: '2026-06-30T23:00:00.0Z' -> '2026-07'."""
    moment = datetime.fromisoformat(ts.replace("Z", "+00:00"))
    return moment.astimezone(PARIS).strftime("%Y-%m")


def compute_stats(rows: Iterable[Mapping[str, Any]], label: Callable[[str], str] = entity_label) -> Stats:
    """Totals, per service and per (service, month); `label` names the data types (French)."""
    total = _Tally()
    by_service: dict[str, _Tally] = {}
    by_month: dict[tuple[str, str], _Tally] = {}
    first_ts: str | None = None
    last_ts: str | None = None
    for row in rows:
        counts = {label(k): v for k, v in json.loads(row["entity_counts"]).items()}
        for tally in (
            total,
            by_service.setdefault(row["service"], _Tally()),
            by_month.setdefault((row["service"], paris_month(row["ts"])), _Tally()),
        ):
            tally.add(row, counts)
        first_ts = first_ts or row["ts"]
        last_ts = row["ts"]
    return Stats(
        total=total.freeze(),
        by_service={k: v.freeze() for k, v in sorted(by_service.items())},
        by_service_month={k: v.freeze() for k, v in sorted(by_month.items())},
        first_ts=first_ts,
        last_ts=last_ts,
    )


def stats_json(stats: Stats, hosting: Mapping[str, str] | None = None) -> dict[str, Any]:
    """A JSON-ready form (French keys) for other tools; `hosting`: upstream name -> hosting."""
    hosting = hosting or {}
    return {
        "periode": {"debut": stats.first_ts, "fin": stats.last_ts},
        "total": _totals_json(stats.total, hosting),
        "par_service": {name: _totals_json(t, hosting) for name, t in stats.by_service.items()},
        "par_service_et_mois": [
            {"service": service, "mois": month, **_totals_json(t, hosting)}
            for (service, month), t in stats.by_service_month.items()
        ],
    }


def _totals_json(totals: Totals, hosting: Mapping[str, str]) -> dict[str, Any]:
    return {
        "usages": totals.uses,
        "transmis": totals.forwarded,
        "bloques": totals.blocked,
        "echoues": totals.failed,
        "donnees_retirees": dict(totals.redactions),
        "jetons_entree": totals.prompt_tokens,
        "jetons_sortie": totals.completion_tokens,
        "energie_wh": round(totals.energy_wh, 6),
        "emissions_gco2e": round(totals.gco2e, 6),
        "refus_par_regle": dict(totals.refusals_by_rule),
        "regles_observees": dict(totals.observed_rules),
        "modeles": [
            {"modele": model, "amont": upstream, "hebergement": hosting.get(upstream, ""), "usages": uses}
            for (model, upstream), uses in totals.models.items()
        ],
        "taches": dict(totals.tasks),
    }


_COLUMNS = ("usages", "bloqués", "échoués", "retraits", "énergie Wh", "gCO2e")


def render_text(stats: Stats) -> str:
    """Plain-text report (French) for the terminal."""
    if stats.total.uses == 0:
        return "Aucun usage enregistré sur cette période."
    lines = [f"Usages du {stats.first_ts} au {stats.last_ts}", ""]
    lines += _table("service", "mois", [("TOTAL", "", stats.total)])
    lines += ["", "Par service et par mois :"]
    rows = [(service, month, t) for (service, month), t in stats.by_service_month.items()]
    lines += _table("service", "mois", rows)
    lines += ["", "Par service :"]
    lines += _table("service", "", [(name, "", t) for name, t in stats.by_service.items()])
    lines += ["", "Données personnelles retirées, par type :"]
    lines += [f"  {label:<24}{count:>10}" for label, count in stats.total.redactions.items()]
    if not stats.total.redactions:
        lines.append("  (aucune)")
    lines += _observed(stats)
    return "\n".join(lines)


def _observed(stats: Stats) -> list[str]:
    """What rules in observe mode would have done (requests per rule and per service)."""
    if not stats.total.observed_rules:
        return []
    lines = ["", "Règles en observation (mode observe) — requêtes qu'elles auraient bloquées ou signalées :"]
    lines += [f"  {rule:<40}{count:>10}" for rule, count in stats.total.observed_rules.items()]
    for name, totals in stats.by_service.items():
        lines += [f"    {name} : {rule} {count}" for rule, count in totals.observed_rules.items()]
    return lines


def _table(first: str, second: str, rows: list[tuple[str, str, Totals]]) -> list[str]:
    header = f"  {first:<22}{second:<9}" + "".join(f"{c:>12}" for c in _COLUMNS)
    body = [header]
    for name, month, t in rows:
        cells = (t.uses, t.blocked, t.failed, t.redactions_total)
        figures = "".join(f"{c:>12}" for c in cells) + f"{t.energy_wh:>12.3f}{t.gco2e:>12.3f}"
        body.append(f"  {name:<22}{month:<9}" + figures)
    return body
