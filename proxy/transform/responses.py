"""Restore the answers of the Responses API and of legacy completions: whole (JSON) or streamed.

Responses: a whole object (the answer, or an event carrying an item, a part or the response) is
restored at every depth (`arguments` as a JSON document, any other string as text). Streamed
`*.delta` events go through one carry per (event kind, item, part); what a carry holds back is sent
as one more delta just before the matching `*.done` event, which carries the whole text restored.
Legacy completions: `choices[].text`, one carry per choice, flushed into the chunk with the
finish_reason (or a last chunk).
"""

from __future__ import annotations

from typing import Any

from proxy.transform.restore import StreamRestorer, restore, restore_json_string
from proxy.transform.vault import Vault

_JSON_KEYS = frozenset({"arguments"})
_JSON_DELTAS = frozenset({"response.function_call_arguments", "response.mcp_call_arguments"})


def restore_object(value: Any, vault: Vault, key: str = "") -> Any:
    """Every string of `value`, at any depth, restored (in place for containers; returned)."""
    if isinstance(value, str):
        return restore_json_string(value, vault) if key in _JSON_KEYS else restore(value, vault)
    if isinstance(value, dict):
        for name, item in value.items():
            value[name] = restore_object(item, vault, name)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            value[index] = restore_object(item, vault, key)
    return value


class ResponseEventRestorer:
    """Restores streamed Responses API events; one or two events out for each event in."""

    def __init__(self, vault: Vault) -> None:
        self._vault = vault
        self._streams: dict[tuple[str, Any, Any], StreamRestorer] = {}

    def events(self, event: dict[str, Any]) -> list[dict[str, Any]]:
        kind = event.get("type")
        if not isinstance(kind, str):
            return [restore_object(event, self._vault)]
        if kind.endswith(".delta") and isinstance(event.get("delta"), str):
            event["delta"] = self._stream(kind.removesuffix(".delta"), event).feed(event["delta"])
            return [event]
        held = self._flush(kind.removesuffix(".done"), event) if kind.endswith(".done") else []
        return [*held, restore_object(event, self._vault)]

    def leftover(self) -> dict[str, Any] | None:
        return None  # every carried delta is flushed by its `.done` event; the rest is restored whole

    def _stream(self, base: str, event: dict[str, Any]) -> StreamRestorer:
        key = (base, event.get("item_id", event.get("output_index")), event.get("content_index"))
        if key not in self._streams:
            restore_text = restore_json_string if base in _JSON_DELTAS else restore
            self._streams[key] = StreamRestorer(self._vault, restore_text)
        return self._streams[key]

    def _flush(self, base: str, event: dict[str, Any]) -> list[dict[str, Any]]:
        key = (base, event.get("item_id", event.get("output_index")), event.get("content_index"))
        stream = self._streams.pop(key, None)
        rest = stream.flush() if stream is not None else ""
        if not rest:
            return []
        ids: dict[str, Any] = {
            k: event[k] for k in ("item_id", "output_index", "content_index") if k in event
        }
        return [{"type": f"{base}.delta", **ids, "delta": rest}]


def restore_completion_text(body: dict[str, Any], vault: Vault) -> None:
    """Legacy completions: restore every choice's text, in place."""
    for choice in body.get("choices") or []:
        if isinstance(choice, dict) and isinstance(choice.get("text"), str):
            choice["text"] = restore(choice["text"], vault)


class CompletionChunkRestorer:
    """Restores streamed legacy completion chunks (`choices[].text`)."""

    def __init__(self, vault: Vault) -> None:
        self._vault = vault
        self._streams: dict[int, StreamRestorer] = {}
        self._envelope: dict[str, Any] = {}

    def events(self, chunk: dict[str, Any]) -> list[dict[str, Any]]:
        self._envelope = {k: chunk[k] for k in ("id", "object", "created", "model") if k in chunk}
        for choice in chunk.get("choices") or []:
            if not isinstance(choice, dict):
                continue
            stream = self._streams.setdefault(choice.get("index", 0), StreamRestorer(self._vault))
            text = stream.feed(choice["text"]) if isinstance(choice.get("text"), str) else ""
            if choice.get("finish_reason"):
                text += stream.flush()
            if "text" in choice or text:
                choice["text"] = text
        return [chunk]

    def leftover(self) -> dict[str, Any] | None:
        rests = {index: stream.flush() for index, stream in sorted(self._streams.items())}
        choices = [{"index": i, "text": rest, "finish_reason": None} for i, rest in rests.items() if rest]
        return {**self._envelope, "choices": choices} if choices else None
