"""The SQLite register file: append-only schema, chained appends, checkpoints, purge, backup.

The only module that talks to SQLite (through sqlite-utils). Each write is one `BEGIN IMMEDIATE`
transaction, so several threads and several worker processes appending to one file serialise on
SQLite's write lock and the hash chain stays linear. WAL mode with `synchronous=FULL`: a committed
row survives a crash of the process or of the machine.
"""

from __future__ import annotations

import json
import logging
import sqlite3
import threading
import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import sqlite_utils

from proxy.register.chain import FORMAT_VERSION, GENESIS, canonical_json, row_hash
from proxy.register.entry import RegisterEntry
from proxy.register.head import alarm_entry, unexplained
from proxy.register.journal import OffHostStream
from proxy.register.records import (
    Alarm,
    Checkpoint,
    Head,
    PurgeRecord,
    RetentionRecord,
    RowFilter,
    journal_line,
    signed_message,
)
from proxy.register.schema import OPTIONAL_COLUMNS, TRIGGER_NAMES, schema_sql
from proxy.register.signing import Signer, load_or_create_signer, load_signer

log = logging.getLogger(__name__)

BUSY_TIMEOUT_S = 60.0
DEFAULT_CHECKPOINT_EVERY = 100
DEFAULT_CHECKPOINT_INTERVAL_S = 600.0


class RegisterError(RuntimeError):
    """A register that cannot be opened or written as asked (French message)."""


TS_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"


def _system_clock() -> datetime:
    return datetime.now(UTC)


Clock = Callable[[], datetime]


class Register:
    """An open register file. Thread-safe; one instance per process."""

    def __init__(
        self, db: sqlite_utils.Database, path: Path, signer: Signer | None, options: _Options
    ) -> None:
        self._db = db
        self.path = path
        self.signer = signer
        self._options = options
        self._lock = threading.Lock()
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
        path: Path,
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
        """Open (creating if asked) the register; sign checkpoints if a key path is given.

        A checkpoint seals the head every `checkpoint_every` rows, and also at the first append
        once the last checkpoint is `checkpoint_interval_s` old (quiet hours), and at close.

        `readonly` opens an existing register for reading only (verify, export, stats): nothing
        is written, not even the schema. `retention_months`, when it differs from the retention
        recorded last, is recorded (signed, and sent to the off-host stream with the checkpoints:
        `checkpoint_journal` file, `syslog` address).
        """
        if (readonly or not create) and not path.exists():
            raise RegisterError(f"Registre introuvable : {path}")
        signer = _signer(signing_key_path, create_key) if signing_key_path else None
        every = max(1, checkpoint_every)
        options = _Options(every, checkpoint_interval_s, checkpoint_journal, readonly, syslog, clock)
        try:
            db = _connect_readonly(path) if readonly else _connect_and_prepare(path, signer is not None)
            register = cls(db, path, signer, options)
        except sqlite3.DatabaseError as exc:
            raise RegisterError(f"{path} : registre illisible ({exc}).") from exc
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
            latest = self._db.execute("SELECT months FROM retention ORDER BY id DESC LIMIT 1").fetchone()
            if latest is not None and int(latest[0]) == months:
                return None
            unsigned = RetentionRecord(self._now(), months, signer.public.key_id, "")
            message = signed_message("retention", self.register_id, unsigned.signed_fields())
            record = unsigned.signed(signer.sign(message))
            self._send_off_host("retention", record)
            self._db.table("retention").insert(record.to_row())
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
            self._db.execute("DELETE FROM entries WHERE seq <= ?", [through.seq])
            self._db.execute("DELETE FROM row_macs WHERE seq <= ?", [through.seq])
        return record

    def close(self) -> None:
        """Seal the head (when a key is configured) and close the connection."""
        if self.signer is not None and not self._options.readonly:
            try:
                self.checkpoint()
            except sqlite3.Error as exc:
                log.warning("register: final checkpoint failed (%s)", type(exc).__name__)
        self._db.close()

    # -- reading -----------------------------------------------------------------------------

    def rows(self, where: RowFilter | None = None) -> Iterator[dict[str, Any]]:
        """Stored rows in chain order, optionally filtered (filters are for exports, not verify)."""
        clause, params = (where or RowFilter()).sql()
        return self._db.query(f"SELECT * FROM entries {clause} ORDER BY seq", params)  # noqa: S608

    def page(self, where: RowFilter, *, offset: int, limit: int) -> list[dict[str, Any]]:
        """One page of the rows matching `where`, newest first (the admin's register browser)."""
        clause, params = where.sql()
        sql = f"SELECT * FROM entries {clause} ORDER BY seq DESC LIMIT ? OFFSET ?"  # noqa: S608
        return list(self._db.query(sql, [*params, limit, offset]))

    def count_where(self, where: RowFilter) -> int:
        clause, params = where.sql()
        return int(self._db.execute(f"SELECT COUNT(*) FROM entries {clause}", params).fetchone()[0])  # noqa: S608

    def row(self, seq: int) -> dict[str, Any] | None:
        rows = list(self._db.query("SELECT * FROM entries WHERE seq = ?", [seq]))
        return rows[0] if rows else None

    def distinct_values(self) -> dict[str, list[str]]:
        """The values met in each browsable column, and every rule id (applied or observed): the
        choices of the register browser's filters, in one pass over the rows."""
        columns = ", ".join(_BROWSABLE)
        sql = f"SELECT DISTINCT {columns}, rule_ids, observed_rule_ids FROM entries"  # noqa: S608
        found: dict[str, set[str]] = {name: set() for name in (*_BROWSABLE, "rules")}
        for row in self._db.execute(sql).fetchall():
            for name, value in zip(_BROWSABLE, row, strict=False):
                if value is not None:
                    found[name].add(str(value))
            for rules in row[len(_BROWSABLE) :]:
                found["rules"].update(json.loads(rules or "[]"))
        return {name: sorted(values) for name, values in found.items()}

    def first_and_last_ts(self) -> tuple[str | None, str | None]:
        row = self._db.execute("SELECT MIN(ts), MAX(ts) FROM entries").fetchone()
        return row[0], row[1]

    def last_checkpoint(self) -> Checkpoint | None:
        with self._lock:  # the connection is shared with the writer thread
            return self._last_checkpoint()

    def checkpoints(self) -> list[Checkpoint]:
        rows = self._db.query("SELECT * FROM checkpoints ORDER BY id")
        return [Checkpoint.from_row(row) for row in rows]

    def purges(self) -> list[PurgeRecord]:
        return [PurgeRecord.from_row(row) for row in self._db.query("SELECT * FROM purges ORDER BY id")]

    def retention_records(self) -> list[RetentionRecord]:
        if not self._db["retention"].exists():
            return []
        rows = self._db.query("SELECT * FROM retention ORDER BY id")
        return [RetentionRecord.from_row(row) for row in rows]

    def row_macs(self) -> dict[int, str]:
        """The writers' tags of the rows not yet sealed."""
        if not self._db["row_macs"].exists():
            return {}
        return {int(row[0]): str(row[1]) for row in self._db.execute("SELECT seq, mac FROM row_macs")}

    def macs_from(self) -> int | None:
        """First row tagged by its writer (older registers: rows before this version are not)."""
        row = self._db.execute("SELECT value FROM meta WHERE key = 'macs_from'").fetchone()
        return int(row[0]) if row is not None else None

    def count(self) -> int:
        return int(self._db.execute("SELECT COUNT(*) FROM entries").fetchone()[0])

    def head(self) -> Head:
        return self._head()

    def missing_triggers(self) -> list[str]:
        """Append-only triggers absent from the file (dropped by someone with write access)."""
        present = {
            row["name"] for row in self._db.query("SELECT name FROM sqlite_master WHERE type = 'trigger'")
        }
        return sorted(set(TRIGGER_NAMES) - present)

    def integrity_check(self) -> str:
        return str(self._db.execute("PRAGMA integrity_check").fetchone()[0])

    def backup(self, destination: Path) -> None:
        """Consistent copy with SQLite's online backup API (safe while the proxy writes)."""
        if destination.exists():
            raise RegisterError(f"La destination existe déjà : {destination}")
        destination.parent.mkdir(parents=True, exist_ok=True)
        target = sqlite3.connect(destination)
        try:
            self._db.conn.backup(target)
        finally:
            target.close()

    # -- internals ---------------------------------------------------------------------------

    def _now(self) -> str:
        return self._options.clock().strftime(TS_FORMAT)

    def _write(self) -> _WriteTransaction:
        return _WriteTransaction(self._db, self._lock)

    def _meta(self, key: str) -> str:
        row = self._db.execute("SELECT value FROM meta WHERE key = ?", [key]).fetchone()
        if row is None:
            raise RegisterError(f"Registre incomplet : métadonnée {key} absente.")
        return str(row[0])

    def _head(self) -> Head:
        row = self._db.execute("SELECT seq, hash FROM entries ORDER BY seq DESC LIMIT 1").fetchone()
        if row is None:
            row = self._db.execute(
                "SELECT through_seq, through_hash FROM purges ORDER BY id DESC LIMIT 1"
            ).fetchone()
        return Head(0, GENESIS) if row is None else Head(int(row[0]), str(row[1]))

    def _insert(self, entry: RegisterEntry, head: Head, inserted: list[dict[str, Any]] | None = None) -> Head:
        row = entry_row(entry, seq=head.seq + 1, ts=self._now(), prev_hash=head.hash)
        row["hash"] = row_hash(row)
        if inserted is not None:
            inserted.append(row)
        columns = ", ".join(f'"{name}"' for name in row)
        marks = ", ".join("?" for _ in row)
        self._db.execute(f"INSERT INTO entries ({columns}) VALUES ({marks})", list(row.values()))  # noqa: S608
        if self.signer is not None:
            mac = self.signer.mac(row["hash"])
            self._db.execute("INSERT OR REPLACE INTO row_macs (seq, mac) VALUES (?, ?)", [row["seq"], mac])
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
        rows = self._db.query("SELECT * FROM entries WHERE seq > ? ORDER BY seq", [anchor.seq])
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
        row = self._db.execute(
            "SELECT through_seq, through_hash FROM purges ORDER BY id DESC LIMIT 1"
        ).fetchone()
        return Head(0, GENESIS) if row is None else Head(int(row[0]), str(row[1]))

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
        self._db.execute("SAVEPOINT seal")
        try:
            checkpoint = self._insert_checkpoint(head, signer)
            self._db.execute("DELETE FROM row_macs WHERE seq <= ?", [head.seq])
            self._send_off_host("checkpoint", checkpoint)
        except OSError as exc:
            self._db.execute("ROLLBACK TO seal")
            self._db.execute("RELEASE seal")
            log.warning("register: checkpoint not made, off-host stream not written (%s)", type(exc).__name__)
            return []
        self._db.execute("RELEASE seal")
        return [checkpoint]

    def _send_off_host(self, kind: str, record: Checkpoint | PurgeRecord | RetentionRecord | Alarm) -> None:
        self._stream.send([journal_line(kind, self.register_id, record)])

    def _highest_checkpoint(self) -> Checkpoint | None:
        rows = list(self._db.query("SELECT * FROM checkpoints ORDER BY seq DESC, id DESC LIMIT 1"))
        return Checkpoint.from_row(rows[0]) if rows else None

    def _last_checkpoint(self) -> Checkpoint | None:
        rows = list(self._db.query("SELECT * FROM checkpoints ORDER BY id DESC LIMIT 1"))
        return Checkpoint.from_row(rows[0]) if rows else None

    def _insert_checkpoint(self, head: Head, signer: Signer) -> Checkpoint:
        key_id = signer.public.key_id
        unsigned = Checkpoint(ts=self._now(), seq=head.seq, hash=head.hash, key_id=key_id, signature="")
        message = signed_message("checkpoint", self.register_id, unsigned.signed_fields())
        checkpoint = unsigned.signed(signer.sign(message))
        self._db.table("checkpoints").insert(checkpoint.to_row())
        return checkpoint

    def _purge_boundary(self, cutoff: str) -> Checkpoint | None:
        young = self._db.execute("SELECT MIN(seq) FROM entries WHERE ts >= ?", [cutoff]).fetchone()[0]
        limit = self._head().seq + 1 if young is None else int(young)
        anchor = self._db.execute("SELECT MIN(seq) FROM entries").fetchone()[0]
        rows = list(
            self._db.query(
                "SELECT * FROM checkpoints WHERE seq < ? AND seq >= ? AND ts < ? ORDER BY seq DESC LIMIT 1",
                [limit, anchor if anchor is not None else limit, cutoff],
            )
        )
        return Checkpoint.from_row(rows[0]) if rows else None

    def _insert_purge(self, through: Checkpoint, cutoff: str, months: int, signer: Signer) -> PurgeRecord:
        deleted = self._db.execute("SELECT COUNT(*) FROM entries WHERE seq <= ?", [through.seq]).fetchone()[0]
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
        self._db.table("purges").insert(record.to_row())
        return record

    def _committed(self, rows: list[dict[str, Any]], checkpoints: list[Checkpoint]) -> None:
        if self.on_commit is not None and (rows or checkpoints):
            self.on_commit(rows, checkpoints)

    def _require_signer(self) -> Signer:
        if self.signer is None:
            raise RegisterError("Aucune clé de signature configurée : impossible de sceller le registre.")
        return self.signer


_BROWSABLE = ("service", "model", "routed_model", "endpoint", "decision", "task")


@dataclass(frozen=True, slots=True)
class _Options:
    checkpoint_every: int
    checkpoint_interval_s: float
    checkpoint_journal: Path | None
    readonly: bool
    syslog: str | None = None
    clock: Clock = _system_clock  # UTC now (tests move it to purge what is old enough)


class _WriteTransaction:
    """`with`: thread lock + BEGIN IMMEDIATE (process-wide write lock) ... COMMIT or ROLLBACK."""

    def __init__(self, db: sqlite_utils.Database, lock: threading.Lock) -> None:
        self._db = db
        self._lock = lock

    def __enter__(self) -> None:
        self._lock.acquire()
        try:
            self._db.execute("BEGIN IMMEDIATE")
        except BaseException:
            self._lock.release()
            raise

    def __exit__(self, exc_type: object, exc: object, traceback: object) -> None:
        try:
            if exc_type is None:
                self._db.execute("COMMIT")
            else:
                self._db.rollback()
        finally:
            self._lock.release()


def _retention_cutoff(now: datetime, months: int) -> str:
    from proxy.register.retention import cutoff  # retention imports this module

    return cutoff(now, months)


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


def _connect(path: Path) -> sqlite_utils.Database:
    conn = sqlite3.connect(path, timeout=BUSY_TIMEOUT_S, check_same_thread=False)
    db = sqlite_utils.Database(conn)
    with db.ensure_autocommit_on():
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=FULL")
    return db


def _signer(path: Path, create: bool) -> Signer:
    if create:
        return load_or_create_signer(path)
    if not path.exists():
        raise RegisterError(f"Clé de signature introuvable : {path} (option --key ou register_key).")
    return load_signer(path)


def _connect_and_prepare(path: Path, tagged: bool) -> sqlite_utils.Database:
    path.parent.mkdir(parents=True, exist_ok=True)
    db = _connect(path)
    _ensure_schema(db, tagged)
    return db


def _add_optional_columns(db: sqlite_utils.Database) -> None:
    """Columns added since the register's first format, for registers created before them."""
    present = {row[1] for row in db.execute("PRAGMA table_info(entries)").fetchall()}
    for name, sql_type in OPTIONAL_COLUMNS.items():
        if name not in present:
            db.execute(f"ALTER TABLE entries ADD COLUMN {name} {sql_type}")


def _connect_readonly(path: Path) -> sqlite_utils.Database:
    uri = path.resolve().as_uri() + "?mode=ro"
    conn = sqlite3.connect(uri, uri=True, timeout=BUSY_TIMEOUT_S, check_same_thread=False)
    return sqlite_utils.Database(conn)


def _ensure_schema(db: sqlite_utils.Database, tagged: bool) -> None:
    db.execute("BEGIN IMMEDIATE")
    try:
        db.executescript(schema_sql())
        _add_optional_columns(db)
        db.execute(
            "INSERT OR IGNORE INTO meta (key, value) VALUES ('register_id', ?), ('format', ?)",
            [str(uuid.uuid4()), str(FORMAT_VERSION)],
        )
        # Rows from here on carry their writer's tag (row_macs); older ones (written before this
        # version, or without a signing key) predate the tags.
        if tagged:
            newest = db.execute("SELECT MAX(seq) FROM entries").fetchone()[0]
            first = str((newest or 0) + 1)
            db.execute("INSERT OR IGNORE INTO meta (key, value) VALUES ('macs_from', ?)", [first])
    except BaseException:
        db.rollback()
        raise
    db.execute("COMMIT")
