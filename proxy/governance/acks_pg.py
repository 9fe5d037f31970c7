"""Charter acknowledgements in PostgreSQL: behind a load balancer, an agent accepts the charter once
for every instance, not once per instance.

They live in the keys' database (`keys_url`, which follows a register on PostgreSQL), in their own
table, apart from the usage register's tables: reading or exporting the register never reveals who
accepted the charter. The instances' role may read and add, never change or delete (an acknowledgement
is a fact); `gardefou keys init` creates the table once, as the database owner. Without `keys_url`,
the SQLite file beside the data (proxy/governance/acks.py) is used, as on one machine.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, TypeVar

import psycopg
from psycopg import sql

from proxy.config_file import ConfigFileError
from proxy.governance.acks import AckCount, Acks, AckStore, acks_path
from proxy.governance.charter import CharterUnavailable
from proxy.settings import Settings

TABLE = "gardefou_charter_acks"
_TIMEOUT_S = 2  # a charter check waits no longer than a key check for the database
_SCHEMA = f"""
CREATE TABLE IF NOT EXISTS {TABLE} (
    user_name text NOT NULL,
    service text NOT NULL,
    version text NOT NULL,
    charter_sha256 text NOT NULL CHECK (charter_sha256 ~ '^[0-9a-f]{{64}}$'),
    acknowledged_at text NOT NULL,
    PRIMARY KEY (user_name, version, charter_sha256)
)
"""
_GRANTS = ("REVOKE ALL ON {table} FROM {role}", "GRANT SELECT, INSERT ON {table} TO {role}")
_UNREACHABLE = "Acceptations de la charte indisponibles (PostgreSQL ne répond pas) : réessayez."
_NO_TABLE = (
    "La table des acceptations de la charte ({table}) n'existe pas : lancez une fois "
    "`gardefou keys init --url postgresql://PROPRIETAIRE@... --app-role ROLE`."
)
T = TypeVar("T")


def install_schema(owner_url: str, app_role: str) -> None:
    """Create the table and the application role's grants (idempotent), as the database owner."""
    try:
        with _connect(owner_url) as db:
            db.execute(_SCHEMA.encode())
            for grant in _GRANTS:
                table, role = sql.Identifier(TABLE), sql.Identifier(app_role)
                db.execute(sql.SQL(grant).format(table=table, role=role))
    except psycopg.Error as error:
        raise CharterUnavailable(f"Création de la table des acceptations impossible : {error}") from error


class PostgresAckStore:
    """The `Acks` protocol on PostgreSQL; one connection under a lock, reopened once if it broke."""

    def __init__(self, url: str) -> None:
        self._url = url
        self._lock = threading.Lock()
        self._db: psycopg.Connection[Any] | None = None
        self._known: set[tuple[str, str, str]] = set()  # acknowledged: never revoked, so cached
        row = self._run(lambda db: db.execute("SELECT to_regclass(%s)", (TABLE,)).fetchone())
        if row is None or row[0] is None:
            raise ConfigFileError(_NO_TABLE.format(table=TABLE))

    def has(self, user: str, version: str, sha256: str) -> bool:
        key = (user, version, sha256)
        if key in self._known:
            return True
        query = (
            "SELECT 1 FROM gardefou_charter_acks "
            "WHERE user_name = %s AND version = %s AND charter_sha256 = %s"
        )
        found = self._run(lambda db: db.execute(query, key).fetchone()) is not None
        if found:
            self._known.add(key)
        return found

    def add(self, user: str, service: str, version: str, sha256: str) -> None:
        now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        insert = "INSERT INTO gardefou_charter_acks VALUES (%s, %s, %s, %s, %s) ON CONFLICT DO NOTHING"
        self._run(lambda db: db.execute(insert, (user, service, version, sha256, now)))
        self._known.add((user, version, sha256))

    def counts(self, since: str | None = None, until: str | None = None) -> list[AckCount]:
        query = (
            "SELECT service, version, charter_sha256, COUNT(*) FROM gardefou_charter_acks "
            "WHERE acknowledged_at >= %s AND acknowledged_at < %s "
            "GROUP BY service, version, charter_sha256 ORDER BY service, version"
        )
        rows = self._run(lambda db: db.execute(query, (since or "", until or "9999")).fetchall())
        return [AckCount(str(s), str(v), str(h), int(n)) for s, v, h, n in rows]

    def close(self) -> None:
        with self._lock:
            if self._db is not None:
                self._db.close()
                self._db = None

    def _run(self, work: Callable[[psycopg.Connection[Any]], T]) -> T:
        """`work` on the shared connection; a new connection if the old one broke; else 503."""
        with self._lock:
            for attempt in (1, 2):
                try:
                    if self._db is None or self._db.closed:
                        self._db = _connect(self._url)
                    return work(self._db)
                except psycopg.OperationalError as error:
                    self._db = None
                    if attempt == 2:
                        raise CharterUnavailable(_UNREACHABLE) from error
        raise AssertionError("unreachable")


def open_acks(settings: Settings) -> Acks:
    """PostgreSQL when the keys are there (every instance shares them), else the local SQLite file."""
    if settings.keys_url is not None:
        return PostgresAckStore(settings.keys_url)
    return AckStore(acks_path(settings))


def ack_counts(settings: Settings) -> list[AckCount]:
    """Agents who acknowledged, per service and version, wherever the configuration keeps them."""
    if settings.keys_url is None and not acks_path(settings).exists():
        return []
    store: Acks = (
        PostgresAckStore(settings.keys_url)
        if settings.keys_url is not None
        else AckStore(acks_path(settings), readonly=True)
    )
    try:
        return store.counts()
    finally:
        store.close()


def _connect(url: str) -> psycopg.Connection[Any]:
    return psycopg.connect(
        url, autocommit=True, connect_timeout=_TIMEOUT_S, options=f"-c statement_timeout={_TIMEOUT_S * 1000}"
    )
