"""A register of many generated rows spread over weeks, written with the register's own row format
and hash chain (entry_row, row_hash) so that the timestamps can be chosen: quick (10,000 rows < 1 s)."""

from __future__ import annotations

import random
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

from proxy.register.chain import GENESIS, row_hash
from proxy.register.entry import Decision, RegisterEntry
from proxy.register.store import TS_FORMAT, Register, entry_row

SERVICES = ("communication", "urbanisme", "rh", "etat-civil")
MODELS = ("demo", "albert-large", "gpt-4o")
ENTITIES = ("PERSON", "EMAIL", "PHONE", "ADDRESS", "NIR", "IBAN", "DATE_OF_BIRTH", "LOCATION")
REFUSALS = ("forbidden_use", "personal_data_blocked", "data_not_allowed", "model_not_allowed")
USER_PREFIX = "agent.canari."


def user_id(index: int) -> str:
    return f"{USER_PREFIX}{index:04d}"


def _entry(rng: random.Random, index: int) -> RegisterEntry:
    blocked = rng.random() < 0.08
    failed = not blocked and rng.random() < 0.02
    forwarded = not blocked and not failed
    decision = Decision.BLOCKED if blocked else Decision.FAILED if failed else Decision.FORWARDED
    found = {e: rng.randint(1, 4) for e in rng.sample(ENTITIES, rng.randint(0, 3))}
    rules = ["use.publication.notice"] if rng.random() < 0.1 else []
    rules += ["use.evaluation-personnes.warn"] if rng.random() < 0.03 else []
    return RegisterEntry(
        request_id=f"req_{index}",
        user=user_id(rng.randint(0, 60)),
        service=rng.choice(SERVICES),
        endpoint="chat.completions",
        model=rng.choice(MODELS),
        routed_model=None,
        upstream="local",
        policy_sha256="0" * 64,
        decision=decision,
        status=200 if forwarded else 403 if blocked else 502,
        entity_counts=found,
        rule_ids=tuple(rules),
        stream=rng.random() < 0.5,
        duration_ms=rng.randint(100, 8000),
        prompt_tokens=rng.randint(50, 3000) if forwarded else None,
        completion_tokens=rng.randint(20, 900) if forwarded else None,
        energy_wh=rng.uniform(0.2, 3.0) if forwarded else None,
        gco2e=rng.uniform(0.01, 0.3) if forwarded else None,
        error_code=rng.choice(REFUSALS) if blocked else "upstream_error" if failed else None,
        notice=bool(rules) and rules[0] == "use.publication.notice",
        observed_rule_ids=("use.detection-fraude.block",) if rng.random() < 0.01 else (),
    )


def fill_register(path: Path, rows: int, start: datetime, days: int, seed: int = 22) -> None:
    """`rows` rows between `start` and `start + days`, in time order, chained like the proxy's."""
    Register.open(path).close()  # the schema and its append-only triggers
    rng = random.Random(seed)
    step = timedelta(days=days) / rows
    prev, stored = GENESIS, []
    for index in range(rows):
        ts = (start + step * index).astimezone(UTC).strftime(TS_FORMAT)
        row = entry_row(_entry(rng, index), seq=index + 1, ts=ts, prev_hash=prev)
        row["hash"] = prev = row_hash(row)
        stored.append(row)
    columns = list(stored[0])
    marks = ", ".join("?" for _ in columns)
    names = ", ".join(f'"{c}"' for c in columns)
    with sqlite3.connect(path) as db:
        db.executemany(f"INSERT INTO entries ({names}) VALUES ({marks})", [list(r.values()) for r in stored])


START = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
