"""Put the original values back where the model wrote placeholders: whole texts and streamed chunks."""

from __future__ import annotations

import json
import re
from typing import Any

from proxy.transform.vault import Vault

PLACEHOLDER = re.compile(r"\[([A-Z][A-Z_]*_\d{1,4})\]")
# The longest text that could still become a placeholder: "[" + label + "_" + digits + "]".
MAX_PLACEHOLDER_LEN = 40
_PARTIAL = re.compile(r"\[[A-Z_0-9]*\Z")


def restore(text: str, vault: Vault) -> str:
    """Replace every known placeholder; unknown ones (typed by the user, invented by the model) stay."""
    return PLACEHOLDER.sub(lambda match: vault.value_of(match.group(0)) or match.group(0), text)


class StreamRestorer:
    """Restores a text that arrives in pieces, holding back only a possible placeholder prefix."""

    def __init__(self, vault: Vault, *, json_string: bool = False) -> None:
        self._vault = vault
        self._carry = ""
        self._restore = restore_json_string if json_string else restore

    def feed(self, chunk: str) -> str:
        text = self._carry + chunk
        partial = _PARTIAL.search(text[-MAX_PLACEHOLDER_LEN:])
        cut = len(text) - len(partial.group(0)) if partial else len(text)
        self._carry = text[cut:]
        return self._restore(text[:cut], self._vault)

    def flush(self) -> str:
        text, self._carry = self._carry, ""
        return self._restore(text, self._vault)


def _json_escaped(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)[1:-1]


def restore_json_string(text: str, vault: Vault) -> str:
    """Restore inside a JSON document (tool-call arguments): values are escaped for JSON strings."""
    return PLACEHOLDER.sub(
        lambda match: _escape_or_keep(vault.value_of(match.group(0)), match.group(0)), text
    )


def _escape_or_keep(value: str | None, placeholder: str) -> str:
    return _json_escaped(value) if value is not None else placeholder


def restore_completion(body: dict[str, Any], vault: Vault) -> None:
    """Restore, in place, every text the model wrote in a non-streamed chat completion."""
    for choice in body.get("choices") or []:
        message = choice.get("message") if isinstance(choice, dict) else None
        if isinstance(message, dict):
            _restore_message(message, vault)


def _restore_message(message: dict[str, Any], vault: Vault) -> None:
    for key in ("content", "refusal"):
        if isinstance(message.get(key), str):
            message[key] = restore(message[key], vault)
    for call in message.get("tool_calls") or []:
        function = call.get("function") if isinstance(call, dict) else None
        if isinstance(function, dict) and isinstance(function.get("arguments"), str):
            function["arguments"] = restore_json_string(function["arguments"], vault)


class ChunkRestorer:
    """Restores streamed chat chunks: one carry buffer per choice and field, flushed at finish."""

    def __init__(self, vault: Vault) -> None:
        self._vault = vault
        self._streams: dict[tuple[int, str], StreamRestorer] = {}

    def restore(self, chunk: dict[str, Any]) -> dict[str, Any]:
        for choice in chunk.get("choices") or []:
            if isinstance(choice, dict):
                self._restore_choice(choice)
        return chunk

    def _restore_choice(self, choice: dict[str, Any]) -> None:
        index = choice.get("index", 0)
        delta = choice.get("delta")
        if not isinstance(delta, dict):
            return
        for key in ("content", "refusal"):
            if isinstance(delta.get(key), str):
                delta[key] = self._stream(index, key).feed(delta[key])
        for call in delta.get("tool_calls") or []:
            self._restore_call_delta(index, call)
        if choice.get("finish_reason"):
            self._flush_into(index, delta)

    def _restore_call_delta(self, index: int, call: Any) -> None:
        function = call.get("function") if isinstance(call, dict) else None
        if isinstance(function, dict) and isinstance(function.get("arguments"), str):
            stream = self._stream(index, f"tool_call:{call.get('index', 0)}", json_string=True)
            function["arguments"] = stream.feed(function["arguments"])

    def _flush_into(self, index: int, delta: dict[str, Any]) -> None:
        for (choice_index, key), stream in self._streams.items():
            rest = stream.flush() if choice_index == index else ""
            if not rest:
                continue
            if key.startswith("tool_call:"):
                call_index = int(key.partition(":")[2])
                tail = {"index": call_index, "function": {"arguments": rest}}
                delta["tool_calls"] = [*(delta.get("tool_calls") or []), tail]
            else:
                delta[key] = (delta.get(key) or "") + rest

    def _stream(self, index: int, key: str, *, json_string: bool = False) -> StreamRestorer:
        if (index, key) not in self._streams:
            self._streams[(index, key)] = StreamRestorer(self._vault, json_string=json_string)
        return self._streams[(index, key)]
