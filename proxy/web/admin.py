"""JSON routes for the administrators (keys, configuration) under /admin/api, and the RSSI's and
DPO's routes (register, policy) included from their own modules.

Each route declares its roles with a RoleGuard dependency; the roles are defined in proxy/roles.py.
"""

from __future__ import annotations

import logging
from datetime import UTC, date, datetime, time
from typing import Annotated, Any

from anyio import to_thread
from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, ConfigDict, Field

from proxy.auth import Caller
from proxy.errors import Forbidden, InvalidRequest, NotFound
from proxy.keystore import KeyRecord, KeyRequestError
from proxy.roles import Role, may_grant_over_http
from proxy.services import Services
from proxy.web import admin_policy, admin_register
from proxy.web.admin_policy import service_choices
from proxy.web.admin_view import PARIS
from proxy.web.body import model_body
from proxy.web.guards import RoleGuard, ServicesDep

log = logging.getLogger("gardefou")
router = APIRouter(prefix="/admin/api")
router.include_router(admin_register.router)
router.include_router(admin_policy.router)

AnyRole = Annotated[Caller, Depends(RoleGuard(*Role))]
Admin = Annotated[Caller, Depends(RoleGuard(Role.ADMIN))]


# -- who am I ----------------------------------------------------------------------------------


@router.get("/whoami")
def whoami(services: ServicesDep, caller: AnyRole) -> dict[str, Any]:
    """Who is connected, and the names shown in the pages' header."""
    return {
        "collectivite": services.settings.collectivite,
        "policy_name": services.policy.current().policy.name,
        "user": caller.user,
        "service": caller.service,
        "roles": sorted(caller.roles),
        "key_id": caller.key_id,
        "via": caller.via,
    }


# -- keys (admin) ------------------------------------------------------------------------------


class KeyRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    user: Annotated[str, Field(min_length=1, max_length=120)]
    service: Annotated[str, Field(min_length=1, max_length=120)]
    role: Role = Role.AGENT
    expires: date | None = None


@router.get("/keys")
def list_keys(services: ServicesDep, _caller: Admin) -> dict[str, Any]:
    now = datetime.now(UTC)
    return {
        "keys": [_key_view(record, now) for record in services.keys.list()],
        "services": service_choices(services.policy.current().policy),
    }


@router.post("/keys", status_code=201)
async def create_key(http: Request, services: ServicesDep, caller: Admin) -> dict[str, Any]:
    request = await model_body(http, KeyRequest)
    return await to_thread.run_sync(_create_key, request, services, caller)


def _create_key(request: KeyRequest, services: Services, caller: Caller) -> dict[str, Any]:
    if not may_grant_over_http(caller.roles, request.role):
        raise Forbidden(
            f"Une clé de rôle « {request.role} » ne se crée qu'en ligne de commande, sur le serveur "
            "(gardefou keys create --role ...). Par l'interface, seules des clés agent peuvent être créées."
        )
    known = services.policy.current().policy.services
    if request.service not in known:
        raise InvalidRequest(
            f"Service inconnu de la politique : « {request.service[:60]} ». Une clé d'un service que la "
            f"politique ne connaît pas serait refusée à chaque requête ; services : {', '.join(known)}."
        )
    expires = datetime.combine(request.expires, time.min, UTC) if request.expires else None
    try:
        new = services.keys.create(
            user=request.user, service=request.service, role=request.role, expires_at=expires
        )
    except KeyRequestError as error:
        raise InvalidRequest(str(error)) from error
    log.info("admin: key %s (%s) created by %s", new.record.key_id, new.record.role, caller.account)
    return {**_key_view(new.record, datetime.now(UTC)), "key": new.secret_key}


@router.delete("/keys/{key_id}")
def revoke_key(key_id: str, services: ServicesDep, caller: Admin) -> dict[str, Any]:
    """Revoke an agent key; rssi, dpo and admin keys are revoked on the server only, as they are
    created (an admin cannot lock the RSSI out of the register from the page)."""
    record = services.keys.get(key_id)
    if record is not None and record.role is not Role.AGENT:
        raise Forbidden(
            f"Une clé de rôle « {record.role} » ne se révoque qu'en ligne de commande, sur le serveur : "
            f"gardefou keys revoke {record.key_id}"
        )
    if not services.keys.revoke(key_id):
        raise NotFound(f"Aucune clé active avec l'identifiant « {key_id[:40]} ».")
    log.info("admin: key %s revoked by %s", key_id, caller.account)
    return {"id": key_id, "state": "révoquée"}


def _key_view(record: KeyRecord, now: datetime) -> dict[str, Any]:
    return {
        "id": record.key_id,
        "user": record.user,
        "service": record.service,
        "role": str(record.role),
        "created_at": record.created_at,
        "expires_at": record.expires_at,
        "last_used_at": record.last_used_at,
        "created_on": _day(record.created_at),
        "expires_on": _day(record.expires_at),
        "last_used_on": _day(record.last_used_at),
        "state": record.state(now),
        "revocable_here": record.role is Role.AGENT and record.state(now) == "active",
    }


def _day(moment: str | None) -> str | None:
    """'2026-03-14T09:05:01+00:00' or '2026-03-14' -> '14/03/2026' (Paris)."""
    if moment is None:
        return None
    parsed = datetime.fromisoformat(moment)
    if parsed.tzinfo is not None:
        parsed = parsed.astimezone(PARIS)
    return parsed.strftime("%d/%m/%Y")


# -- configuration (admin) ---------------------------------------------------------------------


@router.get("/config")
def show_config(services: ServicesDep, _caller: Admin) -> dict[str, Any]:
    """The effective configuration; secrets are never in it (only the names of their variables)."""
    return services.settings.model_dump(mode="json", by_alias=True)
