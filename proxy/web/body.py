"""Reading JSON bodies within the limits: size (counted by the middleware), syntax, nesting depth,
number of messages (max tokens are lowered on the outgoing request, in the pipeline).

Routes read their bodies here rather than through FastAPI body parameters: FastAPI turns any error
while reading into a 400, which would hide the 413 of an oversized (chunked) body.
"""

from __future__ import annotations

import json
from typing import Any, TypeVar

from fastapi import Request
from pydantic import BaseModel

from proxy.auth import Caller
from proxy.errors import InvalidRequest
from proxy.limits import check_shape
from proxy.openai_api.schemas import validate_as
from proxy.services import Services

ModelT = TypeVar("ModelT", bound=BaseModel)


async def agent_body(request: Request, services: Services, caller: Caller) -> Any:
    body = await json_body(request)
    check_shape(body, services.settings.limits)
    return body  # max tokens are lowered on the outgoing request (proxy/pipeline.py, _outgoing)


async def json_body(request: Request) -> Any:
    raw = await request.body()
    try:
        return json.loads(raw, parse_constant=_no_constant)
    except RecursionError as exc:
        raise InvalidRequest("Le JSON de la requête est trop imbriqué.") from exc
    except ValueError as exc:  # includes JSONDecodeError, UnicodeDecodeError, huge integers
        raise InvalidRequest("Le corps de la requête n'est pas un JSON valide.") from exc


def _no_constant(name: str) -> Any:
    """NaN and Infinity are not JSON: refused rather than forwarded."""
    raise InvalidRequest(f"Le corps de la requête contient « {name} », qui n'est pas un nombre JSON valide.")


async def model_body(request: Request, model: type[ModelT]) -> ModelT:
    """A JSON body validated by `model`; errors name the field, in French."""
    return validate_as(model, await json_body(request))
