"""Thin OpenAI-compatible routes: admit the agent, read the body, hand over to the pipeline.

Served: chat completions, responses, legacy completions, embeddings, models. Every other OpenAI route
answers 404 in OpenAI format, naming the route family as not offered (README: « Routes servies »).
"""

from __future__ import annotations

from functools import partial
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, StreamingResponse
from starlette.responses import Response

from proxy import pipeline
from proxy.auth import Caller
from proxy.errors import NotFound
from proxy.exchange import Exchange, new_request_id
from proxy.policy import engine
from proxy.services import Services
from proxy.tasks import declared
from proxy.web.body import agent_body
from proxy.web.guards import AgentDep, ListerDep, ServicesDep
from proxy.web.middleware import request_id_of

router = APIRouter(prefix="/v1")

# OpenAI route families Garde-fou does not offer (named in the 404; any other path is not named).
NOT_OFFERED = {
    "assistants": "les assistants",
    "audio": "l'audio (transcription, synthèse vocale)",
    "batches": "les lots (batches)",
    "chatkit": "ChatKit",
    "containers": "les conteneurs",
    "conversations": "les conversations conservées",
    "evals": "les évaluations",
    "files": "les fichiers",
    "fine_tuning": "l'affinage (fine-tuning)",
    "images": "les images",
    "moderations": "la modération",
    "realtime": "le temps réel (realtime)",
    "skills": "les compétences (skills)",
    "threads": "les fils (threads)",
    "uploads": "les téléversements",
    "vector_stores": "les bases vectorielles",
    "videos": "les vidéos",
}


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


async def _answer(request: Request, services: Services, caller: Caller, endpoint: str) -> Response:
    exchange = new_exchange(services, caller, endpoint, request)
    result = await pipeline.answer(services, exchange, partial(agent_body, request, services, caller))
    headers = {"X-Request-Id": exchange.request_id, **exchange.headers}
    if isinstance(result, dict):
        return JSONResponse(result, headers=headers)
    return StreamingResponse(result, media_type="text/event-stream", headers=headers)


@router.post("/chat/completions")
async def chat_completions(request: Request, services: ServicesDep, caller: AgentDep) -> Response:
    return await _answer(request, services, caller, "chat.completions")


@router.post("/responses")
async def responses(request: Request, services: ServicesDep, caller: AgentDep) -> Response:
    return await _answer(request, services, caller, "responses")


@router.post("/completions")
async def completions(request: Request, services: ServicesDep, caller: AgentDep) -> Response:
    return await _answer(request, services, caller, "completions")


@router.post("/embeddings")
async def embeddings(request: Request, services: ServicesDep, caller: AgentDep) -> Response:
    return await _answer(request, services, caller, "embeddings")


@router.get("/models")
async def models(services: ServicesDep, caller: ListerDep) -> dict[str, Any]:
    policy = services.policy.current().policy
    allowed = engine.allowed_models(policy, caller.service, caller.user, caller.roles)
    served = [m for m in allowed if services.settings.upstream_for(m) is not None]
    data = [{"id": model, "object": "model", "owned_by": "gardefou"} for model in served]
    return {"object": "list", "data": data}


def not_offered(path: str) -> NotFound:
    """The 404 of any other /v1 route (app.py renders it): the family is named if it is an OpenAI one,
    the path itself is never echoed (it may carry anything)."""
    family = NOT_OFFERED.get(path.removeprefix("/v1/").split("/", 1)[0])
    what = f"{family} (API OpenAI)" if family else "cette route"
    return NotFound(
        f"Garde-fou ne propose pas {what} : cette route n'existe pas ici. Routes servies : "
        "/v1/chat/completions, /v1/responses, /v1/completions, /v1/embeddings, /v1/models."
    )
