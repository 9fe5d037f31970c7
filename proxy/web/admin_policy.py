"""The DPO's routes: read the policy in force (the RSSI too), validate a new text, see what it would
change, install it, roll back; test a text.

The work is done by the policy's own functions (proxy/policy/*): `load_policy` checks a text as the
proxy would at start-up, `review` runs both policies through the same `simulate` as the proxy, and
`install` puts a text in force through the store's hot reload, keeping every version for rollback.
"""

from __future__ import annotations

import logging
import secrets
from collections import Counter
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any

from anyio import to_thread
from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, ConfigDict, Field

from proxy.auth import Caller
from proxy.config_file import ConfigFileError
from proxy.errors import Forbidden, InvalidRequest, NotFound
from proxy.policy.install import Installation, InstallError, PolicyHistory, check, install
from proxy.policy.review import Change, Outcome, load_cases, load_samples, review, text_diff
from proxy.policy.schema import Action, Policy
from proxy.policy.simulate import Simulation, caller_for, simulate
from proxy.register.export import type_name
from proxy.roles import Role
from proxy.services import Services
from proxy.settings import PROJECT_ROOT
from proxy.transform.redact import redact
from proxy.transform.vault import build_vault
from proxy.web.admin_view import PARIS, action_label, verdict_label
from proxy.web.body import model_body
from proxy.web.guards import RoleGuard, ServicesDep

log = logging.getLogger("gardefou")
router = APIRouter()

Dpo = Annotated[Caller, Depends(RoleGuard(Role.DPO))]
RssiOrDpo = Annotated[Caller, Depends(RoleGuard(Role.RSSI, Role.DPO))]

SAMPLES = PROJECT_ROOT / "policies" / "samples.yaml"


@router.get("/policy")
def show_policy(services: ServicesDep, _caller: RssiOrDpo) -> dict[str, Any]:
    loaded = services.policy.current()
    return {
        "path": str(loaded.path),
        "sha256": loaded.sha256,
        "name": loaded.policy.name,
        "services": service_choices(loaded.policy),
        "yaml": Path(loaded.path).read_text(encoding="utf-8"),
    }


def service_choices(policy: Policy) -> list[dict[str, Any]]:
    """The policy's services and their models, to choose from in the pages."""
    return [
        {
            "id": name,
            "label": f"{name} — {service.description}" if service.description else name,
            "models": list(service.models),
        }
        for name, service in policy.services.items()
    ]


async def _yaml_body(request: Request) -> str:
    try:
        text = (await request.body()).decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InvalidRequest("La politique doit être un texte YAML en UTF-8.") from exc
    return text.replace("\r\n", "\n")


@router.post("/policy/validate")
async def validate_policy(request: Request, services: ServicesDep, _caller: Dpo) -> dict[str, Any]:
    """Check a policy (YAML in the body) against the running proxy, without installing it."""
    text = await _yaml_body(request)
    return await to_thread.run_sync(_validate_text, text, services)


def _validate_text(text: str, services: Services) -> dict[str, Any]:
    try:
        loaded = check(text, services.policy)
    except ConfigFileError as error:
        return {"valid": False, "sha256": None, "problems": problem_lines(str(error))}
    return {"valid": True, "sha256": loaded.sha256, "problems": []}


def problem_lines(message: str) -> list[str]:
    """A ConfigFileError's problems, one per item, without the temporary file's name."""
    lines = message.splitlines()
    items = [line.strip().removeprefix("- ") for line in lines[1:] if line.strip()]
    if items:
        return items
    first = lines[0] if lines else message
    return [first.split(" : ", 1)[-1] if "," not in first.split(" : ", 1)[0] else _located(first)]


def _located(line: str) -> str:
    """'/tmp/x/politique.yaml, ligne 3, colonne 5 : YAML invalide (...)' -> 'ligne 3, colonne 5 : ...'."""
    head, _, rest = line.partition(" : ")
    return f"{head.split(', ', 1)[1]} : {rest}"


@router.post("/policy/review")
async def review_policy(request: Request, services: ServicesDep, _caller: Dpo) -> dict[str, Any]:
    """What installing this text would change: the diff, and the decisions that change on the sample
    texts (every service) and on the policy's test cases."""
    text = await _yaml_body(request)
    checked = await to_thread.run_sync(_validate_text, text, services)
    current = services.policy.current()
    diff = text_diff(Path(current.path).read_text(encoding="utf-8"), text)
    if not checked["valid"]:
        return {**checked, "diff": diff, "changes": []}
    candidate = check(text, services.policy)
    cases = load_cases(Path(current.path).parent / "cases")

    def run() -> list[Change]:
        return review(current, candidate, services.detector, load_samples(SAMPLES), cases)

    changes = await to_thread.run_sync(run, limiter=services.detection_limiter)
    return {**checked, "diff": diff, "changes": [_change_view(c) for c in changes]}


def _change_view(change: Change) -> dict[str, Any]:
    return {
        "source": change.source,
        "name": change.name,
        "service": change.service,
        "model": change.model,
        "before": _outcome_view(change.before),
        "after": _outcome_view(change.after),
        "problems": list(change.problems),
    }


def _outcome_view(outcome: Outcome | None) -> str:
    if outcome is None:
        return "service absent"
    actions = ", ".join(f"{type_name(entity)} : {action_label(action)}" for entity, action in outcome.actions)
    text = f"{verdict_label(outcome.verdict)} (modèle {outcome.model})"
    return (
        text
        + (f" ; {actions}" if actions else "")
        + (f" ; règles : {', '.join(outcome.rules)}" if outcome.rules else "")
    )


# -- installing and rolling back ----------------------------------------------------------------


def _history(services: Services) -> PolicyHistory:
    return PolicyHistory(services.settings.data_dir / "policy-history")


@router.post("/policy/install")
async def install_policy(request: Request, services: ServicesDep, caller: Dpo) -> dict[str, Any]:
    """Put this text in force (hot reload), keeping the previous version for rollback."""
    text = await _yaml_body(request)
    checked = await to_thread.run_sync(_validate_text, text, services)
    if not checked["valid"]:
        raise InvalidRequest("Politique non installée : " + " ; ".join(checked["problems"][:5]))
    return await to_thread.run_sync(_install, services, text, caller, "installation")


class Rollback(BaseModel):
    model_config = ConfigDict(extra="forbid")
    sha256: Annotated[str, Field(pattern=r"^[0-9a-f]{64}$")]


@router.post("/policy/rollback")
async def rollback_policy(request: Request, services: ServicesDep, caller: Dpo) -> dict[str, Any]:
    """Put an earlier version back in force (one kept by an installation from the page)."""
    wanted = await model_body(request, Rollback)
    text = _history(services).text(wanted.sha256)
    if text is None:
        raise NotFound("Cette version de la politique n'a pas été conservée (aucune installation connue).")
    return await to_thread.run_sync(_install, services, text, caller, "retour arrière")


def _install(services: Services, text: str, caller: Caller, action: str) -> dict[str, Any]:
    try:
        done = install(services.policy, _history(services), text, caller.account, action)
    except InstallError as error:
        raise Forbidden(str(error)) from error
    log.info(
        "admin: policy %s (%s) put in force by %s, replacing %s",
        done.sha256,
        action,
        caller.account,
        done.previous,
    )
    return _installation_view(done, done.sha256)


@router.get("/policy/history")
def policy_history(services: ServicesDep, _caller: RssiOrDpo) -> dict[str, Any]:
    """The installations made from the page, newest first; any kept version can be put back."""
    current = services.policy.current().sha256
    history = _history(services)
    views = [_installation_view(i, current) for i in reversed(history.installations())]
    return {"current": current, "installations": views}


def _installation_view(installation: Installation, current: str) -> dict[str, Any]:
    moment = datetime.fromisoformat(installation.ts).astimezone(PARIS)
    return {
        "date": moment.strftime("%d/%m/%Y %H:%M:%S"),
        "sha256": installation.sha256,
        "previous": installation.previous,
        "by": installation.by,
        "action": installation.action,
        "current": installation.sha256 == current,
    }


# -- testing a text -----------------------------------------------------------------------------


class PolicyTest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    service: Annotated[str, Field(min_length=1, max_length=120)]
    model: Annotated[str, Field(min_length=1, max_length=200)]
    text: Annotated[str, Field(min_length=1, max_length=20_000)]


@router.post("/policy/test")
async def test_policy(request: Request, services: ServicesDep, _caller: Dpo) -> dict[str, Any]:
    """What the proxy would do with this text for this service and model (no model is called): the
    verdict, the action per data type and the text as it would be sent."""
    test = await model_body(request, PolicyTest)
    rulebook = services.policy.current().rulebook

    def run() -> Simulation:
        return simulate(rulebook, services.detector, caller_for(test.service), test.model, test.text)

    result = await to_thread.run_sync(run, limiter=services.detection_limiter)
    return _simulation_view(result)


def _simulation_view(result: Simulation) -> dict[str, Any]:
    refusal = result.refusal
    return {
        "verdict": result.verdict,
        "verdict_label": verdict_label(result.verdict),
        "model": result.model,
        "rules": list(result.rules),
        "refusal": {"kind": str(refusal.kind), "message": refusal.message} if refusal else None,
        "findings": [
            {"entity": str(f.entity), "label": f.entity.label, "start": f.start, "end": f.end}
            for f in result.found()
        ],
        "actions": _actions(result),
        "sent_text": _sent_text(result),
    }


def _actions(result: Simulation) -> list[dict[str, Any]]:
    decision = result.decision
    if decision is None:
        return []
    counts = Counter(finding.entity for finding in result.found())
    views = []
    for entity, count in sorted(counts.items()):
        action = str(decision.actions.get(entity, Action.PSEUDONYMISE))
        views.append(
            {
                "entity": str(entity),
                "type": type_name(entity),
                "count": count,
                "action": action,
                "action_label": action_label(action),
            }
        )
    return views


def _sent_text(result: Simulation) -> str | None:
    """The text as the model would receive it (placeholders numbered for this test only); None
    when the request would be refused."""
    decision = result.decision
    if decision is None or decision.refusal is not None:
        return None
    style = result.plan.rulebook.policy.defaults.placeholders
    findings = list(decision.findings[-1]) if decision.findings else []
    vault = build_vault(secrets.token_bytes(32), style, [result.text], [findings], decision.actions)
    return redact(result.text, findings, decision.actions, vault, style)
