"""The hash chain: canonical content of a stored row and its SHA-256, linked to the previous row.

A row's hash covers every stored column except `hash` itself, including its sequence number, its
timestamp and the previous row's hash, so editing, inserting, deleting or reordering rows breaks the
chain. Null columns are left out of the canonical form, so adding an optional column later keeps the
hashes of older rows valid.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any

GENESIS = "0" * 64
FORMAT_VERSION = 1


def canonical(row: Mapping[str, Any]) -> bytes:
    """Deterministic bytes of a row: sorted keys, no spaces, UTF-8, nulls and `hash` left out."""
    content = {key: value for key, value in row.items() if value is not None and key != "hash"}
    text = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return text.encode("utf-8")


def row_hash(row: Mapping[str, Any]) -> str:
    return hashlib.sha256(canonical(row)).hexdigest()


def canonical_json(value: Any) -> str:
    """Canonical JSON text for a structured column (entity counts, rule ids)."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
