"""The register: chained appends, head check, signed checkpoints, retention and purge records.

Written once above two engines (engine.py): a SQLite file (sqlite_engine.py, the default) or a
PostgreSQL database (pg_engine.py, `register_url`, shared by several instances). Each write is one
transaction holding the engine's exclusive write lock, so the chain stays linear across threads,
processes and instances; checkpoints, purge records, retention records and alarms are sent to the
off-host stream before their transaction commits.
"""

from __future__ import annotations

import logging
import sqlite3
import uuid
from collections.abc import Callable, Iterable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from proxy.register.chain import row_hash
from proxy.register.engine import DatabaseError, Engine, RegisterError, is_url
from proxy.register.entry import RegisterEntry
from proxy.register.head import alarm_entry, unexplained
from proxy.register.journal import JournalError, OffHostStream, newest_checkpoint
from proxy.register.pg_engine import PgEngine
from proxy.register.reading import RegisterReader
from proxy.register.records import (
    Alarm,
    Checkpoint,
    Head,
    PurgeRecord,
    RetentionRecord,
    journal_line,
    signed_message,
)
from proxy.register.signing import Signer, load_or_create_signer, load_signer
from proxy.register.sqlite_engine import SqliteEngine
from proxy.register.stored import TS_FORMAT, entry_row

__all__ = ["TS_FORMAT", "DatabaseError", "Register", "RegisterError", "entry_row"]

log = logging.getLogger(__name__)

DEFAULT_CHECKPOINT_EVERY = 100
DEFAULT_CHECKPOINT_INTERVAL_S = 600.0


def _system_clock() -> datetime:
    return datetime.now(UTC)


Clock = Callable[[], datetime]


class Register(RegisterReader):
    """An open register. Thread-safe; one instance per process."""

    def __init__(self, engine: Engine, signer: Signer | None, options: _Options) -> None:
        super().__init__(engine)
        self.signer = signer
        self._options = options
        self._known_checkpoint: Checkpoint | None = None
        self.register_id = self._meta("register_id")
        self._stream = OffHostStream(options.checkpoint_journal, options.syslog)
        self._last_written: Head | None = None  # the head this process wrote or checked last
        self._disowned: Head | None = None  # a checkpoint whose rows vanished (alarm raised once)
        self.alarm_count = 0  # head alarms raised by this process (read by metrics)
        # Called after each commit with the rows and checkpoints it made durable (SIEM export).
        self.on_commit: Callable[[list[dict[str, Any]], list[Checkpoint]], None] | None = None

    @classmethod
    def open(
        cls,
        target: Path | str,
        *,
        signing_key_path: Path | None = None,
        checkpoint_every: int = DEFAULT_CHECKPOINT_EVERY,
        checkpoint_interval_s: float = DEFAULT_CHECKPOINT_INTERVAL_S,
        checkpoint_journal: Path | None = None,
        create: bool = True,
        readonly: bool = False,
        create_key: bool = True,
        retention_months: int | None = None,
        syslog: str | None = None,
        clock: Clock = _system_clock,
    ) -> Register:
        """Open (creating if asked) the register at `target` (a SQLite file, or a `postgresql://`
        URL); sign checkpoints if a key path is given.

        A checkpoint seals the head every `checkpoint_every` rows, and also at the first append
        once the last checkpoint is `checkpoint_interval_s` old (quiet hours), and at close.

        `readonly` opens an existing register for reading only (verify, export, stats): nothing
        is written, not even the schema. `retention_months`, when it differs from the retention
        recorded last, is recorded (signed, and sent to the off-host stream with the checkpoints:
        `checkpoint_journal` file, `syslog` address).
        """
        signer = _signer(signing_key_path, create_key) if signing_key_path else None
        every = max(1, checkpoint_every)
        options = _Options(every, checkpoint_interval_s, checkpoint_journal, readonly, syslog, clock)
        engine = open_engine(target, readonly=readonly, create=create, tagged=signer is not None)
        try:
            register = cls(engine, signer, options)
        except sqlite3.DatabaseError as exc:
            engine.close()
            raise RegisterError(f"{engine.location} : registre illisible ({exc}).") from exc
        except BaseException:
            engine.close()
            raise
        if signer is not None and not readonly:
            register._recover_lost_checkpoint()
        if retention_months is not None and signer is not None and not readonly:
            register.record_retention(retention_months)
        return register

    # -- writing -----------------------------------------------------------------------------

    def append(self, entry: RegisterEntry) -> None:
        """Append one row (timestamped now, UTC) at the head of the chain, in one transaction."""
        self.append_many((entry,))

    def append_many(self, entries: Iterable[RegisterEntry]) -> None:
        """Append several rows in one transaction (imports, benchmarks); the checkpoints they call
        for (every N rows, quiet hours) follow in a transaction of their own, so that a checkpoint
        sent off-host always seals rows already committed (a crash in between: rows not yet sealed)."""
        boundaries: list[Head] = []
        rows: list[dict[str, Any]] = []
        with self._write():
            head, trusted = self._checked_head()
            for entry in entries:
                head = self._insert(entry, head, rows)
                if trusted and head.seq % self._options.checkpoint_every == 0:
                    boundaries.append(head)
            if trusted and self.signer is not None and not boundaries and self._seal_due(head, []):
                boundaries.append(head)  # (under the lock: the connection is shared by threads)
            self._last_written = head
        self._committed(rows, [])
        if boundaries and self.signer is not None:
            self._seal_heads(boundaries)

    def _seal_heads(self, heads: list[Head]) -> None:
        """Sign checkpoints of committed heads, once the file's head is checked."""
        sealed: list[Checkpoint] = []
        with self._write():
            current, trusted = self._checked_head()
            for head in heads if trusted else []:
                sealed.extend(self._seal(head))
            self._last_written = current
        self._remember(sealed)
        self._committed([], sealed)

    def _recover_lost_checkpoint(self) -> None:
        """Put back in the file the checkpoint a kill -9 left in the off-host journal only (the
        journal is written first, then the transaction commits): without it, the next checkpoint
        would make that one look deleted from the file. Only the journal's newest checkpoint, only
        when it is newer than the file's, signed by this key and sealing a row the file holds with
        the same hash: the very record the crash lost, nothing else."""
        path, signer = self._options.checkpoint_journal, self._require_signer()
        try:
            lost = newest_checkpoint(path, self.register_id) if path and path.exists() else None
        except (OSError, JournalError) as exc:
            log.warning("register: off-host journal not read at start (%s)", type(exc).__name__)
            return
        if lost is None or not self._signed_here(lost, signer):
            return
        with self._write():
            last = self._last_checkpoint()
            if last is not None and last.seq >= lost.seq:
                return
            if self._first("SELECT hash FROM entries WHERE seq = ?", [lost.seq]) != lost.hash:
                return
            self._store_checkpoint(lost)
        self._remember([lost])
        log.warning("register: checkpoint of row %d recovered from the off-host journal (crash)", lost.seq)

    def _signed_here(self, checkpoint: Checkpoint, signer: Signer) -> bool:
        message = signed_message("checkpoint", self.register_id, checkpoint.signed_fields())
        key = signer.public
        return checkpoint.key_id == key.key_id and key.verify(checkpoint.signature, message)

    def _seal_due(self, head: Head, sealed: list[Checkpoint]) -> bool:
        """Whether the head is unsealed and the last checkpoint older than the interval."""
        if sealed:
            return self._unsealed_and_old(sealed[-1], head)
        # The newest checkpoint this instance knows of is never newer than the file's: when it says
        # "not due", so would the file's, and the query (one per append otherwise) is skipped.
        known = self._known_checkpoint
        if known is not None and not self._unsealed_and_old(known, head):
            return False
        last = self._last_checkpoint()
        self._remember([last] if last else [])
        return last is None or self._unsealed_and_old(last, head)

    def _unsealed_and_old(self, last: Checkpoint, head: Head) -> bool:
        if last.seq == head.seq:
            return False
        oldest = self._options.clock() - timedelta(seconds=self._options.checkpoint_interval_s)
        return last.ts <= oldest.strftime(TS_FORMAT)

    def _remember(self, checkpoints: list[Checkpoint]) -> None:
        """Keep the newest committed checkpoint seen (a hint for `_seal_due`)."""
        if checkpoints:
            self._known_checkpoint = checkpoints[-1]

    def checkpoint(self) -> Checkpoint | None:
        """Sign the current head unless it is already sealed (or the register is empty), once the
        head is checked (a head this writer did not write raises an alarm instead: no seal)."""
        self._require_signer()
        with self._write():
            head, trusted = self._checked_head()
            last = self._last_checkpoint()
            due = trusted and head.seq > 0 and (last is None or last.seq != head.seq)
            sealed = self._seal(head) if due else []
            self._last_written = head
        self._remember(sealed)
        self._committed([], sealed)
        return sealed[0] if sealed else None

    def record_retention(self, months: int) -> RetentionRecord | None:
        """Record (signed, off-host first) the retention in force, unless it is already the last one."""
        signer = self._require_signer()
        with self._write():
            latest = self.engine.one("SELECT months FROM retention ORDER BY id DESC LIMIT 1")
            if latest is not None and int(latest[0]) == months:
                return None
            unsigned = RetentionRecord(self._now(), months, signer.public.key_id, "")
            message = signed_message("retention", self.register_id, unsigned.signed_fields())
            record = unsigned.signed(signer.sign(message))
            self._send_off_host("retention", record)
            self.engine.insert("retention", record.to_row())
        return record

    def purge(self, cutoff: str, retention_months: int) -> PurgeRecord | None:
        """Delete, in whole checkpointed blocks, the oldest rows all timestamped before `cutoff`
        (a block ends at a checkpoint made before `cutoff`). The signed purge record goes to the
        off-host stream before the deletion is committed."""
        latest = _retention_cutoff(self._options.clock(), retention_months)
        if cutoff > latest:
            raise RegisterError(
                f"Purge refusée : la date de coupure {cutoff[:10]} est plus récente que la conservation "
                f"de {retention_months} mois ne le permet ({latest[:10]})."
            )
        self.record_retention(retention_months)
        self.checkpoint()
        signer = self._require_signer()
        with self._write():
            through = self._purge_boundary(cutoff)
            if through is None:
                return None
            record = self._insert_purge(through, cutoff, retention_months, signer)
            self._send_off_host("purge", record)
            self.engine.delete_through(through.seq)
        return record

    def close(self) -> None:
        """Seal the head (when a key is configured) and close the connection."""
        if self.signer is not None and not self._options.readonly:
            try:
                self.checkpoint()
            except (RegisterError, sqlite3.Error) as exc:
                log.warning("register: final checkpoint failed (%s)", type(exc).__name__)
        self.engine.close()

    # -- internals ---------------------------------------------------------------------------

    def _now(self) -> str:
        return self._options.clock().strftime(TS_FORMAT)

    def _write(self) -> AbstractContextManager[None]:
        return self.engine.write()

    def _insert(self, entry: RegisterEntry, head: Head, inserted: list[dict[str, Any]] | None = None) -> Head:
        row = entry_row(entry, seq=head.seq + 1, ts=self._now(), prev_hash=head.hash)
        row["hash"] = row_hash(row)
        if inserted is not None:
            inserted.append(row)
        self.engine.append_row(row, self.signer.mac(row["hash"]) if self.signer is not None else None)
        return Head(row["seq"], row["hash"])

    # -- the head check (see head.py) ----------------------------------------------------------

    def _checked_head(self) -> tuple[Head, bool]:
        """The head to write after, and whether it may be sealed: a head no writer made raises an
        alarm (a row in the chain, a line off-host, an error in the logs, `alarm_count`)."""
        head = self._head()
        signer = self.signer
        if signer is None:
            return head, True
        anchor = self._anchor()
        if head == anchor:
            return head, True
        rows = self.engine.query("SELECT * FROM entries WHERE seq > ? ORDER BY seq", [anchor.seq])
        macs = self.row_macs()
        problem = unexplained(anchor, head, rows, macs.get, signer.mac, self.macs_from() or 1)
        if problem is None:
            self._last_written = head
            return head, True
        return self._raise_alarm(anchor, head, problem), False

    def _anchor(self) -> Head:
        """The newest head known good: the one this process wrote last, or the highest checkpoint
        (several processes may seal out of order: the highest one pruned the tags below it)."""
        last = self._highest_checkpoint()
        sealed = Head(last.seq, last.hash) if last else None
        known = [head for head in (self._last_written, sealed) if head and head != self._disowned]
        if known:
            return max(known, key=lambda head: head.seq)
        return self._purged_head()

    def _raise_alarm(self, anchor: Head, head: Head, problem: str) -> Head:
        last = self._highest_checkpoint()
        if last is not None and last.seq > head.seq:  # its rows are gone: alarm once, not at each write
            self._disowned = Head(last.seq, last.hash)
        alarm_head = self._insert(alarm_entry(f"alarm_{uuid.uuid4().hex}"), head)
        alarm = Alarm(self._now(), alarm_head.seq, anchor.seq, anchor.hash, head.seq, head.hash)
        try:
            self._send_off_host("alarm", alarm)
        except OSError as exc:
            log.error("register: alarm not sent off-host (%s)", type(exc).__name__)
        self.alarm_count += 1
        log.error(
            "register: ALARM, head not written by Garde-fou (expected row %d, found row %d): %s; "
            "not sealed, alarm recorded at row %d",
            anchor.seq,
            head.seq,
            problem,
            alarm_head.seq,
        )
        return alarm_head

    def _seal(self, head: Head) -> list[Checkpoint]:
        """Insert the checkpoint of `head` and send it off-host, inside the caller's transaction;
        when the off-host stream cannot be written, no checkpoint (the rows stay unsealed)."""
        signer = self._require_signer()
        try:
            with self.engine.savepoint():
                checkpoint = self._signed_checkpoint(head, signer)
                self._store_checkpoint(checkpoint)
                self._send_off_host("checkpoint", checkpoint)
        except OSError as exc:
            log.warning("register: checkpoint not made, off-host stream not written (%s)", type(exc).__name__)
            return []
        return [checkpoint]

    def _send_off_host(self, kind: str, record: Checkpoint | PurgeRecord | RetentionRecord | Alarm) -> None:
        self._stream.send([journal_line(kind, self.register_id, record)])

    def _signed_checkpoint(self, head: Head, signer: Signer) -> Checkpoint:
        key_id = signer.public.key_id
        unsigned = Checkpoint(ts=self._now(), seq=head.seq, hash=head.hash, key_id=key_id, signature="")
        message = signed_message("checkpoint", self.register_id, unsigned.signed_fields())
        return unsigned.signed(signer.sign(message))

    def _store_checkpoint(self, checkpoint: Checkpoint) -> None:
        """Write a checkpoint to the file; the rows it seals no longer need their writer's tags."""
        self.engine.insert("checkpoints", checkpoint.to_row())
        self.engine.run("DELETE FROM row_macs WHERE seq <= ?", [checkpoint.seq])

    def _purge_boundary(self, cutoff: str) -> Checkpoint | None:
        young = self._first("SELECT MIN(seq) FROM entries WHERE ts >= ?", [cutoff])
        limit = self._head().seq + 1 if young is None else int(young)
        anchor = self._first("SELECT MIN(seq) FROM entries", [])
        rows = list(
            self.engine.query(
                "SELECT * FROM checkpoints WHERE seq < ? AND seq >= ? AND ts < ? ORDER BY seq DESC LIMIT 1",
                [limit, anchor if anchor is not None else limit, cutoff],
            )
        )
        return Checkpoint.from_row(rows[0]) if rows else None

    def _insert_purge(self, through: Checkpoint, cutoff: str, months: int, signer: Signer) -> PurgeRecord:
        deleted = self._number("SELECT COUNT(*) FROM entries WHERE seq <= ?", [through.seq])
        unsigned = PurgeRecord(
            ts=self._now(),
            through_seq=through.seq,
            through_hash=through.hash,
            cutoff=cutoff,
            retention_months=months,
            rows_deleted=int(deleted),
            key_id=signer.public.key_id,
            signature="",
        )
        message = signed_message("purge", self.register_id, unsigned.signed_fields())
        record = unsigned.signed(signer.sign(message))
        self.engine.insert("purges", record.to_row())
        return record

    def _first(self, sql: str, params: list[Any]) -> Any:
        row = self.engine.one(sql, params)
        return None if row is None else row[0]

    def _committed(self, rows: list[dict[str, Any]], checkpoints: list[Checkpoint]) -> None:
        if self.on_commit is not None and (rows or checkpoints):
            self.on_commit(rows, checkpoints)

    def _require_signer(self) -> Signer:
        if self.signer is None:
            raise RegisterError("Aucune clé de signature configurée : impossible de sceller le registre.")
        return self.signer


@dataclass(frozen=True, slots=True)
class _Options:
    checkpoint_every: int
    checkpoint_interval_s: float
    checkpoint_journal: Path | None
    readonly: bool
    syslog: str | None = None
    clock: Clock = _system_clock  # UTC now (tests move it to purge what is old enough)


def _retention_cutoff(now: datetime, months: int) -> str:
    from proxy.register.retention import cutoff  # retention imports this module

    return cutoff(now, months)


def _signer(path: Path, create: bool) -> Signer:
    if create:
        return load_or_create_signer(path)
    if not path.exists():
        raise RegisterError(f"Clé de signature introuvable : {path} (option --key ou register_key).")
    return load_signer(path)


def open_engine(target: Path | str, *, readonly: bool, create: bool, tagged: bool) -> Engine:
    """The engine of a register location: a `postgresql://` URL, else a SQLite file."""
    if is_url(target):
        return PgEngine.open(str(target), readonly=readonly, create=create, tagged=tagged)
    return SqliteEngine.open(Path(target), readonly=readonly, create=create, tagged=tagged)
