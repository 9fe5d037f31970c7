"""The wire inventory (inventory.yaml) compiled into a tree the request walk follows.

Each route is a tree of `Node`s: one per listed path segment (`key`, `[]` list items, `{}` map values).
A node carries the `Rule` written for its path, if any; a path with no rule inherits its parent's
treatment, and the root's is text: what nobody classified is analysed as text.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from functools import cache
from importlib import resources
from typing import Any

import yaml


class Treatment(StrEnum):
    TEXT = "text"
    STRUCTURAL = "structural"
    REPLACED = "replaced"
    REFUSED = "refused"


class Kind(StrEnum):
    """What an item of a dispatched list is, by its `type`."""

    TEXT = "text"
    ATTACHMENT = "attachment"
    REFUSED = "refused"


@dataclass(frozen=True, slots=True)
class Rule:
    treatment: Treatment
    type: str | None = None  # structural: model, bool, int, number, enum, enum_list, object, token_map
    values: tuple[Any, ...] = ()
    min: float | None = None
    max: float | None = None
    by: str | None = None  # replaced: caller_id | caller_hash
    strings_only: bool = False  # text: a string or a list of strings (no token ids)


@dataclass(frozen=True, slots=True)
class Kinds:
    types: Mapping[str, Kind]
    untyped: Kind = Kind.REFUSED

    def of(self, item: object) -> Kind:
        kind = item.get("type") if isinstance(item, dict) else None
        if kind is None:
            return self.untyped
        return self.types.get(kind, Kind.REFUSED) if isinstance(kind, str) else Kind.REFUSED


@dataclass(slots=True)
class Node:
    rule: Rule | None = None
    keys: dict[str, Node] = field(default_factory=dict)
    item: Node | None = None  # `[]`
    value: Node | None = None  # `{}`
    kinds: Kinds | None = None  # items of this list, dispatched by type

    def child(self, segment: str) -> Node:
        if segment == "[]":
            self.item = self.item or Node()
            return self.item
        if segment == "{}":
            self.value = self.value or Node()
            return self.value
        return self.keys.setdefault(segment, Node())


@dataclass(frozen=True, slots=True)
class Route:
    name: str  # the endpoint as recorded: chat.completions, responses, completions, embeddings
    path: str  # upstream path
    required: tuple[str, ...]
    root: Node
    rules: Mapping[str, Rule]  # path -> rule, as written
    kinds: Mapping[str, Kinds]  # list path -> dispatch
    attachment_types: frozenset[str]
    known_types: frozenset[str]  # every `type` value the inventory lists: kept as written


_SEGMENT = re.compile(r"\[\]|\{\}|[^.\[\]{}]+")


def segments(path: str) -> list[str]:
    """`messages[].content[]` -> ["messages", "[]", "content", "[]"]."""
    return _SEGMENT.findall(path)


@cache
def routes() -> Mapping[str, Route]:
    """Every served route of the inventory, compiled once."""
    raw = yaml.safe_load(resources.files(__package__).joinpath("inventory.yaml").read_text("utf-8"))
    attachments = frozenset(raw["attachment_types"])
    return {name: _route(name, spec, attachments) for name, spec in raw["routes"].items()}


def _route(name: str, spec: dict[str, Any], attachments: frozenset[str]) -> Route:
    root = Node(rule=Rule(Treatment.TEXT))
    rules = {path: _rule(path, raw) for path, raw in spec["fields"].items()}
    kinds = {path: _kinds(raw) for path, raw in (spec.get("kinds") or {}).items()}
    for path, rule in rules.items():
        _node(root, path).rule = rule
    for path, dispatch in kinds.items():
        _node(root, path).kinds = dispatch
    known = frozenset(value for dispatch in kinds.values() for value in dispatch.types)
    return Route(name, spec["path"], tuple(spec["required"]), root, rules, kinds, attachments, known)


def _node(root: Node, path: str) -> Node:
    node = root
    for segment in segments(path):
        node = node.child(segment)
    return node


def _rule(path: str, raw: dict[str, Any]) -> Rule:
    known = {"treatment", "type", "values", "min", "max", "by", "strings_only"}
    if not isinstance(raw, dict) or not raw.keys() <= known:
        raise ValueError(f"inventory: bad rule for {path}: {raw!r}")
    return Rule(
        treatment=Treatment(raw["treatment"]),
        type=raw.get("type"),
        values=tuple(raw.get("values", ())),
        min=raw.get("min"),
        max=raw.get("max"),
        by=raw.get("by"),
        strings_only=bool(raw.get("strings_only", False)),
    )


def _kinds(raw: dict[str, Any]) -> Kinds:
    types = {value: Kind(kind) for kind in ("text", "attachment", "refused") for value in raw.get(kind, ())}
    return Kinds(types, Kind(raw.get("untyped", "refused")))
