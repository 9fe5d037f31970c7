"""The figures of a pilot report for one service over a period, read from the register.

Aggregates only: per week, per model, per data type, per rule. The register's `user` column is never
read, so no figure can be per agent and no account id can reach the report.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from proxy.entities import entity_type
from proxy.governance.acks import AckCount
from proxy.governance.equivalents import Equivalent, equivalents
from proxy.policy.schema import Policy
from proxy.register.art30 import HOSTING_LABELS
from proxy.register.records import RowFilter
from proxy.settings import Settings

COLUMNS = (
    "ts", "service", "model", "routed_model", "decision", "error_code", "entity_counts", "rule_ids",
    "observed_rule_ids", "notice", "prompt_tokens", "completion_tokens", "energy_wh", "gco2e",
)  # fmt: skip
REFUSAL_LABELS = {
    "model_not_allowed": "modèle non autorisé pour le service",
    "payload_too_large": "demande trop longue",
    "personal_data_blocked": "donnée personnelle interdite d'envoi",
    "forbidden_use": "usage interdit (décision, notation ou classement de personnes)",
    "data_not_allowed": "données sensibles vers un hébergement non autorisé",
    "rate_limit_exceeded": "limite de requêtes dépassée",
}
ACTION_LABELS = {"block": "refus", "warn": "rappel du contrôle humain", "notice": "mention IA"}


@dataclass(frozen=True, slots=True)
class Count:
    label: str
    value: int


class _Outcomes:
    """Uses of a period, the sum of its outcomes (one definition for weeks and months)."""

    __slots__ = ()
    forwarded: int
    blocked: int
    failed: int

    @property
    def uses(self) -> int:
        return self.forwarded + self.blocked + self.failed


@dataclass(frozen=True, slots=True)
class Week(_Outcomes):
    monday: date
    forwarded: int
    blocked: int
    failed: int


@dataclass(frozen=True, slots=True)
class Month(_Outcomes):
    month: str  # "2026-03"
    forwarded: int
    blocked: int
    failed: int


@dataclass(frozen=True, slots=True)
class ModelUse:
    model: str
    hosting: str
    uses: int


@dataclass(frozen=True, slots=True)
class Period:
    service: str
    since: date
    until: date  # included

    def row_filter(self) -> RowFilter:
        end = self.until + timedelta(days=1)
        return RowFilter(since=f"{self.since}T00:00:00", until=f"{end}T00:00:00", service=self.service)


@dataclass(frozen=True, slots=True)
class PilotFigures:
    period: Period
    description: str
    decisions: Mapping[str, int]  # forwarded | blocked | failed
    notices: int
    tasks: int  # background tasks of a chat front-end (titles, tags...), counted in the uses
    tokens: tuple[int, int]  # prompt, completion
    energy_wh: float
    gco2e: float
    weeks: tuple[Week, ...]
    months: tuple[Month, ...]
    models: tuple[ModelUse, ...]
    redactions: tuple[Count, ...]
    refusals: tuple[Count, ...]
    rules: tuple[Count, ...]
    observed: tuple[Count, ...]
    acks: tuple[AckCount, ...]
    equivalents: tuple[Equivalent, ...]

    @property
    def uses(self) -> int:
        return sum(self.decisions.values())

    @property
    def redactions_total(self) -> int:
        return sum(count.value for count in self.redactions)


@dataclass(slots=True)
class _Tally:
    weeks: dict[date, Counter[str]] = field(default_factory=dict)
    months: dict[str, Counter[str]] = field(default_factory=dict)
    decisions: Counter[str] = field(default_factory=Counter)
    models: Counter[str] = field(default_factory=Counter)
    entities: Counter[str] = field(default_factory=Counter)
    refusals: Counter[str] = field(default_factory=Counter)
    rules: Counter[str] = field(default_factory=Counter)
    observed: Counter[str] = field(default_factory=Counter)
    notices: int = 0
    tasks: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    energy_wh: float = 0.0
    gco2e: float = 0.0

    def add(self, row: Mapping[str, Any]) -> None:
        day = date.fromisoformat(row["ts"][:10])
        monday = day - timedelta(days=day.weekday())
        self.weeks.setdefault(monday, Counter())[row["decision"]] += 1
        self.months.setdefault(row["ts"][:7], Counter())[row["decision"]] += 1
        self.decisions[row["decision"]] += 1
        self.models[row["routed_model"] or row["model"]] += 1
        self.entities.update(json.loads(row["entity_counts"] or "{}"))
        if row["decision"] == "blocked":
            self.refusals[row["error_code"] or "autre"] += 1
        self.rules.update(r for r in json.loads(row["rule_ids"] or "[]") if r.startswith("use."))
        self.observed.update(json.loads(row["observed_rule_ids"] or "[]"))
        self.notices += 1 if row["notice"] else 0
        self.tasks += 1 if row.get("task") else 0
        self.prompt_tokens += row["prompt_tokens"] or 0
        self.completion_tokens += row["completion_tokens"] or 0
        self.energy_wh += row["energy_wh"] or 0.0
        self.gco2e += row["gco2e"] or 0.0


def tally(rows: Iterable[Mapping[str, Any]]) -> _Tally:
    counted = _Tally()
    for row in rows:
        counted.add(row)
    return counted


def pilot_figures(
    period: Period,
    rows: Iterable[Mapping[str, Any]],
    settings: Settings,
    policy: Policy | None,
    acks: Iterable[AckCount],
) -> PilotFigures:
    counted = tally(rows)
    return PilotFigures(
        period=period,
        description=_description(policy, period.service),
        decisions={k: counted.decisions[k] for k in ("forwarded", "blocked", "failed")},
        notices=counted.notices,
        tasks=counted.tasks,
        tokens=(counted.prompt_tokens, counted.completion_tokens),
        energy_wh=counted.energy_wh,
        gco2e=counted.gco2e,
        weeks=_weeks(period, counted.weeks),
        months=tuple(
            Month(month, c["forwarded"], c["blocked"], c["failed"])
            for month, c in sorted(counted.months.items())
        ),
        models=_models(counted.models, settings),
        redactions=_ranked((entity_name(k), v) for k, v in counted.entities.items()),
        refusals=_ranked((REFUSAL_LABELS.get(k, k), v) for k, v in counted.refusals.items()),
        rules=_ranked((rule_label(policy, k), v) for k, v in counted.rules.items()),
        observed=_ranked((rule_label(policy, k), v) for k, v in counted.observed.items()),
        acks=tuple(a for a in acks if a.service == period.service),
        equivalents=tuple(equivalents(counted.energy_wh, counted.gco2e)),
    )


def entity_name(entity_id: str) -> str:
    """'PERSON' -> 'Nom de personne' (French, without the article)."""
    try:
        phrase = entity_type(entity_id).phrase
    except ValueError:
        return entity_id
    noun = phrase.split(" ", 1)[1]
    return noun[:1].upper() + noun[1:]


def rule_label(policy: Policy | None, rule_id: str) -> str:
    """'use.publication.notice' -> 'rédiger un texte destiné au public (mention IA)'; others as they are."""
    parts = rule_id.split(".")
    if len(parts) == 3 and parts[0] == "use" and policy is not None and parts[1] in policy.uses:
        action = ACTION_LABELS.get(parts[2], parts[2])
        return f"{policy.uses[parts[1]].description} ({action})"
    return rule_id


def _description(policy: Policy | None, service: str) -> str:
    rules = policy.services.get(service) if policy is not None else None
    return rules.description if rules is not None else ""


def _weeks(period: Period, counted: Mapping[date, Counter[str]]) -> tuple[Week, ...]:
    monday = period.since - timedelta(days=period.since.weekday())
    weeks = []
    while monday <= period.until:
        found = counted.get(monday, Counter())
        weeks.append(Week(monday, found["forwarded"], found["blocked"], found["failed"]))
        monday += timedelta(days=7)
    return tuple(weeks)


def _models(counted: Counter[str], settings: Settings) -> tuple[ModelUse, ...]:
    uses = []
    for model, n in counted.most_common():
        upstream = settings.upstream_for(model)
        hosting = HOSTING_LABELS[str(upstream.hosting)] if upstream else "non servi (demande refusée)"
        uses.append(ModelUse(model, hosting, n))
    return tuple(uses)


def _ranked(counts: Iterable[tuple[str, int]]) -> tuple[Count, ...]:
    merged: Counter[str] = Counter()
    for label, value in counts:
        merged[label] += value
    return tuple(Count(label, value) for label, value in merged.most_common())
