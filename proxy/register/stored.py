"""The stored form of an entry: the row the register keeps, and the content its hash covers."""

from __future__ import annotations

from typing import Any

from proxy.register.chain import FORMAT_VERSION, canonical_json
from proxy.register.entry import RegisterEntry

TS_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"


def entry_row(entry: RegisterEntry, *, seq: int, ts: str, prev_hash: str) -> dict[str, Any]:
    """The stored form of an entry (also the content its hash covers)."""
    return {
        "seq": seq,
        "v": FORMAT_VERSION,
        "ts": ts,
        "request_id": entry.request_id,
        "user": entry.user,
        "service": entry.service,
        "endpoint": entry.endpoint,
        "model": entry.model,
        "routed_model": entry.routed_model,
        "upstream": entry.upstream,
        "policy_sha256": entry.policy_sha256,
        "decision": str(entry.decision),
        "status": entry.status,
        "entity_counts": canonical_json(dict(entry.entity_counts)),
        "rule_ids": canonical_json(list(entry.rule_ids)),
        "stream": int(entry.stream),
        "duration_ms": entry.duration_ms,
        "prompt_tokens": entry.prompt_tokens,
        "completion_tokens": entry.completion_tokens,
        "energy_wh": entry.energy_wh,
        "gco2e": entry.gco2e,
        "error_code": entry.error_code,
        "task": entry.task,
        "attachments": _json_or_null(dict(entry.attachments)),
        "notice": int(entry.notice) if entry.notice else None,
        "observed_rule_ids": _json_or_null(list(entry.observed_rule_ids)),
        "sent": 1 if entry.sent else None,
        "prev_hash": prev_hash,
    }


def _json_or_null(value: dict[str, int] | list[str]) -> str | None:
    """An optional structured column: NULL when empty, so rows without it hash as before it existed."""
    return canonical_json(value) if value else None
