"""Example cases with expected outcomes (policies/cases/*.yaml), run by `gardefou policy test --cases`
and by the tests: the DPO writes down what the policy must decide, and checks it still does.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from pydantic import Field

from proxy.config_file import load_model
from proxy.entities import EntityType
from proxy.policy.checks import PolicyContext
from proxy.policy.loader import LoadedPolicy, load_policy
from proxy.policy.records import RefusalKind
from proxy.policy.schema import EntityName, Strict
from proxy.policy.simulate import Detects, Simulation, caller_for, simulate
from proxy.roles import Role
from proxy.settings import Hosting


class Expected(Strict):
    decision: Literal["forward", "reroute", "refuse"]
    model: str | None = None
    refusal: RefusalKind | None = None
    rules: tuple[str, ...] = ()
    absent_rules: tuple[str, ...] = ()
    entities: tuple[EntityName, ...] = ()
    reminder: bool | None = None


class Case(Strict):
    name: str = Field(min_length=1)
    service: str
    model: str
    user: str = "dpo.test"
    roles: tuple[Role, ...] = ()
    system: str | None = None
    text: str
    expect: Expected


class CaseFile(Strict):
    policy: Path = Field(description="Politique testée, relative au fichier de cas")
    hosting: dict[str, Hosting] | None = Field(default=None, description="Modèle -> hébergement")
    cases: tuple[Case, ...] = Field(min_length=1)


@dataclass(frozen=True, slots=True)
class CaseResult:
    file: Path
    case: Case
    simulation: Simulation
    problems: tuple[str, ...]  # French; empty when the case passes

    @property
    def passed(self) -> bool:
        return not self.problems


def load_cases(
    path: Path, hosting: Mapping[str, Hosting], active: frozenset[EntityType]
) -> tuple[CaseFile, LoadedPolicy]:
    """The case file and the policy it tests (checked with the file's hosting, else the configuration's)."""
    cases, _ = load_model(path, CaseFile)
    policy_path = cases.policy if cases.policy.is_absolute() else path.parent / cases.policy
    context = PolicyContext(cases.hosting if cases.hosting is not None else hosting, active)
    return cases, load_policy(policy_path, context)


def run_case(loaded: LoadedPolicy, detector: Detects, case: Case, file: Path) -> CaseResult:
    caller = caller_for(case.service, case.user, case.roles)
    result = simulate(loaded.rulebook, detector, caller, case.model, case.text, case.system)
    return CaseResult(file, case, result, tuple(compare(case.expect, result)))


def compare(expected: Expected, got: Simulation) -> list[str]:
    problems = []
    if got.verdict != expected.decision:
        problems.append(f"décision {got.verdict} au lieu de {expected.decision}")
    if expected.model is not None and got.model != expected.model:
        problems.append(f"modèle « {got.model} » au lieu de « {expected.model} »")
    kind = got.refusal.kind if got.refusal else None
    if expected.refusal is not None and kind is not expected.refusal:
        problems.append(f"motif de refus {kind} au lieu de {expected.refusal}")
    problems += [f"règle « {r} » attendue, non déclenchée" for r in expected.rules if r not in got.rules]
    problems += [f"règle « {r} » déclenchée à tort" for r in expected.absent_rules if r in got.rules]
    missing = sorted(set(expected.entities) - got.entities())
    problems += [f"donnée {entity} non détectée" for entity in missing]
    reminded = bool(got.decision and got.decision.reminder)
    if expected.reminder is not None and reminded != expected.reminder:
        problems.append("rappel au modèle " + ("absent" if expected.reminder else "ajouté à tort"))
    return problems


def run_file(
    path: Path, detector: Detects, hosting: Mapping[str, Hosting], active: frozenset[EntityType]
) -> list[CaseResult]:
    cases, loaded = load_cases(path, hosting, active)
    return [run_case(loaded, detector, case, path) for case in cases.cases]
