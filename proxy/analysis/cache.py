"""Analysis results per message text, in memory, so a resent conversation history is not analysed again.

Chat clients resend the whole conversation on every turn; without a cache a conversation costs O(n²)
analysis. Entries are keyed by a sha256 of (a random per-process salt, the detector's configuration
fingerprint, a scope, the text), hold findings only (offsets, types, scores, recognizer names: never
the text), are bounded (least recently used evicted first) and are never written anywhere. A new
detection configuration gives new keys, so stale results cannot be served. The scope (the caller)
keeps one agent's entries from answering another's: a hit is faster, and the timing would otherwise
tell an agent that someone else recently sent the same text.
"""

from __future__ import annotations

import hashlib
import secrets
import threading
from collections import OrderedDict
from collections.abc import Iterable, Mapping, Sequence

from proxy.analysis.findings import Finding

Findings = tuple[Finding, ...]

# Memory is bounded by findings too, not only by entries: a few huge texts full of personal data
# must not make a 4,096-entry cache hold millions of findings.
FINDINGS_PER_ENTRY = 32


class AnalysisCache:
    """A bounded LRU map text -> findings for one detector configuration. Thread-safe."""

    def __init__(self, fingerprint: str, max_entries: int) -> None:
        self._prefix = secrets.token_bytes(16) + fingerprint.encode() + b"\x00"
        self._max_entries = max(0, max_entries)
        self._max_findings = self._max_entries * FINDINGS_PER_ENTRY
        self._entries: OrderedDict[bytes, Findings] = OrderedDict()
        self._held = 0  # findings held by all entries
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._entries)

    def lookup(self, texts: Iterable[str], scope: str = "") -> dict[str, Findings]:
        """The findings already known in `scope` for some of `texts` (blank texts never hold any)."""
        known: dict[str, Findings] = {}
        for text in texts:
            if not text.strip():
                known[text] = ()
                continue
            found = self._get(self._key(text, scope))
            if found is not None:
                known[text] = found
        return known

    def store(self, results: Mapping[str, Sequence[Finding]], scope: str = "") -> None:
        """Remember fresh results; the least recently used entries go once a bound is reached."""
        with self._lock:
            for text, findings in results.items():
                if len(findings) <= self._max_findings:
                    self._put(self._key(text, scope), tuple(findings))
            while len(self._entries) > self._max_entries or self._held > self._max_findings:
                self._held -= len(self._entries.popitem(last=False)[1])

    def _put(self, key: bytes, findings: Findings) -> None:
        self._held += len(findings) - len(self._entries.get(key, ()))
        self._entries[key] = findings
        self._entries.move_to_end(key)

    def _get(self, key: bytes) -> Findings | None:
        with self._lock:
            found = self._entries.get(key)
            if found is not None:
                self._entries.move_to_end(key)
            return found

    def _key(self, text: str, scope: str) -> bytes:
        scoped = self._prefix + scope.encode("utf-8", "surrogatepass") + b"\x00"
        return hashlib.sha256(scoped + text.encode("utf-8", "surrogatepass")).digest()
