"""Charter acknowledgements: who accepted which version of the charter, and when.

Kept apart from the usage register (its own small SQLite file), so that reading or exporting one
never reveals the other. Exports give counts per service only, never a list of agents.
"""

from __future__ import annotations

import sqlite3
import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol

from proxy.settings import Settings

_SCHEMA = """
CREATE TABLE IF NOT EXISTS acknowledgements (
    user TEXT NOT NULL,
    service TEXT NOT NULL,
    version TEXT NOT NULL,
    charter_sha256 TEXT NOT NULL,
    acknowledged_at TEXT NOT NULL,
    PRIMARY KEY (user, version, charter_sha256)
)
"""


@dataclass(frozen=True, slots=True)
class AckCount:
    service: str
    version: str
    charter_sha256: str
    agents: int


class Acks(Protocol):
    """Who acknowledged which charter: this SQLite file, or PostgreSQL for several instances
    (proxy/governance/acks_pg.py)."""

    def has(self, user: str, version: str, sha256: str) -> bool: ...

    def add(self, user: str, service: str, version: str, sha256: str) -> None: ...

    def counts(self, since: str | None = None, until: str | None = None) -> list[AckCount]: ...

    def close(self) -> None: ...


def acks_path(settings: Settings) -> Path:
    """Beside the register's data, in its own file."""
    return settings.data_dir / "charter-acknowledgements.sqlite"


class AckStore:
    """A small SQLite table; safe to share between threads (one connection, one lock)."""

    def __init__(self, path: Path, *, readonly: bool = False) -> None:
        if readonly:
            self._db = sqlite3.connect(f"file:{path}?mode=ro", uri=True, check_same_thread=False)
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute(_SCHEMA)
        self._lock = threading.Lock()
        self._known: set[tuple[str, str, str]] = set()  # acknowledged: never revoked, so cached

    def has(self, user: str, version: str, sha256: str) -> bool:
        key = (user, version, sha256)
        if key in self._known:
            return True
        with self._lock:
            row = self._db.execute(
                "SELECT 1 FROM acknowledgements WHERE user = ? AND version = ? AND charter_sha256 = ?",
                key,
            ).fetchone()
        if row is not None:
            self._known.add(key)
        return row is not None

    def add(self, user: str, service: str, version: str, sha256: str) -> None:
        now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        with self._lock:
            self._db.execute(
                "INSERT OR IGNORE INTO acknowledgements VALUES (?, ?, ?, ?, ?)",
                (user, service, version, sha256, now),
            )
        self._known.add((user, version, sha256))

    def counts(self, since: str | None = None, until: str | None = None) -> list[AckCount]:
        """Agents who acknowledged, per service and charter version (dates: YYYY-MM-DD, `until` excluded)."""
        query = (
            "SELECT service, version, charter_sha256, COUNT(*) FROM acknowledgements "
            "WHERE acknowledged_at >= ? AND acknowledged_at < ? "
            "GROUP BY service, version, charter_sha256 ORDER BY service, version"
        )
        with self._lock:
            rows = self._db.execute(query, (since or "", until or "9999")).fetchall()
        return [AckCount(*row) for row in rows]

    def close(self) -> None:
        with self._lock:
            self._db.close()
