"""GET /transparence: the public page (no authentication), published only when the policy says so."""

from __future__ import annotations

from anyio import to_thread
from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse

from proxy.errors import NotFound
from proxy.governance.templates import render
from proxy.governance.transparency import Transparency, build, since_last_year
from proxy.register.records import RowFilter
from proxy.register.store import Register
from proxy.services import Services
from proxy.web.guards import PUBLIC, services_of
from proxy.web.pages import SECURITY_HEADERS

router = APIRouter(include_in_schema=False)


@router.get("/transparence", dependencies=[Depends(PUBLIC)])
async def transparency_page(request: Request) -> HTMLResponse:
    services = services_of(request)
    loaded = services.policy.current()
    if not loaded.policy.governance.transparency.enabled:
        raise NotFound("Cette page n'est pas publiée par la collectivité.")
    content = await to_thread.run_sync(services.transparency.get, loaded.sha256, lambda: _compute(services))
    return HTMLResponse(render("transparence.html", t=content), headers=SECURITY_HEADERS)


def _compute(services: Services) -> Transparency:
    """Twelve months of the register, read on a connection of its own (read-only)."""
    register = Register.open(services.settings.register_target, readonly=True)
    try:
        rows = register.rows(RowFilter(since=since_last_year()))
        return build(services.policy.current().policy, services.settings, rows)
    finally:
        register.close()
