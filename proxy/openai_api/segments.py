"""Every text a request carries, found by walking the client's body along the wire inventory.

`scan` reads the client's body (never modified) into a `Scanned` request: the texts to analyse, in
order, and a template of the body where each text stands as a `TextRef`. `fill` builds the outgoing body
from the template and the redacted texts. Structural fields are validated on the way (French 400);
refused fields and unknown parts are refused; attachment parts go through `convert`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from proxy.errors import InvalidRequest
from proxy.openai_api import structural
from proxy.openai_api.inventory import Kind, Node, Route, Rule, Treatment
from proxy.openai_api.schemas import refuse_routing

# An object key written as an identifier (`content`, `tool_calls`) carries no personal data; any
# other key of a free-form object (tool parameters, metadata, JSON schemas) is analysed as text.
_IDENTIFIER_KEY = re.compile(r"[a-z][a-z0-9_]{0,63}")
# Items written by the model or by tools: history to the policy's use matching, not instructions.
ANSWER_ROLES = frozenset({"assistant", "tool", "function"})
ANSWER_TYPES = frozenset(
    {"function_call", "function_call_output", "custom_tool_call", "custom_tool_call_output", "reasoning"}
)
_CONVERSATIONS = ("messages", "input")  # the lists a chat client resends whole on every turn


@dataclass(frozen=True, slots=True)
class TextRef:
    """Where text number `index` of the scan stands in the body's template."""

    index: int


@dataclass(frozen=True, slots=True)
class Replaced:
    by: str
    index: int


@dataclass(frozen=True, slots=True)
class Raw:
    """An attachment part that cannot be redacted: forwarded only if the policy allows its kind."""

    index: int
    kind: str
    path: str
    part: Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class Extracted:
    """What an attachment converter returns for a text-bearing file: a text part to send instead."""

    kind: str
    text: str


Convert = Callable[[Mapping[str, Any], str], "Extracted | Raw"]


@dataclass(frozen=True, slots=True)
class Text:
    value: str
    instruction: bool  # tells the model what to do (policy use rules look there)
    added: bool  # new in this request, not resent history (register counts)


@dataclass(frozen=True, slots=True)
class Scanned:
    route: Route
    template: Any
    texts: tuple[Text, ...]
    raw: tuple[Raw, ...]
    attachments: tuple[str, ...]  # "<kind>:<treatment>" of every attachment part met

    @property
    def values(self) -> list[str]:
        return [text.value for text in self.texts]


def refuse_attachments(part: Mapping[str, Any], path: str) -> Extracted | Raw:
    """Fail closed while no converter is installed: attachment parts are refused."""
    raise InvalidRequest(
        f"La pièce jointe « {path} » (type « {part.get('type')} ») n'est pas acceptée : Garde-fou ne "
        "transmet pas de fichier, d'image ni de son qu'il ne peut pas analyser."
    )


def scan(route: Route, body: Any, convert: Convert = refuse_attachments) -> Scanned:
    if not isinstance(body, dict):
        raise InvalidRequest("Le corps de la requête doit être un objet JSON.")
    refuse_routing(body)
    walker = _Walker(route, convert)
    template = walker.fields(body, route.root)
    return Scanned(route, template, tuple(walker.texts), tuple(walker.raw), tuple(walker.attachments))


@dataclass
class _Context:
    path: str = ""
    instruction: bool = True
    added: bool = True

    def at(self, segment: str | int, **changes: bool) -> _Context:
        step = f"[{segment}]" if isinstance(segment, int) else (f".{segment}" if self.path else segment)
        return _Context(self.path + step, **{"instruction": self.instruction, "added": self.added, **changes})


@dataclass
class _Walker:
    route: Route
    convert: Convert
    texts: list[Text] = field(default_factory=list)
    raw: list[Raw] = field(default_factory=list)
    attachments: list[str] = field(default_factory=list)

    def fields(self, body: dict[str, Any], root: Node) -> dict[Any, Any]:
        context = _Context()
        return {
            key: self.value(value, _child(root, key), root.rule, context.at(key))
            for key, value in body.items()
        }

    def value(self, value: Any, node: Node | None, inherited: Rule | None, context: _Context) -> Any:
        rule = node.rule if node is not None and node.rule is not None else inherited
        treatment = rule.treatment if rule is not None else Treatment.TEXT
        if value is None:
            return None
        if treatment is Treatment.REFUSED:
            raise InvalidRequest(f"Le champ « {context.path} » n'est pas accepté par Garde-fou.")
        if treatment is Treatment.REPLACED:
            return self.replaced(value, rule, context)
        if treatment is Treatment.STRUCTURAL and rule is not None:
            structural.check(rule, value, context.path)
            if rule.type != structural.OBJECT:
                return value
            rule = None  # the sub-fields an object's rule does not list are text
        return self.text(value, node, rule, context)

    def replaced(self, value: Any, rule: Rule | None, context: _Context) -> Replaced:
        if not isinstance(value, str):
            raise InvalidRequest(f"Requête invalide : champ « {context.path} » (chaîne attendue).")
        return Replaced(rule.by if rule and rule.by else "caller_id", self.slot(value, context).index)

    def text(self, value: Any, node: Node | None, rule: Rule | None, context: _Context) -> Any:
        if isinstance(value, str):
            return self.slot(value, context)
        if rule is not None and rule.strings_only and not _strings(value):
            raise InvalidRequest(
                f"Requête invalide : champ « {context.path} » (texte attendu ; "
                "les jetons ne sont pas acceptés)."
            )
        if isinstance(value, dict):
            return self.object(value, node, rule, context)
        if isinstance(value, list):
            return self.items(value, node, rule, context)
        structural.check_scalar(value, context.path)
        return value

    def object(self, value: dict[str, Any], node: Node | None, rule: Rule | None, context: _Context) -> Any:
        kind = value.get("type")
        if isinstance(kind, str) and kind in self.route.attachment_types:
            return self.attachment(value, context)
        out: dict[Any, Any] = {}
        for key, item in value.items():
            if key == "type" and isinstance(item, str) and item in self.route.known_types:
                out[key] = item  # a part or item type the inventory lists: no free text
                continue
            child = _child(node, key)
            name = key if child is not None or _IDENTIFIER_KEY.fullmatch(key) else self.slot(key, context)
            out[name] = self.value(item, child, rule, context.at(key, **_roles(value)))
        return out

    def items(self, value: list[Any], node: Node | None, rule: Rule | None, context: _Context) -> list[Any]:
        item = node.item if node is not None else None
        kinds = item.kinds if item is not None else None
        history = _history_end(value) if context.path in _CONVERSATIONS else -1
        out = []
        for index, element in enumerate(value):
            step = context.at(index, added=context.added and index > history)
            kind = kinds.of(element) if kinds is not None else Kind.TEXT
            if kind is Kind.REFUSED:
                raise InvalidRequest(_refused_part(element, step.path))
            if kind is Kind.ATTACHMENT:
                out.append(self.attachment(element, step))
            else:
                out.append(self.value(element, item, rule, step))
        return out

    def attachment(self, part: dict[str, Any], context: _Context) -> Any:
        converted = self.convert(part, context.path)
        if isinstance(converted, Raw):
            raw = Raw(len(self.raw), converted.kind, context.path, part)
            self.raw.append(raw)
            return raw
        self.attachments.append(f"{converted.kind}:extracted")
        part_type = "input_text" if self.route.name == "responses" else "text"
        return {"type": part_type, "text": self.slot(converted.text, context)}

    def slot(self, value: str, context: _Context) -> TextRef:
        structural.check_string(value, context.path)
        self.texts.append(Text(value, context.instruction, context.added))
        return TextRef(len(self.texts) - 1)


def _child(node: Node | None, key: str) -> Node | None:
    if node is None:
        return None
    return node.keys.get(key) or node.value


def _strings(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(item, str) for item in value)


def _roles(parent: dict[str, Any]) -> dict[str, bool]:
    """Inside a message or item written by the model or a tool, texts are not instructions."""
    if parent.get("role") in ANSWER_ROLES or parent.get("type") in ANSWER_TYPES:
        return {"instruction": False}
    return {}


def _history_end(items: list[Any]) -> int:
    """Index of the last message the model wrote: what comes before it was sent on earlier turns."""
    for index in range(len(items) - 1, -1, -1):
        element = items[index]
        if isinstance(element, dict) and (
            element.get("role") == "assistant"
            or element.get("type") in ANSWER_TYPES - {"function_call_output"}
        ):
            return index
    return -1


def _refused_part(element: Any, path: str) -> str:
    kind = element.get("type") if isinstance(element, dict) else None
    if kind is None:
        return f"L'élément « {path} » n'a pas de type : Garde-fou ne transmet que ce qu'il sait analyser."
    shown = kind if isinstance(kind, str) and _IDENTIFIER_KEY.fullmatch(kind) else "?"
    return (
        f"L'élément « {path} » de type « {shown} » n'est pas accepté : Garde-fou ne transmet que les "
        "types qu'il sait analyser."
    )


def fill(
    template: Any, texts: Sequence[str], replace: Callable[[Replaced], str], raw: Callable[[Raw], Any]
) -> Any:
    """The outgoing body: the template with each slot's redacted text, each replaced field's value and
    each allowed raw attachment."""
    if isinstance(template, TextRef):
        return texts[template.index]
    if isinstance(template, dict):
        return {
            (texts[key.index] if isinstance(key, TextRef) else key): fill(value, texts, replace, raw)
            for key, value in template.items()
        }
    if isinstance(template, list):
        return [fill(item, texts, replace, raw) for item in template]
    if isinstance(template, Replaced):
        return replace(template)
    if isinstance(template, Raw):
        return raw(template)
    return template
