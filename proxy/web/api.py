"""Thin OpenAI-compatible routes: parse the body, identify the caller, hand over to the pipeline."""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse, StreamingResponse
from starlette.responses import Response

from proxy import pipeline
from proxy.auth import Caller, identify
from proxy.errors import InvalidRequest
from proxy.exchange import Exchange
from proxy.policy import engine
from proxy.services import Services

router = APIRouter(prefix="/v1")


def services_of(request: Request) -> Services:
    services: Services = request.app.state.services
    return services


ServicesDep = Annotated[Services, Depends(services_of)]


def agent(request: Request, services: ServicesDep) -> Caller:
    return identify(request.headers.get("authorization"), services.keys, services.settings.auth)


AgentDep = Annotated[Caller, Depends(agent)]


async def json_body(request: Request) -> Any:
    raw = await request.body()
    try:
        return json.loads(raw)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise InvalidRequest("Le corps de la requête n'est pas un JSON valide.") from exc


def new_exchange(services: Services, caller: Caller, endpoint: str) -> Exchange:
    return Exchange(caller=caller, endpoint=endpoint, policy_sha256=services.policy.sha256)


@router.post("/chat/completions")
async def chat_completions(request: Request, services: ServicesDep, caller: AgentDep) -> Response:
    exchange = new_exchange(services, caller, "chat.completions")
    headers = {"X-Request-Id": exchange.request_id}
    try:
        body = await json_body(request)
    except InvalidRequest as error:
        exchange.failed(error)
        await services.record(exchange)
        raise
    result = await pipeline.chat_completion(services, exchange, body)
    if isinstance(result, dict):
        return JSONResponse(result, headers=headers)
    return StreamingResponse(result, media_type="text/event-stream", headers=headers)


@router.post("/embeddings")
async def embeddings(request: Request, services: ServicesDep, caller: AgentDep) -> Response:
    exchange = new_exchange(services, caller, "embeddings")
    result = await pipeline.embeddings(services, exchange, await json_body(request))
    return JSONResponse(result, headers={"X-Request-Id": exchange.request_id})


@router.get("/models")
async def models(services: ServicesDep, caller: AgentDep) -> dict[str, Any]:
    allowed = engine.allowed_models(services.policy.policy, caller.service)
    served = [m for m in allowed if services.settings.upstream_for(m) is not None]
    data = [{"id": model, "object": "model", "owned_by": "gardefou"} for model in served]
    return {"object": "list", "data": data}
