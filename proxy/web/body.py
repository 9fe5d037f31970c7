"""Reading an agent's JSON body within the limits: size (counted by the middleware), syntax,
nesting depth, number of messages; max_tokens lowered to the ceiling."""

from __future__ import annotations

import json
from typing import Any

from fastapi import Request

from proxy.auth import Caller
from proxy.errors import InvalidRequest
from proxy.limits import check_shape
from proxy.services import Services


async def agent_body(request: Request, services: Services, caller: Caller) -> Any:
    body = await json_body(request)
    check_shape(body, services.settings.limits)
    if isinstance(body, dict):
        services.limiter.clamp_tokens(body, caller.service)
    return body


async def json_body(request: Request) -> Any:
    raw = await request.body()
    try:
        return json.loads(raw)
    except RecursionError as exc:
        raise InvalidRequest("Le JSON de la requête est trop imbriqué.") from exc
    except ValueError as exc:  # includes JSONDecodeError, UnicodeDecodeError, huge integers
        raise InvalidRequest("Le corps de la requête n'est pas un JSON valide.") from exc
