"""Moving a SQLite register to PostgreSQL (`gardefou register migrate`), chain and seals intact.

Everything is copied as stored, byte for byte: metadata (the register's id, bound into every
signature), rows with their sequence numbers, hashes and previous hashes, the writers' tags of the
rows not yet sealed, checkpoints, purge and retention records, in their order. The copy is one
transaction under the register's write lock (all or nothing), into a database whose register is
empty (a non-empty target is refused); the target is then verified like any register.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from itertools import islice
from pathlib import Path
from typing import Any

from proxy.register.engine import RegisterError
from proxy.register.pg_engine import PgEngine
from proxy.register.pg_schema import TABLES
from proxy.register.reading import RegisterReader
from proxy.register.records import ExternalCheckpoints
from proxy.register.signing import PublicKey
from proxy.register.store import Register
from proxy.register.verify import Tags, VerifyReport, verify_register

BATCH = 5000  # rows per round trip
NO_TAGS = Tags()  # the writers' tags not checked (no private key at hand)


@dataclass(frozen=True, slots=True)
class Copied:
    rows: int
    checkpoints: int
    purges: int
    retention: int
    tags: int
    seconds: float


@dataclass(frozen=True, slots=True)
class Migration:
    copied: Copied
    report: VerifyReport
    verify_seconds: float


def migrate(
    source: Path,
    target_url: str,
    *,
    public_key: PublicKey | None,
    external: Sequence[ExternalCheckpoints] = (),
    tags: Tags = NO_TAGS,
) -> Migration:
    """Copy the register file `source` into the empty register at `target_url`, then verify it."""
    reader = Register.open(source, readonly=True)
    try:
        copied = _copy(reader, target_url)
    finally:
        reader.close()
    started = time.perf_counter()
    target = Register.open(target_url, readonly=True)
    try:
        report = verify_register(target, public_key=public_key, external=external, tags=tags)
    finally:
        target.close()
    return Migration(copied, report, time.perf_counter() - started)


def _copy(source: RegisterReader, url: str) -> Copied:
    _refuse_duplicates(source)
    started = time.perf_counter()
    target = PgEngine.open(url, readonly=False, create=True, tagged=False, meta=False)
    try:
        with target.write():
            _refuse_non_empty(target)
            target.insert_many("meta", [{"key": k, "value": v} for k, v in source.meta().items()])
            rows = _in_batches(source.rows(), target.insert_many)
            macs = [{"seq": seq, "mac": mac} for seq, mac in sorted(source.row_macs().items())]
            target.insert_many("row_macs", macs)
            checkpoints, purges = source.checkpoints(), source.purges()
            retention = source.retention_records()
            for table, records in (
                ("checkpoints", checkpoints),
                ("purges", purges),
                ("retention", retention),
            ):
                target.insert_many(table, [record.to_row() for record in records])
    finally:
        target.close()
    seconds = time.perf_counter() - started
    return Copied(rows, len(checkpoints), len(purges), len(retention), len(macs), seconds)


def _refuse_non_empty(target: PgEngine) -> None:
    filled = [table for table in TABLES if target.one(f"SELECT 1 FROM {table} LIMIT 1") is not None]  # noqa: S608
    if filled:
        raise RegisterError(
            f"Migration refusée : la base cible {target.location} contient déjà un registre "
            f"(tables non vides : {', '.join(filled)}). Utilisez une base vide."
        )


def _refuse_duplicates(source: RegisterReader) -> None:
    """PostgreSQL keeps one row per request (a unique request id): say so before copying anything."""
    row = source.engine.one("SELECT COUNT(*) - COUNT(DISTINCT request_id) FROM entries")
    doubles = int(row[0]) if row and row[0] else 0
    if doubles:
        raise RegisterError(
            f"Migration refusée : {doubles} ligne(s) du registre source reprennent l'identifiant de "
            "requête d'une autre ligne, ce que le registre PostgreSQL refuse (une ligne par requête)."
        )


def _in_batches(rows: Iterable[dict[str, Any]], insert: Callable[[str, list[dict[str, Any]]], None]) -> int:
    count = 0
    for batch in _batches(iter(rows)):
        insert("entries", batch)
        count += len(batch)
    return count


def _batches(rows: Iterator[dict[str, Any]]) -> Iterator[list[dict[str, Any]]]:
    while batch := list(islice(rows, BATCH)):
        yield batch
