"""GET /admin/report: the pilot report of a service, for the RSSI and the DPO (HTML or PDF)."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from anyio import to_thread
from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response

from proxy.errors import InvalidRequest
from proxy.governance.report import ReportFormat, gather, render_report
from proxy.governance.report_data import Period, PilotFigures
from proxy.register.store import Register
from proxy.roles import Role
from proxy.settings import Settings
from proxy.web.guards import RoleGuard, services_of

router = APIRouter(prefix="/admin", include_in_schema=False)
READERS = RoleGuard(Role.RSSI, Role.DPO)
# A standalone document: its own inline style, charts as data: images, no script at all.
HEADERS = {
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; img-src data:; "
    "frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}


@router.get("/report", dependencies=[Depends(READERS)])
async def pilot_report(
    request: Request,
    service: Annotated[str, Query(min_length=1, max_length=64, pattern=r"^[a-z0-9][a-z0-9_-]*$")],
    since: Annotated[date, Query(alias="from")],
    until: Annotated[date, Query(alias="to")],
    format: ReportFormat = ReportFormat.HTML,
) -> Response:
    if until < since or (until - since).days > 400:
        raise InvalidRequest("Période invalide : « to » doit suivre « from », sur 400 jours au plus.")
    settings = services_of(request).settings
    figures = await to_thread.run_sync(_figures, settings, Period(service, since, until))
    document = await to_thread.run_sync(render_report, figures, format)
    name = f"rapport-{service}-{since}-{until}.{format.value}"
    headers = {**HEADERS, "Content-Disposition": f'inline; filename="{name}"'}
    return Response(document, media_type=format.media_type, headers=headers)


def _figures(settings: Settings, period: Period) -> PilotFigures:
    """Read on a connection of its own (read-only), apart from the proxy's writer."""
    register = Register.open(settings.register_target, readonly=True)
    try:
        return gather(settings, register, period)
    finally:
        register.close()
