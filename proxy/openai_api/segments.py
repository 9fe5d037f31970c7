"""Every text an OpenAI request carries, as slots that can be read and rewritten in place.

A guardrail that skips one place (content parts, tool-call arguments, tool results) is a bypass:
this module is the single list of those places.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class TextSlot:
    container: dict[str, Any]
    key: str

    @property
    def text(self) -> str:
        value = self.container[self.key]
        assert isinstance(value, str)
        return value

    def replace(self, text: str) -> None:
        self.container[self.key] = text


def chat_slots(body: dict[str, Any]) -> list[TextSlot]:
    """Slots of a chat request (`body` is the client's JSON, to be rewritten before forwarding)."""
    slots: list[TextSlot] = []
    for message in body.get("messages", []):
        slots.extend(_message_slots(message))
    return slots


def _message_slots(message: dict[str, Any]) -> list[TextSlot]:
    slots = _content_slots(message)
    for call in message.get("tool_calls") or []:
        function = call.get("function") if isinstance(call, dict) else None
        if isinstance(function, dict) and isinstance(function.get("arguments"), str):
            slots.append(TextSlot(function, "arguments"))
    return slots


def _content_slots(message: dict[str, Any]) -> list[TextSlot]:
    content = message.get("content")
    if isinstance(content, str):
        return [TextSlot(message, "content")]
    if isinstance(content, list):
        return [
            TextSlot(part, "text")
            for part in content
            if isinstance(part, dict) and part.get("type") == "text" and isinstance(part.get("text"), str)
        ]
    return []


def embeddings_slots(body: dict[str, Any]) -> list[TextSlot]:
    """Slots of an embeddings request; `input` is normalised to a list of strings first."""
    if isinstance(body.get("input"), str):
        body["input"] = [body["input"]]
    holder = body["input"]
    return [TextSlot(_ListItem(holder, index), "value") for index in range(len(holder))]


class _ListItem(dict[str, Any]):
    """Adapts one item of a list of strings to the (container, key) shape of a slot."""

    def __init__(self, items: list[str], index: int) -> None:
        super().__init__(value=items[index])
        self._items, self._index = items, index

    def __setitem__(self, key: str, value: Any) -> None:
        super().__setitem__(key, value)
        self._items[self._index] = value
