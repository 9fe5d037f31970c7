"""API keys in PostgreSQL (`keys_url`): one store for every instance behind the load balancer.

The same keys as the SQLite store (proxy/keystore.py): only sha256(secret) is stored, compared in
constant time. Each instance keeps a key it has read for `keys_cache_s` seconds (0.5 by default) and
then reads it again: a key created anywhere works at once (an unknown id is always read), a key
revoked anywhere is refused everywhere within that delay. Nothing is cached for ids that do not
exist. If PostgreSQL does not answer, a key not in the cache is refused with a 503 (KeysUnavailable),
never let in unchecked.

The application role needs SELECT and INSERT on the table, and UPDATE of `revoked_at` and
`last_used_at` only; a trigger refuses to bring a revoked key back. `install_schema` (run once as the
database owner: `gardefou keys init`) creates the table, the trigger and these grants.
"""

from __future__ import annotations

import hmac
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any, TypeVar

import psycopg
from psycopg import sql

from proxy.errors import KeysUnavailable
from proxy.keystore import (
    DUMMY_DIGEST,
    KEY_ID,
    KeyRecord,
    NewKey,
    day_of,
    digest,
    draft_key,
    record_from_row,
    split_key,
)
from proxy.roles import Role

TABLE = "gardefou_api_keys"
_COLUMNS = "key_id, user_name, service, role, created_at, expires_at, revoked_at, last_used_at"
_SCHEMA = f"""
CREATE TABLE IF NOT EXISTS {TABLE} (
    key_id text PRIMARY KEY CHECK (key_id ~ '^[0-9a-f]{{12}}$'),
    secret_sha256 text NOT NULL CHECK (secret_sha256 ~ '^[0-9a-f]{{64}}$'),
    user_name text NOT NULL,
    service text NOT NULL,
    role text NOT NULL,
    created_at text NOT NULL,
    expires_at text,
    revoked_at text,
    last_used_at text
);
CREATE OR REPLACE FUNCTION gardefou_api_keys_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF OLD.revoked_at IS NOT NULL AND NEW.revoked_at IS DISTINCT FROM OLD.revoked_at THEN
        RAISE EXCEPTION 'une clé révoquée le reste (%)', OLD.key_id;
    END IF;
    RETURN NEW;
END $$;
DROP TRIGGER IF EXISTS gardefou_api_keys_guard ON {TABLE};
CREATE TRIGGER gardefou_api_keys_guard BEFORE UPDATE ON {TABLE}
    FOR EACH ROW EXECUTE FUNCTION gardefou_api_keys_guard();
REVOKE ALL ON {TABLE} FROM PUBLIC;
"""
_GRANTS = (
    "GRANT SELECT, INSERT ON {table} TO {role}",
    "GRANT UPDATE (revoked_at, last_used_at) ON {table} TO {role}",
)
_INSERT = (
    f"INSERT INTO {TABLE} (key_id, secret_sha256, user_name, service, role, created_at, expires_at)"  # noqa: S608
    " VALUES (%s, %s, %s, %s, %s, %s, %s)"
)
_TIMEOUT_S = 2  # connecting and each statement: a key check waits no longer for the database
_UNREACHABLE = (
    "La base des clés d'API (PostgreSQL) ne répond pas ; par sécurité, la clé n'a pas pu être "
    "vérifiée. Réessayez dans un instant ou prévenez votre administrateur."
)
_NO_TABLE = (
    "La table des clés d'API ({table}) n'existe pas dans la base de keys_url : créez-la une fois avec "
    "le rôle propriétaire de la base (gardefou keys init --url postgresql://...)."
)

T = TypeVar("T")


class KeysSchemaMissing(RuntimeError):
    """The table is missing and the configured role may not create it (French message)."""


@dataclass(frozen=True, slots=True)
class _Seen:
    digest: str
    record: KeyRecord
    until: float  # time.monotonic() after which the key is read again


def connect(url: str) -> psycopg.Connection[Any]:
    """One autocommit connection with short timeouts (French error from the callers)."""
    return psycopg.connect(
        url, autocommit=True, connect_timeout=_TIMEOUT_S, options=f"-c statement_timeout={_TIMEOUT_S * 1000}"
    )


def install_schema(owner_url: str, app_role: str) -> None:
    """Create the table, its guard and the application role's grants (idempotent), as the owner."""
    try:
        with connect(owner_url) as db:
            db.execute(_SCHEMA.encode())
            for grant in _GRANTS:
                db.execute(sql.SQL(grant).format(table=sql.Identifier(TABLE), role=sql.Identifier(app_role)))
    except psycopg.OperationalError as error:
        raise KeysUnavailable(f"PostgreSQL injoignable : {error}") from error
    except psycopg.Error as error:
        raise KeysSchemaMissing(f"Création de la table des clés impossible : {error}") from error


class PostgresKeyStore:
    """The `Keys` protocol on PostgreSQL; one connection, used under a lock (keys are small reads)."""

    def __init__(self, url: str, cache_s: float = 0.5) -> None:
        self._url = url
        self._cache_s = cache_s
        self._seen: dict[str, _Seen] = {}
        self._lock = threading.Lock()
        self._db: psycopg.Connection[Any] | None = None
        self._check_schema()

    def _check_schema(self) -> None:
        row = self._run(lambda db: db.execute("SELECT to_regclass(%s)", (TABLE,)).fetchone())
        if row is None or row[0] is None:
            raise KeysSchemaMissing(_NO_TABLE.format(table=TABLE))

    def _run(self, work: Callable[[psycopg.Connection[Any]], T]) -> T:
        """`work` on the shared connection; one new connection if the old one broke; else 503."""
        with self._lock:
            for attempt in (1, 2):
                try:
                    if self._db is None or self._db.closed:
                        self._db = connect(self._url)
                    return work(self._db)
                except psycopg.OperationalError as error:
                    self._drop()
                    if attempt == 2:
                        raise KeysUnavailable(_UNREACHABLE) from error
        raise AssertionError("unreachable")

    def _drop(self) -> None:
        if self._db is not None:
            self._db.close()
        self._db = None

    def create(
        self, *, user: str, service: str, role: Role = Role.AGENT, expires_at: datetime | None = None
    ) -> NewKey:
        draft = draft_key(user, service, role, expires_at)
        record = draft.record
        values = (record.key_id, draft.digest, user, service, str(role), record.created_at, record.expires_at)
        self._run(lambda db: db.execute(_INSERT, values))
        return NewKey(record, draft.secret_key)

    def authenticate(self, presented: str, now: datetime | None = None) -> KeyRecord | None:
        """The active key matching `presented`, or None (malformed, unknown, wrong, expired, revoked)."""
        parts = split_key(presented)
        if parts is None:
            return None
        key_id, secret = parts
        seen = self._lookup(key_id)
        stored = seen.digest if seen else DUMMY_DIGEST
        if not hmac.compare_digest(stored, digest(secret)) or seen is None:
            return None
        moment = now or datetime.now(UTC)
        if not seen.record.is_active(moment):
            return None
        self._note_use(seen, moment)
        return seen.record

    def _lookup(self, key_id: str) -> _Seen | None:
        """The key as last read, if read less than `cache_s` ago; else read now."""
        seen = self._seen.get(key_id)
        if seen is not None and time.monotonic() < seen.until:
            return seen
        query = f"SELECT secret_sha256, {_COLUMNS} FROM {TABLE} WHERE key_id = %s"  # noqa: S608
        row = self._run(lambda db: db.execute(query, (key_id,)).fetchone())
        if row is None:
            self._seen.pop(key_id, None)
            return None
        seen = _Seen(row[0], record_from_row(row[1:]), time.monotonic() + self._cache_s)
        self._seen[key_id] = seen
        return seen

    def _note_use(self, seen: _Seen, now: datetime) -> None:
        """The day of use, written once per key, day and instance (the date is a convenience)."""
        today = day_of(now)
        if seen.record.last_used_at == today:
            return
        update = f"UPDATE {TABLE} SET last_used_at = %s WHERE key_id = %s"  # noqa: S608
        try:
            self._run(lambda db: db.execute(update, (today, seen.record.key_id)))
        except KeysUnavailable:
            return
        record = replace(seen.record, last_used_at=today)
        self._seen[record.key_id] = _Seen(seen.digest, record, seen.until)

    def get(self, key_id: str) -> KeyRecord | None:
        if not KEY_ID.match(key_id):
            return None
        query = f"SELECT {_COLUMNS} FROM {TABLE} WHERE key_id = %s"  # noqa: S608
        row = self._run(lambda db: db.execute(query, (key_id,)).fetchone())
        return record_from_row(row) if row else None

    def list(self) -> list[KeyRecord]:
        query = f"SELECT {_COLUMNS} FROM {TABLE} ORDER BY created_at, key_id"  # noqa: S608
        rows = self._run(lambda db: db.execute(query).fetchall())
        return [record_from_row(row) for row in rows]

    def revoke(self, key_id: str) -> bool:
        if not KEY_ID.match(key_id):
            return False
        now = datetime.now(UTC).isoformat(timespec="seconds")
        update = f"UPDATE {TABLE} SET revoked_at = %s WHERE key_id = %s AND revoked_at IS NULL"  # noqa: S608
        count = self._run(lambda db: db.execute(update, (now, key_id)).rowcount)
        self._seen.pop(key_id, None)  # this instance refuses it at once; the others within cache_s
        return count == 1

    def close(self) -> None:
        with self._lock:
            self._drop()
