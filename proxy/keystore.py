"""API keys: shown once, stored hashed, found by their public id, compared in constant time.

A key reads `gf_<id>_<secret>`; only sha256(secret) is stored. Everything else (the register, logs)
refers to a key by its id.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import sqlite3
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

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


@dataclass(frozen=True, slots=True)
class KeyRecord:
    key_id: str
    user: str
    service: str
    role: str
    created_at: str
    expires_at: str | None
    revoked_at: str | None

    def is_active(self, now: datetime) -> bool:
        if self.revoked_at is not None:
            return False
        return self.expires_at is None or now < datetime.fromisoformat(self.expires_at)


@dataclass(frozen=True, slots=True)
class NewKey:
    record: KeyRecord
    secret_key: str  # the full key, to show once


class KeyStore:
    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        with self._connect() as db:
            db.execute(_SCHEMA)

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        with closing(sqlite3.connect(self.path, timeout=30)) as db, db:
            yield db

    def create(
        self, *, user: str, service: str, role: str = "agent", expires_at: datetime | None = None
    ) -> NewKey:
        key_id, secret = secrets.token_hex(6), secrets.token_urlsafe(32)
        now = datetime.now(UTC).isoformat(timespec="seconds")
        expires = expires_at.isoformat(timespec="seconds") if expires_at else None
        with self._connect() as db:
            db.execute(
                "INSERT INTO api_keys VALUES (?, ?, ?, ?, ?, ?, ?, NULL)",
                (key_id, _digest(secret), user, service, role, now, expires),
            )
        record = KeyRecord(key_id, user, service, role, now, expires, None)
        return NewKey(record, f"gf_{key_id}_{secret}")

    def authenticate(self, presented: str, now: datetime | None = None) -> KeyRecord | None:
        """The active key record matching `presented`, or None (unknown, wrong, expired, revoked)."""
        key_id, secret = _split(presented)
        if key_id is None:
            return None
        with self._connect() as db:
            row = db.execute("SELECT * FROM api_keys WHERE key_id = ?", (key_id,)).fetchone()
        if row is None or not hmac.compare_digest(row[1], _digest(secret)):
            return None
        record = KeyRecord(row[0], *row[2:])
        return record if record.is_active(now or datetime.now(UTC)) else None

    def list(self) -> list[KeyRecord]:
        with self._connect() as db:
            rows = db.execute("SELECT * FROM api_keys ORDER BY created_at").fetchall()
        return [KeyRecord(row[0], *row[2:]) for row in rows]

    def revoke(self, key_id: str) -> bool:
        now = datetime.now(UTC).isoformat(timespec="seconds")
        with self._connect() as db:
            cursor = db.execute(
                "UPDATE api_keys SET revoked_at = ? WHERE key_id = ? AND revoked_at IS NULL",
                (now, key_id),
            )
        return cursor.rowcount == 1


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _split(presented: str) -> tuple[str | None, str]:
    parts = presented.split("_", 2)
    if len(parts) != 3 or parts[0] != "gf" or len(parts[1]) != 12 or not parts[2]:
        return None, ""
    return parts[1], parts[2]
