"""Just enough validation of OpenAI requests; every field the proxy does not touch passes through."""

from __future__ import annotations

from typing import Annotated, Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from proxy.errors import InvalidRequest

RequestT = TypeVar("RequestT", bound=BaseModel)

# Fields that would let a client choose where the proxy sends the request (SSRF): refused.
ROUTING_FIELDS = frozenset({"base_url", "api_base", "api_url", "endpoint", "url", "upstream"})


class Message(BaseModel):
    model_config = ConfigDict(extra="allow")
    role: Literal["system", "developer", "user", "assistant", "tool", "function"]
    content: str | list[dict[str, Any]] | None = None
    tool_calls: list[dict[str, Any]] | None = None


class ChatRequest(BaseModel):
    model_config = ConfigDict(extra="allow")
    model: Annotated[str, Field(min_length=1, max_length=200)]
    messages: Annotated[list[Message], Field(min_length=1)]
    stream: bool = False


class EmbeddingsRequest(BaseModel):
    model_config = ConfigDict(extra="allow")
    model: Annotated[str, Field(min_length=1, max_length=200)]
    input: str | list[str]


def parse_chat(body: Any) -> ChatRequest:
    return _parse(ChatRequest, body)


def parse_embeddings(body: Any) -> EmbeddingsRequest:
    return _parse(EmbeddingsRequest, body)


def _parse(model: type[RequestT], body: Any) -> RequestT:
    if not isinstance(body, dict):
        raise InvalidRequest("Le corps de la requête doit être un objet JSON.")
    refuse_routing(body)
    return validate_as(model, body)


def refuse_routing(body: dict[str, Any]) -> None:
    """A field that would choose where the request goes is refused (400), whatever the route."""
    routing = sorted(ROUTING_FIELDS & body.keys())
    if routing:
        raise InvalidRequest(
            f"Le champ « {routing[0]} » n'est pas accepté : la destination est fixée par la "
            "configuration de Garde-fou."
        )


def validate_as(model: type[RequestT], body: Any) -> RequestT:
    """`body` validated by `model`; the error names the first bad field, in French."""
    try:
        return model.model_validate(body)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "corps"
        raise InvalidRequest(f"Requête invalide : champ « {where} » ({first['msg']}).") from exc
