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

from collections.abc import Iterable, Mapping, Sequence

from proxy.analysis.findings import Finding
from proxy.memo import DigestMemo

Findings = tuple[Finding, ...]

# Memory is bounded by findings too, not only by entries: a few huge texts full of personal data
# must not make a 4,096-entry cache hold millions of findings.
FINDINGS_PER_ENTRY = 32


class AnalysisCache:
    """A bounded LRU map text -> findings for one detector configuration. Thread-safe."""

    def __init__(self, fingerprint: str, max_entries: int) -> None:
        self._max_findings = max(0, max_entries) * FINDINGS_PER_ENTRY
        self._memo: DigestMemo[Findings] = DigestMemo(max_entries, self._max_findings, fingerprint.encode())

    def __len__(self) -> int:
        return len(self._memo)

    def lookup(self, texts: Iterable[str], scope: str = "") -> dict[str, Findings]:
        """The findings already known in `scope` for some of `texts` (blank texts never hold any)."""
        known: dict[str, Findings] = {}
        for text in texts:
            if not text.strip():
                known[text] = ()
                continue
            found = self._memo.get(self._memo.key(text, scope))
            if found is not None:
                known[text] = found
        return known

    def store(self, results: Mapping[str, Sequence[Finding]], scope: str = "") -> None:
        """Remember fresh results; the least recently used entries go once a bound is reached."""
        for text, findings in results.items():
            if len(findings) <= self._max_findings:
                self._memo.put(self._memo.key(text, scope), tuple(findings), weight=len(findings))
