"""Route guards: every route declares, with a FastAPI dependency, who may call it.

`RoleGuard(Role.RSSI)` identifies the caller (401 if nobody) and checks one of the roles is held
(403 otherwise); `PUBLIC` marks the few routes anyone may call (health check). A test walks the
app's routes and fails on any route that declares neither.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from proxy.auth import Caller
from proxy.errors import Forbidden
from proxy.limits import Slot
from proxy.roles import Role
from proxy.services import Services
from proxy.web.body import json_body

SLOTS = "gardefou.slots"  # ASGI scope key: concurrency slots released when the response ends


def services_of(request: Request) -> Services:
    services: Services = request.app.state.services
    return services


async def services_dep(request: Request) -> Services:
    """`services_of` as a dependency: async, so FastAPI calls it on the event loop (a sync
    dependency costs a thread-pool round trip on every request)."""
    return services_of(request)


ServicesDep = Annotated[Services, Depends(services_dep)]


class RoleGuard:
    """A dependency that returns the caller if they hold one of `roles`."""

    def __init__(self, *roles: Role) -> None:
        if not roles:
            raise ValueError("a guarded route needs at least one role (use PUBLIC otherwise)")
        self.roles = frozenset(roles)

    def __repr__(self) -> str:
        return f"RoleGuard({', '.join(sorted(self.roles))})"

    async def __call__(self, request: Request) -> Caller:
        # On the event loop: identifying is a hash and one indexed read of the key store (WAL mode:
        # it never waits for a writer), cheaper than the thread-pool round trip it used to take.
        peer = request.client.host if request.client else None
        identity = services_of(request).identity
        caller = identity.identify(request.headers, peer)
        if identity.reads_body(caller):  # last resort: the agent named in the body's `user` field
            caller = identity.named_in_body(caller, await json_body(request))
        if not caller.roles & self.roles:
            needed = " ou ".join(sorted(self.roles))
            raise Forbidden(f"Votre rôle ne permet pas cette action (rôle requis : {needed}).")
        if caller.via == "sso" and _cross_site_capable(request):
            raise Forbidden(
                "Requête refusée : envoyez un corps JSON (Content-Type: application/json) ; "
                "un formulaire d'un autre site ne peut pas agir en votre nom."
            )
        return caller


# Content types a page from another site can send without a CORS preflight (plus none at all).
_SIMPLE_TYPES = {"", "application/x-www-form-urlencoded", "multipart/form-data", "text/plain"}


def _cross_site_capable(request: Request) -> bool:
    """A state-changing request another site could have made the browser send (CSRF): the SSO
    identity headers are added by the reverse proxy to whatever the browser sends."""
    if request.method in ("GET", "HEAD", "OPTIONS"):
        return False
    media = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    return request.method == "POST" and media in _SIMPLE_TYPES


class PublicRoute:
    """Declares a route public on purpose (no identity needed)."""

    async def __call__(self) -> None:
        return None


PUBLIC = PublicRoute()
AGENT = RoleGuard(Role.AGENT)


LISTER = RoleGuard(Role.AGENT, Role.FRONTEND)  # the model list: a front-end may ask in its own name


async def admitted(request: Request, caller: Annotated[Caller, Depends(AGENT)]) -> Caller:
    """An agent within the rate and concurrency limits (429 otherwise); the slot is held until the
    response (stream included) ends, by the RequestGuard middleware. The agent must have
    acknowledged the charter in force (governance.charter), if any."""
    services_of(request).charter.require(caller, str(request.base_url))
    return await admit(request, caller)


async def admitted_lister(request: Request, caller: Annotated[Caller, Depends(LISTER)]) -> Caller:
    """An agent, or a chat front-end in its own name (its key's service), within the limits."""
    return await admit(request, caller)


async def admit(request: Request, caller: Caller) -> Caller:
    slot = await services_of(request).limiter.acquire(caller.user, caller.service)
    hold(request, slot)
    return caller


def hold(request: Request, slot: Slot) -> None:
    slots: list[Slot] | None = request.scope.get(SLOTS)
    if slots is None:
        slot.release()
        raise RuntimeError("RequestGuard middleware missing: concurrency slots would leak")
    slots.append(slot)


AgentDep = Annotated[Caller, Depends(admitted)]
ListerDep = Annotated[Caller, Depends(admitted_lister)]
