"""The writer's head check: before each append and each seal, the head must be one a writer made.

A writer remembers the head it wrote last (or, at start, the newest checkpoint). When the file's head
is another one, the rows after the remembered head must each link to the previous one, hash to what
they claim, and carry the keyed tag (`Signer.mac`) that only writers holding the signing key make:
rows appended by another worker process pass; a row inserted at the head with a recomputed hash, an
edited or a deleted row does not. Pure functions; the store reads the rows and records the alarm.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from proxy.register.chain import row_hash
from proxy.register.entry import Decision, RegisterEntry
from proxy.register.records import Head

ALARM_ENDPOINT = "register.alarm"
ALARM_CODE = "head_mismatch"


def unexplained(
    anchor: Head,
    head: Head,
    rows_after: Iterable[Mapping[str, Any]],
    mac_of: Callable[[int], str | None],
    mac: Callable[[str], str],
    macs_from: int,
) -> str | None:
    """Why the rows between `anchor` (known good) and `head` were not made by a writer, or None."""
    if head.seq < anchor.seq:
        return f"lignes {head.seq + 1} à {anchor.seq} disparues"
    seq, previous = anchor.seq + 1, anchor.hash
    for row in rows_after:
        if row["seq"] != seq or row["prev_hash"] != previous:
            return f"ligne {row['seq']} : chaînage inattendu"
        if row_hash(row) != row["hash"]:
            return f"ligne {row['seq']} : empreinte invalide"
        if row["seq"] >= macs_from and mac_of(row["seq"]) != mac(row["hash"]):
            return f"ligne {row['seq']} : non écrite par Garde-fou (étiquette absente ou fausse)"
        seq, previous = seq + 1, row["hash"]
    if (seq - 1, previous) != (head.seq, head.hash):
        return f"tête {head.seq} remplacée"
    return None


def alarm_entry(request_id: str) -> RegisterEntry:
    """The row that records, in the chain itself, that the writer found a head it did not write."""
    return RegisterEntry(
        request_id=request_id,
        user="gardefou",
        service="gardefou",
        endpoint=ALARM_ENDPOINT,
        model="gardefou",
        routed_model=None,
        upstream=None,
        policy_sha256="-",
        decision=Decision.FAILED,
        status=0,
        entity_counts={},
        rule_ids=(),
        stream=False,
        duration_ms=0,
        error_code=ALARM_CODE,
    )
