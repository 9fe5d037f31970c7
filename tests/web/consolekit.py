"""A register populated with generated rows spread over several months and services, for the
console's tests: valid hash chain (rows written as the register writes them, with chosen dates)."""

from __future__ import annotations

import random
import sqlite3
from collections.abc import Iterator
from contextlib import closing
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from proxy.register.chain import GENESIS, row_hash
from proxy.register.entry import Decision, RegisterEntry
from proxy.register.store import TS_FORMAT, Register, entry_row

SERVICES = ("urbanisme", "rh", "etat-civil")
MONTHS = ("2026-06", "2026-07", "2026-08", "2026-09")
ENDPOINTS = ("chat.completions", "chat.completions", "chat.completions", "embeddings")
TASKS = (None, None, None, "title", "tags")
ENTITIES = ("PERSON", "PHONE", "EMAIL", "ADDRESS", "NIR")


@dataclass(frozen=True, slots=True)
class Generated:
    ts: str
    service: str
    decision: str


def _entry(rng: random.Random, service: str) -> RegisterEntry:
    decision = rng.choice((Decision.FORWARDED,) * 6 + (Decision.BLOCKED, Decision.FAILED))
    counts = {e: rng.randint(1, 3) for e in rng.sample(ENTITIES, rng.randint(0, 3))}
    rules = ["use.decision-sanction.block"] if decision is Decision.BLOCKED else []
    observed = ["use.detection-fraude.block"] if rng.random() < 0.1 else []
    tokens = rng.randint(50, 900)
    return RegisterEntry(
        request_id=f"req-{rng.getrandbits(48):012x}",
        user=f"agent.{rng.randint(1, 9)}",
        service=service,
        endpoint=rng.choice(ENDPOINTS),
        model="demo",
        routed_model="demo",
        upstream="local-llm",
        policy_sha256="0" * 64,
        decision=decision,
        status={Decision.FORWARDED: 200, Decision.BLOCKED: 403, Decision.FAILED: 502}[decision],
        entity_counts=counts if decision is not Decision.FAILED else {},
        rule_ids=tuple(rules),
        stream=False,
        duration_ms=rng.randint(100, 3000),
        prompt_tokens=tokens,
        completion_tokens=tokens // 2,
        energy_wh=round(tokens * 0.002, 6),
        gco2e=round(tokens * 0.0001, 6),
        task=rng.choice(TASKS),
        observed_rule_ids=tuple(observed),
    )


def _timestamps(rng: random.Random, per_month: int) -> Iterator[str]:
    moments = []
    for month in MONTHS:
        start = datetime.fromisoformat(f"{month}-01T00:00:00").replace(tzinfo=UTC)
        moments += [start + timedelta(seconds=rng.randint(0, 27 * 86400)) for _ in range(per_month)]
    # the first hour of a month in Paris is the last of the previous one in UTC: keep one there
    moments.append(
        datetime.fromisoformat(f"{MONTHS[1]}-01T00:00:00").replace(tzinfo=UTC) - timedelta(hours=1)
    )
    return (moment.strftime(TS_FORMAT) for moment in sorted(moments))


def populate(path: Path, per_month: int = 60, seed: int = 20) -> list[Generated]:
    """Create the register at `path` holding generated rows; return what was written."""
    Register.open(path).close()
    rng = random.Random(seed)
    written: list[Generated] = []
    prev = GENESIS
    with closing(sqlite3.connect(path)) as db, db:
        for seq, ts in enumerate(_timestamps(rng, per_month), start=1):
            entry = _entry(rng, rng.choice(SERVICES))
            row: dict[str, Any] = entry_row(entry, seq=seq, ts=ts, prev_hash=prev)
            row["hash"] = prev = row_hash(row)
            columns = ", ".join(f'"{name}"' for name in row)
            db.execute(
                f"INSERT INTO entries ({columns}) VALUES ({', '.join('?' for _ in row)})", list(row.values())
            )
            written.append(Generated(ts, entry.service, str(entry.decision)))
    return written
