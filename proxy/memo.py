"""A bounded memo of what was computed from texts, keyed by a salted digest of each text.

Used where a conversation's resent history would otherwise be processed again on every turn (the
analysis cache, the policy's keyword matches). The text itself is never kept: keys are sha256
digests salted per process, so they cannot be looked up from outside by guessing a text. Least
recently used entries go first once `max_entries` (or the total `weight` of the values) is reached.
In memory only; thread-safe.
"""

from __future__ import annotations

import hashlib
import secrets
import threading
from collections import OrderedDict
from collections.abc import Iterator
from typing import Generic, TypeVar

V = TypeVar("V")


class DigestMemo(Generic[V]):
    def __init__(self, max_entries: int, max_weight: int | None = None, namespace: bytes = b"") -> None:
        self._prefix = secrets.token_bytes(16) + namespace + b"\x00"
        self._max_entries = max(0, max_entries)
        self._max_weight = max_weight
        self._entries: OrderedDict[bytes, tuple[V, int]] = OrderedDict()
        self._weight = 0
        self._lock = threading.Lock()

    def key(self, text: str, scope: str = "") -> bytes:
        """The digest `text` is remembered under (`scope` keeps callers' entries apart)."""
        scoped = self._prefix + scope.encode("utf-8", "surrogatepass") + b"\x00"
        return hashlib.sha256(scoped + text.encode("utf-8", "surrogatepass")).digest()

    def get(self, key: bytes) -> V | None:
        with self._lock:
            found = self._entries.get(key)
            if found is None:
                return None
            self._entries.move_to_end(key)
            return found[0]

    def put(self, key: bytes, value: V, weight: int = 0) -> None:
        with self._lock:
            self._weight += weight - self._entries.get(key, (value, 0))[1]
            self._entries[key] = (value, weight)
            self._entries.move_to_end(key)
            while len(self._entries) > self._max_entries or self._over_weight():
                self._weight -= self._entries.popitem(last=False)[1][1]

    def __len__(self) -> int:
        return len(self._entries)

    def __iter__(self) -> Iterator[bytes]:
        return iter(list(self._entries))

    def __repr__(self) -> str:
        return f"DigestMemo({dict(self._entries)!r})"

    def _over_weight(self) -> bool:
        return self._max_weight is not None and self._weight > self._max_weight
