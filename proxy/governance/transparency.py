"""The public transparency page's content: the authorised AI tools per service and their hosting, the
forbidden uses, monthly figures and the energy estimate. Aggregates only, small counts suppressed
(a count under `min_count` is shown as "< N"), never a figure per agent."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from proxy.governance.equivalents import Equivalent, equivalents
from proxy.governance.templates import french_number, month_label
from proxy.policy.messages import AREA_LABELS
from proxy.policy.schema import Policy, UseAction
from proxy.register.art30 import HOSTING_LABELS
from proxy.register.stats import Totals, compute_stats
from proxy.settings import Settings


@dataclass(frozen=True, slots=True)
class Tool:
    model: str
    hosting: str


@dataclass(frozen=True, slots=True)
class ServiceTools:
    service: str
    description: str
    tools: tuple[Tool, ...]


@dataclass(frozen=True, slots=True)
class UseRuleLine:
    description: str
    treatment: str  # French: forbidden, with human control in..., notice


@dataclass(frozen=True, slots=True)
class MonthLine:
    month: str  # "mars 2026"
    uses: str
    refused: str
    removed: str
    energy_kwh: str
    kg_co2e: str


@dataclass(frozen=True, slots=True)
class Transparency:
    organisation: str
    services: tuple[ServiceTools, ...]
    uses: tuple[UseRuleLine, ...]
    months: tuple[MonthLine, ...]
    energy_kwh: str
    kg_co2e: str
    equivalents: tuple[Equivalent, ...]
    min_count: int
    updated: str


def shown(count: int, min_count: int) -> str:
    """A count as published: "< N" below the threshold (but 0 stays 0: it reveals nobody)."""
    return f"< {min_count}" if 0 < count < min_count else french_number(count)


def services_tools(policy: Policy, settings: Settings) -> tuple[ServiceTools, ...]:
    lines = []
    for name, service in policy.services.items():
        tools = []
        for model in service.models:
            upstream = settings.upstream_for(model)
            hosting = HOSTING_LABELS[str(upstream.hosting)] if upstream else "non servi"
            tools.append(Tool(model, hosting))
        lines.append(ServiceTools(name, service.description, tuple(tools)))
    return tuple(lines)


def use_lines(policy: Policy) -> tuple[UseRuleLine, ...]:
    lines = []
    for rule in policy.uses.values():
        opened = [name for name, s in policy.services.items() if rule.area and rule.area in s.assessed_areas]
        if rule.action is UseAction.NOTICE:
            treatment = "autorisé ; la réponse porte la mention « texte rédigé avec l'aide d'une IA »"
        elif rule.action is UseAction.WARN:
            treatment = "autorisé avec un rappel : l'IA informe, un agent décide"
        else:
            treatment = "interdit : la demande est refusée"
        if opened and rule.area is not None:
            area = AREA_LABELS[rule.area]
            services = ", ".join(opened)
            treatment += f" ; domaine « {area} » évalué pour : {services} (la demande y passe, avec le "
            treatment += "rappel que l'IA informe et qu'un agent décide)"
        lines.append(UseRuleLine(rule.description, treatment))
    return tuple(lines)


def month_lines(by_month: Mapping[str, Totals], min_count: int) -> tuple[MonthLine, ...]:
    return tuple(
        MonthLine(
            month=month_label(month),
            uses=shown(t.uses, min_count),
            refused=shown(t.blocked, min_count),
            removed=shown(t.redactions_total, min_count),
            energy_kwh=french_number(t.energy_wh / 1000, 2),
            kg_co2e=french_number(t.gco2e / 1000, 2),
        )
        for month, t in sorted(by_month.items(), reverse=True)
    )


def build(policy: Policy, settings: Settings, rows: Iterable[Mapping[str, Any]]) -> Transparency:
    """The page's content from the policy in force and the register's rows of the last 12 months."""
    config = policy.governance.transparency
    stats = compute_stats({**row, "service": "*"} for row in rows)  # one bucket: all services
    by_month = {month: totals for (_, month), totals in stats.by_service_month.items()}
    total = stats.total
    return Transparency(
        organisation=config.organisation,
        services=services_tools(policy, settings),
        uses=use_lines(policy),
        months=month_lines(by_month, config.min_count),
        energy_kwh=french_number(total.energy_wh / 1000, 2),
        kg_co2e=french_number(total.gco2e / 1000, 2),
        equivalents=tuple(equivalents(total.energy_wh, total.gco2e)),
        min_count=config.min_count,
        updated=datetime.now(UTC).strftime("%d/%m/%Y à %H:%M UTC"),
    )


def since_last_year() -> str:
    start = (datetime.now(UTC) - timedelta(days=366)).replace(day=1)
    return start.strftime("%Y-%m-01T00:00:00")


class TransparencyCache:
    """The page's content, computed at most every `ttl_s` seconds (the page is public: a visitor
    must not be able to make the proxy read its register on every hit)."""

    def __init__(self, ttl_s: float = 600.0) -> None:
        self._ttl = ttl_s
        self._lock = threading.Lock()
        self._cached: tuple[float, str, Transparency] | None = None

    def get(self, policy_sha256: str, compute: Callable[[], Transparency]) -> Transparency:
        with self._lock:
            now = time.monotonic()
            cached = self._cached
            if cached is None or cached[1] != policy_sha256 or now - cached[0] > self._ttl:
                cached = (now, policy_sha256, compute())
                self._cached = cached
            return cached[2]
