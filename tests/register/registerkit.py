"""Helpers for the register tests: entries, random entries, a sealed register with a purge."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from proxy.register.entry import Decision, RegisterEntry
from proxy.register.retention import cutoff
from proxy.register.signing import PublicKey, load_signer
from proxy.register.store import Register

EntryFactory = Callable[..., RegisterEntry]

SERVICES = ("urbanisme", "rh", "action-sociale", "demo")
MODELS = ("demo", "mistral-small", "llama-3.1-8b")
ENTITY_TYPES = ("PERSON", "EMAIL", "PHONE", "IBAN", "NIR")


def build_entry(**changes: object) -> RegisterEntry:
    fields: dict[str, object] = {
        "request_id": "req-1",
        "user": "agent.dupont",
        "service": "urbanisme",
        "endpoint": "chat.completions",
        "model": "demo",
        "routed_model": "demo",
        "upstream": "demo",
        "policy_sha256": "ab" * 32,
        "decision": Decision.FORWARDED,
        "status": 200,
        "entity_counts": {"PERSON": 2, "EMAIL": 1},
        "rule_ids": ("redact-default",),
        "stream": False,
        "duration_ms": 42,
    }
    fields.update(changes)
    return RegisterEntry(**fields)  # type: ignore[arg-type]


def random_entry(rng: random.Random, index: int) -> RegisterEntry:
    decision = rng.choice(list(Decision))
    forwarded = decision is Decision.FORWARDED
    model = rng.choice(MODELS)
    counts = {kind: rng.randint(1, 3) for kind in rng.sample(ENTITY_TYPES, rng.randint(0, 3))}
    return build_entry(
        request_id=f"req-{index:06d}",
        user=f"agent{rng.randint(1, 20)}",
        service=rng.choice(SERVICES),
        model=model,
        routed_model=model if forwarded else None,
        upstream="amont-local" if forwarded else None,
        decision=decision,
        status={"forwarded": 200, "blocked": 403, "failed": 502}[decision.value],
        entity_counts=counts,
        rule_ids=tuple(rng.sample(("r-nir", "r-iban", "r-default"), rng.randint(0, 2))),
        stream=rng.random() < 0.5,
        duration_ms=rng.randint(5, 5000),
        prompt_tokens=rng.randint(10, 2000) if forwarded else None,
        completion_tokens=rng.randint(10, 800) if forwarded else None,
        energy_wh=round(rng.random(), 6) if forwarded else None,
        gco2e=round(rng.random() / 10, 6) if forwarded else None,
        error_code=None if forwarded else "model_not_allowed",
    )


@dataclass
class Clock:
    """A register clock the test moves (rows a year old, then today's)."""

    moment: datetime

    def __call__(self) -> datetime:
        self.moment += timedelta(microseconds=10)
        return self.moment


@dataclass(frozen=True)
class SealedRegister:
    path: Path  # the SQLite file (or, built on PostgreSQL, the URL: see `target`)
    key_path: Path
    journal: Path
    public_key: PublicKey


def make_sealed_register(
    directory: Path, rows: int, every: int, purge_through: int, target: str | None = None
) -> SealedRegister:
    """A closed register: `rows` random rows, a checkpoint every `every`, rows purged up to about
    `purge_through` (a whole block), the head sealed, every checkpoint copied to a journal file.
    `target`: a `postgresql://` URL instead of a file in `directory`."""
    key_path, journal = directory / "signature.key", directory / "points-de-controle.jsonl"
    path = directory / "registre.sqlite"
    clock = Clock(datetime.now(UTC) - timedelta(days=400))  # the first rows are over a year old
    register = Register.open(
        target or path,
        signing_key_path=key_path,
        checkpoint_every=every,
        checkpoint_journal=journal,
        retention_months=12,
        clock=clock,
    )
    rng = random.Random(7)
    register.append_many(random_entry(rng, i) for i in range(purge_through))
    clock.moment = datetime.now(UTC)  # the rows to keep are young
    register.append_many(random_entry(rng, i) for i in range(purge_through, rows))
    register.purge(cutoff(clock.moment, 12), 12)
    register.close()
    return SealedRegister(path, key_path, journal, load_signer(key_path).public)
