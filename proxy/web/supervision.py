"""The supervision's routes: /healthz (the process answers), /readyz (it can serve), /metrics.

/healthz and /readyz are public (a load balancer or an orchestrator calls them; they say nothing
about uses). /metrics is read from the networks of `metrics.allow_networks` (the Prometheus server)
or with a key of the rssi or admin role.
"""

from __future__ import annotations

import ipaddress
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse, Response

from proxy.auth import Caller
from proxy.errors import NotFound
from proxy.health import Health
from proxy.metrics import CONTENT_TYPE
from proxy.roles import Role
from proxy.web.guards import PUBLIC, RoleGuard, services_of

router = APIRouter(include_in_schema=False)


class MetricsGuard(RoleGuard):
    """rssi or admin, unless the caller's address is in `metrics.allow_networks`."""

    async def __call__(self, request: Request) -> Caller | None:  # type: ignore[override]
        settings = services_of(request).settings.metrics
        if not settings.enabled:
            raise NotFound("Cette adresse n'existe pas sur Garde-fou.")
        if _peer_allowed(request, settings.allow_networks):
            return None
        return await super().__call__(request)


def _peer_allowed(
    request: Request, networks: tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]
) -> bool:
    if not networks or request.client is None:
        return False
    try:
        peer = ipaddress.ip_address(request.client.host)
    except ValueError:
        return False
    return any(peer in network for network in networks)


METRICS_READER = MetricsGuard(Role.RSSI, Role.ADMIN)


@router.get("/healthz", dependencies=[Depends(PUBLIC)])
async def healthz(request: Request) -> dict[str, str]:
    """Alive; `ner` says how the NER runs (`direct`, or a spaCy fallback after an upgrade: slower,
    see models/README.md)."""
    path = services_of(request).detector.ner_path
    return {"status": "ok", "ner": "absent" if path is None else str(path)}


@router.get("/readyz", dependencies=[Depends(PUBLIC)])
async def readyz(request: Request) -> JSONResponse:
    health: Health = request.app.state.health
    readiness = health.readiness()
    return JSONResponse(readiness.body(), status_code=200 if readiness.ready else 503)


@router.get("/metrics")
def metrics(request: Request, _reader: Annotated[Caller | None, Depends(METRICS_READER)]) -> Response:
    # A plain function: FastAPI runs it in a thread (the scrape reads the register file).
    return Response(services_of(request).metrics.exposition(), media_type=CONTENT_TYPE)
