"""Thin OpenAI-compatible routes: admit the agent, read the body, hand over to the pipeline."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, StreamingResponse
from starlette.responses import Response

from proxy import pipeline
from proxy.auth import Caller
from proxy.errors import GardefouError
from proxy.exchange import Exchange, new_request_id
from proxy.policy import engine
from proxy.services import Services
from proxy.tasks import declared
from proxy.web.body import agent_body
from proxy.web.guards import AgentDep, ListerDep, ServicesDep
from proxy.web.middleware import request_id_of

router = APIRouter(prefix="/v1")


def new_exchange(
    services: Services, caller: Caller, endpoint: str, request: Request | None = None
) -> Exchange:
    """The request's exchange, under the id the guard gave the request (X-Request-Id)."""
    request_id = (request_id_of(request.scope) if request is not None else None) or new_request_id()
    policy = services.policy.current().sha256
    exchange = Exchange(caller=caller, endpoint=endpoint, policy_sha256=policy, request_id=request_id)
    if request is not None:  # a background task a declared front-end names (X-Gardefou-Task)
        exchange.task = declared(request.headers, trusted=caller.via == "frontend")
    return exchange


async def recorded_body(request: Request, services: Services, caller: Caller, exchange: Exchange) -> Any:
    """The agent's JSON body; a body refused before the pipeline is recorded all the same."""
    try:
        return await agent_body(request, services, caller)
    except GardefouError as error:
        exchange.failed(error)
        await services.record(exchange)
        raise


@router.post("/chat/completions")
async def chat_completions(request: Request, services: ServicesDep, caller: AgentDep) -> Response:
    exchange = new_exchange(services, caller, "chat.completions", request)
    headers = {"X-Request-Id": exchange.request_id}
    body = await recorded_body(request, services, caller, exchange)
    result = await pipeline.chat_completion(services, exchange, body)
    headers.update(exchange.headers)
    if isinstance(result, dict):
        return JSONResponse(result, headers=headers)
    return StreamingResponse(result, media_type="text/event-stream", headers=headers)


@router.post("/embeddings")
async def embeddings(request: Request, services: ServicesDep, caller: AgentDep) -> Response:
    exchange = new_exchange(services, caller, "embeddings", request)
    body = await recorded_body(request, services, caller, exchange)
    result = await pipeline.embeddings(services, exchange, body)
    return JSONResponse(result, headers={"X-Request-Id": exchange.request_id, **exchange.headers})


@router.get("/models")
async def models(services: ServicesDep, caller: ListerDep) -> dict[str, Any]:
    policy = services.policy.current().policy
    allowed = engine.allowed_models(policy, caller.service, caller.user, caller.roles)
    served = [m for m in allowed if services.settings.upstream_for(m) is not None]
    data = [{"id": model, "object": "model", "owned_by": "gardefou"} for model in served]
    return {"object": "list", "data": data}
