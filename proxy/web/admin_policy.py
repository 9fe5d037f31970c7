"""The DPO's routes: read the policy in force (the RSSI too), validate a policy text, test a text.

The work is done by the policy's own functions (proxy/policy/*): `load_policy` checks a text as the
proxy would at start-up, `simulate` runs the same plan/decide core on a text without calling a model.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Annotated, Any

from anyio import to_thread
from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, ConfigDict, Field

from proxy.auth import Caller
from proxy.config_file import ConfigFileError
from proxy.errors import InvalidRequest
from proxy.policy.checks import PolicyContext
from proxy.policy.loader import load_policy
from proxy.policy.schema import Policy
from proxy.policy.simulate import Simulation, caller_for, simulate
from proxy.roles import Role
from proxy.services import Services
from proxy.web.body import model_body
from proxy.web.guards import RoleGuard, ServicesDep

router = APIRouter()

Dpo = Annotated[Caller, Depends(RoleGuard(Role.DPO))]
RssiOrDpo = Annotated[Caller, Depends(RoleGuard(Role.RSSI, Role.DPO))]


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


@router.post("/policy/validate")
async def validate_policy(request: Request, services: ServicesDep, _caller: Dpo) -> dict[str, Any]:
    """Check a policy (YAML in the body) against the running proxy, without installing it."""
    try:
        text = (await request.body()).decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InvalidRequest("La politique doit être un texte YAML en UTF-8.") from exc
    return await to_thread.run_sync(_validate_text, text, _context(services))


def _context(services: Services) -> PolicyContext:
    return PolicyContext.of(services.settings, services.detector.active_entities)


def _validate_text(text: str, context: PolicyContext) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "politique.yaml"
        path.write_text(text, encoding="utf-8")
        try:
            loaded = load_policy(path, context)
        except ConfigFileError as error:
            return {"valid": False, "problems": str(error).replace(str(path), "politique").splitlines()}
    return {"valid": True, "sha256": loaded.sha256, "problems": []}


class PolicyTest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    service: Annotated[str, Field(min_length=1, max_length=120)]
    model: Annotated[str, Field(min_length=1, max_length=200)]
    text: Annotated[str, Field(min_length=1, max_length=20_000)]


@router.post("/policy/test")
async def test_policy(request: Request, services: ServicesDep, _caller: Dpo) -> dict[str, Any]:
    """What the proxy would do with this text for this service and model (no model is called)."""
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
        "model": result.model,
        "rules": list(result.rules),
        "refusal": {"kind": str(refusal.kind), "message": refusal.message} if refusal else None,
        "findings": [
            {"entity": str(f.entity), "label": f.entity.label, "start": f.start, "end": f.end}
            for f in result.found()
        ],
    }
