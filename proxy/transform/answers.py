"""Restore every text the model writes in a chat answer: content, refusal, reasoning, tool-call
arguments (JSON strings), whole (JSON) or streamed (chunks, one carry per choice and field)."""

from __future__ import annotations

from typing import Any, Protocol

from proxy.transform.restore import StreamRestorer, restore, restore_json_string
from proxy.transform.vault import Vault

TEXT_FIELDS = ("content", "refusal", "reasoning_content", "reasoning")
_CALL = "tool_call:"
_FUNCTION_CALL = "function_call"


def restore_completion(body: dict[str, Any], vault: Vault) -> None:
    """Restore, in place, every text the model wrote in a non-streamed chat completion."""
    for choice in body.get("choices") or []:
        message = choice.get("message") if isinstance(choice, dict) else None
        if isinstance(message, dict):
            _restore_message(message, vault)


def _restore_message(message: dict[str, Any], vault: Vault) -> None:
    for key in TEXT_FIELDS:
        if isinstance(message.get(key), str):
            message[key] = restore(message[key], vault)
    for function in _functions(message):
        function["arguments"] = restore_json_string(function["arguments"], vault)
        if isinstance(function.get("name"), str):  # a tool name the request carried, redacted
            function["name"] = restore(function["name"], vault)


def _functions(message: dict[str, Any]) -> list[dict[str, Any]]:
    """The `function` objects whose `arguments` the model wrote (tool calls and legacy function_call)."""
    calls = [call.get("function") for call in message.get("tool_calls") or [] if isinstance(call, dict)]
    calls.append(message.get(_FUNCTION_CALL))
    return [f for f in calls if isinstance(f, dict) and isinstance(f.get("arguments"), str)]


class EventRestorer(Protocol):
    """Restores the events of one streamed answer (the relay calls it for each upstream event)."""

    def events(self, event: dict[str, Any]) -> list[dict[str, Any]]: ...

    def leftover(self) -> dict[str, Any] | None: ...


class ChunkRestorer:
    """Restores streamed chat chunks in place, one chunk out for each chunk in; what a carry still
    holds is flushed into the chunk that carries the choice's finish_reason (or by `leftover`)."""

    def __init__(self, vault: Vault) -> None:
        self._vault = vault
        self._streams: dict[tuple[int, str], StreamRestorer] = {}
        self._envelope: dict[str, Any] = {}

    def restore(self, chunk: dict[str, Any]) -> dict[str, Any]:
        self._envelope = {k: chunk[k] for k in ("id", "object", "created", "model") if k in chunk}
        for choice in chunk.get("choices") or []:
            if isinstance(choice, dict) and isinstance(choice.get("delta"), dict):
                self._restore_choice(choice.get("index", 0), choice["delta"])
                if choice.get("finish_reason"):
                    self._flush_into(choice.get("index", 0), choice["delta"])
        return chunk

    def events(self, chunk: dict[str, Any]) -> list[dict[str, Any]]:
        return [self.restore(chunk)]

    def leftover(self) -> dict[str, Any] | None:
        """A last chunk for what carries still hold when the stream ends without a finish_reason."""
        choices = []
        for index in sorted({index for index, _ in self._streams}):
            delta: dict[str, Any] = {}
            self._flush_into(index, delta)
            if delta:
                choices.append({"index": index, "delta": delta, "finish_reason": None})
        return {**self._envelope, "choices": choices} if choices else None

    def _restore_choice(self, index: int, delta: dict[str, Any]) -> None:
        for key in TEXT_FIELDS:
            if isinstance(delta.get(key), str):
                delta[key] = self._stream(index, key).feed(delta[key])
        for call in delta.get("tool_calls") or []:
            function = call.get("function") if isinstance(call, dict) else None
            if isinstance(function, dict) and isinstance(function.get("name"), str):
                function["name"] = restore(function["name"], self._vault)  # sent whole, in one delta
            if isinstance(function, dict) and isinstance(function.get("arguments"), str):
                stream = self._stream(index, f"{_CALL}{call.get('index', 0)}")
                function["arguments"] = stream.feed(function["arguments"])
        legacy = delta.get(_FUNCTION_CALL)
        if isinstance(legacy, dict) and isinstance(legacy.get("arguments"), str):
            legacy["arguments"] = self._stream(index, _FUNCTION_CALL).feed(legacy["arguments"])

    def _flush_into(self, index: int, delta: dict[str, Any]) -> None:
        for (choice, key), stream in self._streams.items():
            rest = stream.flush() if choice == index else ""
            if rest:
                _append(delta, key, rest)

    def _stream(self, index: int, key: str) -> StreamRestorer:
        if (index, key) not in self._streams:
            arguments = key.startswith(_CALL) or key == _FUNCTION_CALL
            restore_text = restore_json_string if arguments else restore
            self._streams[(index, key)] = StreamRestorer(self._vault, restore_text)
        return self._streams[(index, key)]


def _append(delta: dict[str, Any], key: str, rest: str) -> None:
    if key.startswith(_CALL):
        tail = {"index": int(key.removeprefix(_CALL)), "function": {"arguments": rest}}
        delta["tool_calls"] = [*(delta.get("tool_calls") or []), tail]
    elif key == _FUNCTION_CALL:
        legacy = delta.setdefault(_FUNCTION_CALL, {})
        legacy["arguments"] = legacy.get("arguments", "") + rest
    else:
        delta[key] = (delta.get(key) or "") + rest
