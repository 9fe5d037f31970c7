"""API keys: shown once, stored hashed, found by their public id, compared in constant time.

A key reads `gf_<id>_<secret>`: 12 hex digits of id, 43 characters of random secret (256 bits).
Only sha256(secret) is stored (a slow hash adds nothing to 256 bits of entropy). Everything else
(the register, logs, the admin pages) refers to a key by its id.

`KeyStore` keeps them in a SQLite file (one machine); proxy/keystore_pg.py in PostgreSQL (several
instances). Both answer the `Keys` protocol the identity layer, the admin API and the CLI use.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re
import secrets
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol

from proxy.roles import Role, is_identifier

_SCHEMA = """
CREATE TABLE IF NOT EXISTS api_keys (
    key_id TEXT PRIMARY KEY,
    secret_sha256 TEXT NOT NULL,
    user TEXT NOT NULL,
    service TEXT NOT NULL,
    role TEXT NOT NULL DEFAULT 'agent',
    created_at TEXT NOT NULL,
    expires_at TEXT,
    revoked_at TEXT
)
"""
_COLUMNS = "key_id, user, service, role, created_at, expires_at, revoked_at, last_used_at"
# Columns added since the first format; files created before them gain them at opening.
_ADDED_COLUMNS = {"last_used_at": "TEXT"}
_KEY = re.compile(r"^gf_([0-9a-f]{12})_([A-Za-z0-9_\-]{20,100})$")
KEY_ID = re.compile(r"^[0-9a-f]{12}$")
# Compared against when the id is unknown, so that unknown and wrong keys take the same time.
DUMMY_DIGEST = hashlib.sha256(b"gardefou-unknown-key").hexdigest()


class KeyRequestError(ValueError):
    """A key that cannot be created as asked (French message)."""


@dataclass(frozen=True, slots=True)
class KeyRecord:
    key_id: str
    user: str
    service: str
    role: Role
    created_at: str
    expires_at: str | None
    revoked_at: str | None
    # The last day (UTC, AAAA-MM-JJ) the key was used; a day, not a time: it tells the admin which
    # keys lie dormant, not when an agent works. Not part of a record's identity.
    last_used_at: str | None = field(default=None, compare=False)

    def is_active(self, now: datetime) -> bool:
        if self.revoked_at is not None:
            return False
        return self.expires_at is None or now < datetime.fromisoformat(self.expires_at)

    def state(self, now: datetime) -> str:
        """French state for listings."""
        if self.revoked_at is not None:
            return "révoquée"
        return "active" if self.is_active(now) else "expirée"


@dataclass(frozen=True, slots=True)
class NewKey:
    record: KeyRecord
    secret_key: str  # the full key, to show once


class Keys(Protocol):
    """What the identity layer, the admin API and the CLI ask of a key store."""

    def create(
        self, *, user: str, service: str, role: Role = Role.AGENT, expires_at: datetime | None = None
    ) -> NewKey: ...

    def authenticate(self, presented: str, now: datetime | None = None) -> KeyRecord | None: ...

    def get(self, key_id: str) -> KeyRecord | None: ...

    def list(self) -> list[KeyRecord]: ...

    def revoke(self, key_id: str) -> bool: ...

    def close(self) -> None: ...


@dataclass(frozen=True, slots=True)
class KeyDraft:
    """A key about to be stored: its record, its digest, and the full key to show once."""

    record: KeyRecord
    digest: str
    secret_key: str


def draft_key(user: str, service: str, role: Role, expires_at: datetime | None) -> KeyDraft:
    """A new key, checked (KeyRequestError otherwise): the store only has to write it."""
    if expires_at is not None and expires_at.tzinfo is None:
        expires_at = expires_at.replace(tzinfo=UTC)
    check_new(user, service, role, expires_at)
    key_id, secret = secrets.token_hex(6), secrets.token_urlsafe(32)
    now = datetime.now(UTC).isoformat(timespec="seconds")
    expires = expires_at.astimezone(UTC).isoformat(timespec="seconds") if expires_at else None
    record = KeyRecord(key_id, user, service, Role(role), now, expires, None)
    return KeyDraft(record, digest(secret), f"gf_{key_id}_{secret}")


def split_key(presented: str) -> tuple[str, str] | None:
    """(key id, secret) of a well-formed key, else None."""
    match = _KEY.match(presented)
    return None if match is None else (match.group(1), match.group(2))


def day_of(now: datetime) -> str:
    """The day (UTC) a key is noted as used: a day, never a time."""
    return now.astimezone(UTC).date().isoformat()


class KeyStore:
    """API keys in a SQLite file (the single-machine default)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._readers = threading.local()
        path.parent.mkdir(parents=True, exist_ok=True)
        path.touch(mode=0o600)
        os.chmod(path, 0o600)  # hashes only, but nobody else needs to read them
        with self._connect() as db:
            # WAL: reading a key never waits for a writer (`keys create/revoke`), so the server can
            # authenticate on its event loop; the -wal/-shm files take the database file's mode.
            db.execute("PRAGMA journal_mode=WAL")
            db.execute(_SCHEMA)
            _migrate(db)

    def _reader(self) -> sqlite3.Connection:
        """This thread's long-lived read connection: authentication runs on every request, and
        opening the file each time cost more than the query. Each query still sees the latest
        committed state (a key revoked by `gardefou keys revoke` is refused at once)."""
        reader: sqlite3.Connection | None = getattr(self._readers, "db", None)
        if reader is None:
            reader = sqlite3.connect(self.path, timeout=30, isolation_level=None)
            self._readers.db = reader
        return reader

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        with closing(sqlite3.connect(self.path, timeout=30)) as db, db:
            yield db

    def create(
        self, *, user: str, service: str, role: Role = Role.AGENT, expires_at: datetime | None = None
    ) -> NewKey:
        """A new key; the caller decides whether the role may be granted (CLI: any; HTTP: see roles)."""
        draft = draft_key(user, service, role, expires_at)
        record = draft.record
        with self._connect() as db:
            db.execute(
                "INSERT INTO api_keys (key_id, secret_sha256, user, service, role, created_at, expires_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?)",
                (record.key_id, draft.digest, user, service, str(role), record.created_at, record.expires_at),
            )
        return NewKey(record, draft.secret_key)

    def authenticate(self, presented: str, now: datetime | None = None) -> KeyRecord | None:
        """The active key matching `presented`, or None (malformed, unknown, wrong, expired, revoked)."""
        parts = split_key(presented)
        if parts is None:
            return None
        key_id, secret = parts
        row = (
            self._reader()
            .execute(
                f"SELECT secret_sha256, {_COLUMNS} FROM api_keys WHERE key_id = ?",  # noqa: S608
                (key_id,),
            )
            .fetchone()
        )
        stored = row[0] if row else DUMMY_DIGEST
        if not hmac.compare_digest(stored, digest(secret)) or row is None:
            return None
        record = record_from_row(row[1:])
        moment = now or datetime.now(UTC)
        if not record.is_active(moment):
            return None
        self._note_use(record, moment)
        return record

    def _note_use(self, record: KeyRecord, now: datetime) -> None:
        """Record the day of use, once per key and day (one small write a day, not per request)."""
        today = day_of(now)
        if record.last_used_at == today:
            return
        try:
            self._reader().execute(
                "UPDATE api_keys SET last_used_at = ? WHERE key_id = ?", (today, record.key_id)
            )
        except sqlite3.OperationalError:  # a read-only or busy file: the date is a convenience
            return

    def get(self, key_id: str) -> KeyRecord | None:
        if not KEY_ID.match(key_id):
            return None
        with self._connect() as db:
            row = db.execute(f"SELECT {_COLUMNS} FROM api_keys WHERE key_id = ?", (key_id,)).fetchone()  # noqa: S608
        return record_from_row(row) if row else None

    def list(self) -> list[KeyRecord]:
        with self._connect() as db:
            rows = db.execute(f"SELECT {_COLUMNS} FROM api_keys ORDER BY created_at, key_id").fetchall()  # noqa: S608
        return [record_from_row(row) for row in rows]

    def revoke(self, key_id: str) -> bool:
        if not KEY_ID.match(key_id):
            return False
        now = datetime.now(UTC).isoformat(timespec="seconds")
        with self._connect() as db:
            cursor = db.execute(
                "UPDATE api_keys SET revoked_at = ? WHERE key_id = ? AND revoked_at IS NULL",
                (now, key_id),
            )
        return cursor.rowcount == 1

    def close(self) -> None:
        """Nothing to release: each thread's reader closes with its thread."""


def check_new(user: str, service: str, role: Role, expires_at: datetime | None) -> None:
    if not is_identifier(user) or not is_identifier(service):
        raise KeyRequestError(
            "Utilisateur et service : 1 à 120 caractères parmi lettres, chiffres et . @ + - _ (sans espace)."
        )
    if role not in set(Role):
        raise KeyRequestError(f"Rôle inconnu : {role!r} (rôles : {', '.join(Role)}).")
    if expires_at is not None and expires_at <= datetime.now(UTC):
        raise KeyRequestError("La date d'expiration est déjà passée.")


def record_from_row(row: tuple[str, ...]) -> KeyRecord:
    key_id, user, service, role, created_at, expires_at, revoked_at, last_used_at = row
    return KeyRecord(key_id, user, service, Role(role), created_at, expires_at, revoked_at, last_used_at)


def _migrate(db: sqlite3.Connection) -> None:
    present = {row[1] for row in db.execute("PRAGMA table_info(api_keys)").fetchall()}
    for name, sql_type in _ADDED_COLUMNS.items():
        if name not in present:
            db.execute(f"ALTER TABLE api_keys ADD COLUMN {name} {sql_type}")


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()
