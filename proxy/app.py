"""The ASGI application: services built once in the lifespan, one error handler in OpenAI format."""

from __future__ import annotations

import logging
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import anyio
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from proxy.analysis.engine import Detector
from proxy.errors import GardefouError, InvalidRequest, MethodNotAllowed, NotFound
from proxy.governance import routes as governance
from proxy.health import Health
from proxy.logs import RequestLog
from proxy.metrics import mark_process_dead
from proxy.register.retention import purge_daily
from proxy.services import Services
from proxy.settings import Settings, load_settings
from proxy.web import admin, api, pages, supervision
from proxy.web.middleware import RequestGuard, request_id_of

log = logging.getLogger("gardefou")


def create_app(settings: Settings, *, detector: Detector | None = None) -> FastAPI:
    """The proxy app; `detector` lets several apps in one process share one loaded model."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.services = Services.build(settings, detector)
        app.state.health = Health(app.state.services)
        try:
            async with anyio.create_task_group() as tasks:  # retention: purge at start, then daily
                months = settings.register_retention_months
                tasks.start_soon(purge_daily, app.state.services.register, months)
                tasks.start_soon(app.state.health.watch)  # upstream probes, register checks, gauges
                yield
                tasks.cancel_scope.cancel()
        finally:
            await app.state.services.aclose()
            mark_process_dead(os.getpid())  # `serve --workers N`: its live gauges go with it

    app = FastAPI(title="Garde-fou", lifespan=lifespan, docs_url=None, redoc_url=None, openapi_url=None)
    app.include_router(api.router)
    app.include_router(admin.router)
    app.include_router(pages.router)
    app.include_router(supervision.router)
    app.include_router(governance.router)  # /charte, /transparence, /admin/report
    app.add_middleware(RequestGuard, max_body_bytes=settings.limits.max_body_bytes)
    app.add_middleware(RequestLog, enabled=settings.logs.requests)  # outermost: sees every answer
    _install_error_handlers(app)
    return app


def app_from_environment() -> FastAPI:
    """App factory for worker processes (`gardefou serve --workers N`): settings from $GARDEFOU_CONFIG."""
    return create_app(load_settings())


def _install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(GardefouError, _render)  # type: ignore[arg-type]
    app.add_exception_handler(RequestValidationError, _validation)  # type: ignore[arg-type]
    app.add_exception_handler(HTTPException, _http)  # type: ignore[arg-type]
    app.add_exception_handler(Exception, _unexpected)


async def _render(request: Request, error: GardefouError) -> JSONResponse:
    """The OpenAI error body, with the request's id (also in X-Request-Id, even for the errors
    rendered outside the guard: the unexpected ones)."""
    request_id = request_id_of(request.scope)
    headers = {**error.headers, **({"X-Request-Id": request_id} if request_id else {})}
    return JSONResponse(error.to_openai(request_id), status_code=error.status, headers=headers)


async def _validation(request: Request, _error: RequestValidationError) -> JSONResponse:
    return await _render(request, InvalidRequest("Requête invalide."))


async def _http(request: Request, error: HTTPException) -> JSONResponse:
    if error.status_code == 404 and request.url.path.startswith("/v1/"):
        return await _render(request, api.not_offered(request.url.path))  # names the route family
    if error.status_code == 404:
        return await _render(request, NotFound("Cette adresse n'existe pas sur Garde-fou."))
    if error.status_code == 405:
        return await _render(request, MethodNotAllowed("Méthode HTTP non acceptée ici."))
    return await _render(request, InvalidRequest("Requête refusée."))


async def _unexpected(request: Request, error: Exception) -> JSONResponse:
    # The type only: an exception's text may quote the request.
    log.error("unexpected error: %s", type(error).__name__)
    # What happened to the request is in its register row (same id), when it got that far.
    failure = GardefouError("Erreur interne de Garde-fou ; voir le registre (même identifiant de requête).")
    return await _render(request, failure)
