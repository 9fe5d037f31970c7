"""Key files written before the last-used column gain it at opening; the day of use is recorded."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from datetime import UTC, datetime
from pathlib import Path

from proxy.keystore import KeyStore
from proxy.roles import Role

OLD_SCHEMA = """
CREATE TABLE api_keys (
    key_id TEXT PRIMARY KEY, secret_sha256 TEXT NOT NULL, user TEXT NOT NULL, service TEXT NOT NULL,
    role TEXT NOT NULL DEFAULT 'agent', created_at TEXT NOT NULL, expires_at TEXT, revoked_at TEXT
)
"""


def test_an_old_key_file_is_migrated_and_its_keys_still_work(tmp_path: Path) -> None:
    path = tmp_path / "keys.sqlite"
    with closing(sqlite3.connect(path)) as db, db:
        db.execute(OLD_SCHEMA)
    # a key created by the previous code: insert through today's store, then drop the new column
    key = KeyStore(path).create(user="agent.ancien", service="urbanisme")
    with closing(sqlite3.connect(path)) as db, db:
        db.execute("ALTER TABLE api_keys DROP COLUMN last_used_at")
    store = KeyStore(path)  # opening migrates
    [record] = store.list()
    assert record.last_used_at is None and record.role is Role.AGENT
    assert store.authenticate(key.secret_key) is not None
    assert store.list()[0].last_used_at == datetime.now(UTC).date().isoformat()


def test_the_day_of_use_is_written_once_a_day(tmp_path: Path) -> None:
    store = KeyStore(tmp_path / "keys.sqlite")
    key = store.create(user="agent.a", service="rh")
    assert store.list()[0].last_used_at is None
    first = store.authenticate(key.secret_key)
    second = store.authenticate(key.secret_key)
    assert first is not None and second is not None
    assert second.last_used_at == datetime.now(UTC).date().isoformat()
