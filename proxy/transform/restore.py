"""Put the original values back where the model wrote placeholders: whole texts and streamed texts.

Only placeholders of the request's own vault are restored; anything else in brackets (a placeholder
the user typed, one the model invented, a mask such as `[NIR]`) is left exactly as written.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable

from proxy.transform.placeholders import CANDIDATE, MAX_INNER, read
from proxy.transform.vault import Vault

# A possible placeholder still being written at the end of a text: "[" then no "]" nor new line.
_OPEN = re.compile(rf"\[[^\[\]\n]{{0,{MAX_INNER}}}\Z")
CARRY_BOUND = MAX_INNER + 1

Restore = Callable[[str, Vault], str]


def restore(text: str, vault: Vault) -> str:
    """Restore every placeholder of `vault` in a plain text."""
    return CANDIDATE.sub(lambda match: _value(match, vault) or match.group(0), text)


def restore_json_string(text: str, vault: Vault) -> str:
    """Restore inside a JSON document (tool-call arguments): values are escaped for JSON strings."""
    return CANDIDATE.sub(lambda match: _json_escaped(_value(match, vault)) or match.group(0), text)


def _value(match: re.Match[str], vault: Vault) -> str | None:
    placeholder = read(match.group(1))
    return vault.value_of(placeholder) if placeholder else None


def _json_escaped(value: str | None) -> str | None:
    return json.dumps(value, ensure_ascii=False)[1:-1] if value is not None else None


class StreamRestorer:
    """Restores a text that arrives in pieces, holding back only a possible placeholder prefix.

    The carry never exceeds CARRY_BOUND characters; what is emitted, piece after piece, is exactly
    what restoring the whole text at once would give.
    """

    def __init__(self, vault: Vault, restore_text: Restore = restore) -> None:
        self._vault = vault
        self._restore = restore_text
        self._carry = ""

    @property
    def carry(self) -> str:
        return self._carry

    def feed(self, piece: str) -> str:
        text = self._carry + piece
        opening = _OPEN.search(text, max(0, len(text) - CARRY_BOUND))
        cut = opening.start() if opening else len(text)
        self._carry = text[cut:]
        return self._restore(text[:cut], self._vault)

    def flush(self) -> str:
        text, self._carry = self._carry, ""
        return self._restore(text, self._vault)
