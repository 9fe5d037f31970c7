"""Every request field path of the served routes, read from the official `openai` package's TypedDicts.

Paths use the inventory's notation (`messages[].content[].text`, `metadata{}`); `types` gives, for
each path of an object with a `type` field, the literal values the SDK declares.
"""

from __future__ import annotations

import types
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, Union, get_args, get_origin, get_type_hints

import openai.types.chat.completion_create_params as chat_params
import openai.types.completion_create_params as completion_params
import openai.types.embedding_create_params as embedding_params
import openai.types.responses.response_create_params as response_params
import typing_extensions

ROUTE_PARAMS: Mapping[str, tuple[Any, ...]] = {
    "chat.completions": (
        chat_params.CompletionCreateParamsNonStreaming,
        chat_params.CompletionCreateParamsStreaming,
    ),
    "responses": (
        response_params.ResponseCreateParamsNonStreaming,
        response_params.ResponseCreateParamsStreaming,
    ),
    "completions": (
        completion_params.CompletionCreateParamsNonStreaming,
        completion_params.CompletionCreateParamsStreaming,
    ),
    "embeddings": (embedding_params.EmbeddingCreateParams,),
}
_WRAPPERS = {"Required", "NotRequired", "ReadOnly", "Annotated"}
_SEQUENCES = {"list", "List", "Iterable", "Sequence", "tuple", "set"}
_MAPPINGS = {"dict", "Dict", "Mapping"}


@dataclass
class Fields:
    paths: set[str] = field(default_factory=set)
    types: dict[str, set[str]] = field(default_factory=dict)  # path of an object -> its `type` literals


def route_fields(route: str) -> Fields:
    fields = Fields()
    for params in ROUTE_PARAMS[route]:
        _walk(params, "", fields, frozenset())
    return fields


def _name(origin: Any) -> str:
    return str(getattr(origin, "__name__", origin)).rsplit(".", 1)[-1]


def _walk(hint: Any, path: str, fields: Fields, seen: frozenset[Any]) -> None:
    origin = get_origin(hint)
    if origin is not None and _name(origin) in _WRAPPERS:
        _walk(get_args(hint)[0], path, fields, seen)
    elif isinstance(hint, type) and typing_extensions.is_typeddict(hint):
        _typed_dict(hint, path, fields, seen)
    elif origin in (Union, types.UnionType):
        for member in get_args(hint):
            _walk(member, path, fields, seen)
    elif origin is not None and _name(origin) in _SEQUENCES:
        _walk(get_args(hint)[0], f"{path}[]", fields, seen)
    elif origin is not None and _name(origin) in _MAPPINGS:
        args = get_args(hint)
        _walk(args[1] if len(args) > 1 else Any, f"{path}{{}}", fields, seen)
    elif path:
        fields.paths.add(path)


def _typed_dict(hint: type, path: str, fields: Fields, seen: frozenset[Any]) -> None:
    if hint in seen:
        return
    hints = get_type_hints(hint, include_extras=True)
    for key, value in hints.items():
        child = f"{path}.{key}" if path else key
        if key == "type":
            fields.types.setdefault(path, set()).update(_literals(value))
        _walk(value, child, fields, seen | {hint})


def _literals(hint: Any) -> Iterable[str]:
    origin = get_origin(hint)
    if origin is Literal or origin is typing_extensions.Literal:
        return [str(arg) for arg in get_args(hint)]
    if origin is not None and (_name(origin) in _WRAPPERS or origin in (Union, types.UnionType)):
        return [literal for arg in get_args(hint) for literal in _literals(arg)]
    return []
