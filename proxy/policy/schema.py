"""Policy file schema (pydantic, unknown keys rejected)."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from proxy.entities import Entity


class Action(StrEnum):
    PSEUDONYMISE = "pseudonymise"  # reversible placeholder, restored in the answer
    MASK = "mask"  # irreversible placeholder, never restored
    BLOCK = "block"  # the request is refused
    ALLOW = "allow"  # sent as is

    @property
    def removes(self) -> bool:
        """Whether the data is kept from the model (and so counted in the register)."""
        return self is not Action.ALLOW


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ServicePolicy(Strict):
    description: str = ""
    models: Annotated[tuple[str, ...], Field(description="Modèles autorisés pour ce service")] = ()
    entities: dict[Entity, Action] = {}


class Defaults(Strict):
    action: Action = Action.PSEUDONYMISE
    entities: dict[Entity, Action] = {}


class Policy(Strict):
    version: int = 1
    name: str = ""
    defaults: Defaults = Defaults()
    services: dict[str, ServicePolicy] = {}
