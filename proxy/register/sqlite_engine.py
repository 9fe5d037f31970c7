"""The SQLite register file: the embedded default engine, for one machine.

The only module that talks to SQLite (through sqlite-utils). Each write is one `BEGIN IMMEDIATE`
transaction, so several threads and several worker processes appending to one file serialise on
SQLite's write lock and the hash chain stays linear. WAL mode with `synchronous=FULL`: a committed
row survives a crash of the process or of the machine.
"""

from __future__ import annotations

import sqlite3
import threading
import uuid
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import sqlite_utils

from proxy.register.chain import FORMAT_VERSION
from proxy.register.engine import RegisterError, insert_sql
from proxy.register.schema import OPTIONAL_COLUMNS, TRIGGER_NAMES, schema_sql

BUSY_TIMEOUT_S = 60.0

_HAS_RULE = (
    "(EXISTS (SELECT 1 FROM json_each(entries.rule_ids) WHERE value = ?)"
    " OR EXISTS (SELECT 1 FROM json_each(COALESCE(entries.observed_rule_ids, '[]')) WHERE value = ?))"
)


class SqliteEngine:
    """One connection to a register file, shared by the threads of a process (under a lock)."""

    has_rule_sql = _HAS_RULE

    def __init__(self, db: sqlite_utils.Database, path: Path) -> None:
        self._db = db
        self.path: Path | None = path
        self.location = str(path)
        self._lock = threading.Lock()

    @classmethod
    def open(cls, path: Path, *, readonly: bool, create: bool, tagged: bool) -> SqliteEngine:
        if (readonly or not create) and not path.exists():
            raise RegisterError(f"Registre introuvable : {path}")
        try:
            db = _connect_readonly(path) if readonly else _connect_and_prepare(path, tagged)
        except sqlite3.DatabaseError as exc:
            raise RegisterError(f"{path} : registre illisible ({exc}).") from exc
        return cls(db, path)

    def query(self, sql: str, params: Sequence[Any] = ()) -> Iterator[dict[str, Any]]:
        return self._db.query(sql, list(params))

    def all(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        return list(self._db.execute(sql, list(params)).fetchall())

    def one(self, sql: str, params: Sequence[Any] = ()) -> tuple[Any, ...] | None:
        row = self._db.execute(sql, list(params)).fetchone()
        return None if row is None else tuple(row)

    def run(self, sql: str, params: Sequence[Any] = ()) -> None:
        self._db.execute(sql, list(params))

    def scan(self, clause: str, params: Sequence[Any]) -> Iterator[dict[str, Any]]:
        return self._db.query(f"SELECT * FROM entries {clause} ORDER BY seq", list(params))  # noqa: S608

    def insert(self, table: str, row: Mapping[str, Any]) -> None:
        self.run(*insert_sql(table, row))

    def append_row(self, row: Mapping[str, Any], mac: str | None) -> None:
        """A row at the head, and its writer's tag (when the writer has a key)."""
        self.run(*insert_sql("entries", row))
        if mac is not None:
            self.run("INSERT OR REPLACE INTO row_macs (seq, mac) VALUES (?, ?)", [row["seq"], mac])

    def delete_through(self, seq: int) -> None:
        self.run("DELETE FROM entries WHERE seq <= ?", [seq])
        self.run("DELETE FROM row_macs WHERE seq <= ?", [seq])

    @contextmanager
    def write(self) -> Iterator[None]:
        """Thread lock + BEGIN IMMEDIATE (the file's write lock) ... COMMIT, or ROLLBACK."""
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield
            except BaseException:
                self._db.rollback()
                raise
            self._db.execute("COMMIT")

    @contextmanager
    def savepoint(self) -> Iterator[None]:
        """Inside a write: what the block did is undone if it raises."""
        self._db.execute("SAVEPOINT seal")
        try:
            yield
        except BaseException:
            self._db.execute("ROLLBACK TO seal")
            self._db.execute("RELEASE seal")
            raise
        self._db.execute("RELEASE seal")

    @contextmanager
    def reading(self) -> Iterator[None]:
        """A read from a thread other than the writer's (the connection is shared)."""
        with self._lock:
            yield

    def has_table(self, name: str) -> bool:
        return bool(self._db[name].exists())

    def missing_triggers(self) -> list[str]:
        """Append-only triggers absent from the file (dropped by someone with write access)."""
        rows = self._db.query("SELECT name FROM sqlite_master WHERE type = 'trigger'")
        return sorted(set(TRIGGER_NAMES) - {row["name"] for row in rows})

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

    def close(self) -> None:
        self._db.close()


def _connect(path: Path) -> sqlite_utils.Database:
    conn = sqlite3.connect(path, timeout=BUSY_TIMEOUT_S, check_same_thread=False)
    db = sqlite_utils.Database(conn)
    with db.ensure_autocommit_on():
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=FULL")
    return db


def _connect_and_prepare(path: Path, tagged: bool) -> sqlite_utils.Database:
    path.parent.mkdir(parents=True, exist_ok=True)
    db = _connect(path)
    _ensure_schema(db, tagged)
    return db


def _connect_readonly(path: Path) -> sqlite_utils.Database:
    uri = path.resolve().as_uri() + "?mode=ro"
    conn = sqlite3.connect(uri, uri=True, timeout=BUSY_TIMEOUT_S, check_same_thread=False)
    return sqlite_utils.Database(conn)


def _add_optional_columns(db: sqlite_utils.Database) -> None:
    """Columns added since the register's first format, for registers created before them."""
    present = {row[1] for row in db.execute("PRAGMA table_info(entries)").fetchall()}
    for name, sql_type in OPTIONAL_COLUMNS.items():
        if name not in present:
            db.execute(f"ALTER TABLE entries ADD COLUMN {name} {sql_type}")


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
