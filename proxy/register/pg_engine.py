"""The register on PostgreSQL (`register_url`): one database shared by several instances.

The only module that talks to PostgreSQL for the register (psycopg 3). One connection per open
register, in autocommit outside writes; each write is one transaction that first takes a fixed
advisory lock (`pg_advisory_xact_lock`, released at commit or rollback), then reads the head and
inserts the group: one writer at a time across every instance, one linear chain, group commit
kept (a group of rows, one commit). The connection is shared by the threads of the process under a
lock; a broken connection is reopened at the next write. Driver errors are turned into
`DatabaseError` (French, without the rows' values) where they enter.
"""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
import threading
import uuid
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import psycopg
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict, make_conninfo
from psycopg.rows import dict_row

from proxy.register.chain import FORMAT_VERSION
from proxy.register.engine import DatabaseError, RegisterError, insert_sql, without_password
from proxy.register.pg_schema import (
    TABLES,
    TRIGGER_NAMES,
    WRITE_LOCK_KEY,
    grant_statements,
    schema_statements,
)

log = logging.getLogger(__name__)

SCAN_BATCH = 5000  # rows per query when reading the whole chain (keyset pagination on seq)
CONNECT_TIMEOUT_S = 10
IDLE_IN_WRITE_MS = 60_000  # a transaction idle this long is ended by the server (its lock released)

_HAS_RULE = (
    "(jsonb_exists(entries.rule_ids::jsonb, ?)"
    " OR jsonb_exists(COALESCE(entries.observed_rule_ids, '[]')::jsonb, ?))"
)

INIT_HINT = "gardefou register init-db --url postgresql://PROPRIÉTAIRE@hôte/base --app-role RÔLE"


class PgEngine:
    """One connection to a register database."""

    has_rule_sql = _HAS_RULE
    path: Path | None = None

    def __init__(self, url: str, *, readonly: bool) -> None:
        self._url = url
        self._readonly = readonly
        self.location = without_password(url)
        self._lock = threading.RLock()
        self._writing = False  # inside write(): a broken connection then fails the transaction
        self._conn = self._connect()

    @classmethod
    def open(cls, url: str, *, readonly: bool, create: bool, tagged: bool, meta: bool = True) -> PgEngine:
        """Connect; create the schema if missing (when `create` and the role may), record the
        register's id (and, for a writer with a key, the first tagged row) unless `meta` is False."""
        engine = cls(url, readonly=readonly)
        try:
            engine._prepare(create and not readonly, tagged, meta and not readonly)
        except BaseException:
            engine.close()
            raise
        return engine

    @classmethod
    def init_db(cls, url: str, app_role: str | None) -> PgEngine:
        """Create (or complete) the schema as its owner and grant the application role its rights."""
        engine = cls(url, readonly=False)
        try:
            with engine.write(), engine._translated():
                engine._create_schema()
                if app_role:
                    engine._grant(app_role)
        except BaseException:
            engine.close()
            raise
        return engine

    # -- the engine interface (engine.Engine) -------------------------------------------------

    def query(self, text: str, params: Sequence[Any] = ()) -> Iterator[dict[str, Any]]:
        with self._lock, self._translated():
            self._reopen_if_broken()
            cursor = self._conn.cursor(row_factory=dict_row)
            return iter(cursor.execute(_sql(text), list(params)).fetchall())

    def all(self, text: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        with self._lock, self._translated():
            self._reopen_if_broken()
            return list(self._conn.execute(_sql(text), list(params)).fetchall())

    def one(self, text: str, params: Sequence[Any] = ()) -> tuple[Any, ...] | None:
        with self._lock, self._translated():
            self._reopen_if_broken()
            return self._conn.execute(_sql(text), list(params)).fetchone()

    def run(self, text: str, params: Sequence[Any] = ()) -> None:
        with self._lock, self._translated():
            self._conn.execute(_sql(text), list(params))

    def scan(self, clause: str, params: Sequence[Any]) -> Iterator[dict[str, Any]]:
        """Rows in chain order, a batch at a time (no cursor held open between batches)."""
        where = f"{clause} AND seq > ?" if clause else "WHERE seq > ?"
        text = f"SELECT * FROM entries {where} ORDER BY seq LIMIT {SCAN_BATCH}"  # noqa: S608
        after = -1
        while True:
            batch = list(self.query(text, [*params, after]))
            yield from batch
            if len(batch) < SCAN_BATCH:
                return
            after = int(batch[-1]["seq"])

    def insert(self, table: str, row: Mapping[str, Any]) -> None:
        self.run(*insert_sql(table, row))

    def insert_many(self, table: str, rows: Sequence[Mapping[str, Any]]) -> None:
        """Many rows at once with COPY (migration); the row triggers fire as for INSERT."""
        if not rows:
            return
        columns = ", ".join(f'"{name}"' for name in rows[0])
        statement = f"COPY {table} ({columns}) FROM STDIN".encode()
        with self._lock, self._translated(), self._conn.cursor() as cursor, cursor.copy(statement) as copy:
            for row in rows:
                copy.write_row(list(row.values()))

    def append_row(self, row: Mapping[str, Any], mac: str | None) -> None:
        """A row at the head and its writer's tag, in one statement (one round trip)."""
        text, values = insert_sql("entries", row)
        if mac is not None:
            tag = "INSERT INTO row_macs (seq, mac) VALUES (?, ?)"
            tag += " ON CONFLICT (seq) DO UPDATE SET mac = EXCLUDED.mac"
            text, values = f"WITH appended AS ({text}) {tag}", [*values, row["seq"], mac]
        self.run(text, values)

    def delete_through(self, seq: int) -> None:
        """Through the owner's function, which deletes only up to a purge record already inserted."""
        self.run("SELECT gardefou_purge(?)", [seq])

    @contextmanager
    def write(self) -> Iterator[None]:
        """Thread lock, BEGIN, the advisory write lock first ... COMMIT, or ROLLBACK."""
        with self._lock:
            self._begin()
            self._writing = True
            try:
                yield
            except BaseException:
                self._writing = False
                self._rollback()
                raise
            self._writing = False
            with self._translated():
                self._conn.execute("COMMIT")

    def _begin(self) -> None:
        """BEGIN and the write lock; a connection found lost here (nothing written yet) is reopened
        once and the transaction begun again."""
        for attempt in (1, 2):
            self._reopen_if_broken()
            try:
                self._conn.execute("BEGIN")
                self._conn.execute("SELECT pg_advisory_xact_lock(%s)", [WRITE_LOCK_KEY])
                return
            except psycopg.OperationalError as exc:
                if attempt == 2 or not self._conn.broken:
                    self._rollback()
                    raise DatabaseError(f"Registre PostgreSQL ({self.location}) : {_reason(exc)}") from exc
                log.warning("register: PostgreSQL connection lost, reopened (%s)", type(exc).__name__)

    def _rollback(self) -> None:
        if self._conn.broken or self._conn.closed:
            return  # the server ends the transaction of a lost connection itself
        try:
            self._conn.execute("ROLLBACK")
        except psycopg.Error as exc:
            log.warning("register: rollback failed (%s)", type(exc).__name__)

    @contextmanager
    def savepoint(self) -> Iterator[None]:
        with self._translated(), self._conn.transaction():
            yield

    @contextmanager
    def reading(self) -> Iterator[None]:
        with self._lock:
            yield

    def has_table(self, name: str) -> bool:
        row = self.one("SELECT to_regclass(?) IS NOT NULL", [name])
        return bool(row and row[0])

    def missing_triggers(self) -> list[str]:
        """Append-only triggers absent or disabled (ALTER TABLE ... DISABLE TRIGGER)."""
        present = self.all(
            "SELECT t.tgname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid"
            " WHERE NOT t.tgisinternal AND t.tgenabled <> 'D' AND pg_table_is_visible(c.oid)"
            " AND c.relname = ANY(?)",
            [list(TABLES)],
        )
        return sorted(set(TRIGGER_NAMES) - {str(row[0]) for row in present})

    def integrity_check(self) -> str:
        return "ok"  # PostgreSQL checks its pages itself (and pg_amcheck does on demand)

    def backup(self, destination: Path) -> None:
        """A `pg_dump` archive (custom format, restored with `pg_restore`) of the register's database."""
        if destination.exists():
            raise RegisterError(f"La destination existe déjà : {destination}")
        dump(self._url, destination, self._schema())

    def close(self) -> None:
        self._conn.close()

    # -- internals ----------------------------------------------------------------------------

    def _connect(self) -> psycopg.Connection[tuple[Any, ...]]:
        extra: dict[str, str | int] = {
            "application_name": "gardefou-register",
            "connect_timeout": CONNECT_TIMEOUT_S,
        }
        # Added to the URL's own options (a search_path, say): a writer frozen mid-transaction does
        # not hold the write lock of every instance for ever.
        options = f"-c idle_in_transaction_session_timeout={IDLE_IN_WRITE_MS}"
        if self._readonly:
            options += " -c default_transaction_read_only=on"
        extra["options"] = f"{conninfo_to_dict(self._url).get('options') or ''} {options}".strip()
        try:
            return psycopg.connect(make_conninfo(self._url, **extra), autocommit=True)
        except psycopg.Error as exc:
            raise RegisterError(
                f"Registre PostgreSQL injoignable ({self.location}) : {_reason(exc)}"
            ) from exc

    def _reopen_if_broken(self) -> None:
        """A connection lost (server restarted, network cut) is reopened, outside a write only."""
        if not self._writing and (self._conn.closed or self._conn.broken):
            self._conn = self._connect()

    @contextmanager
    def _translated(self) -> Iterator[None]:
        try:
            yield
        except psycopg.Error as exc:
            raise DatabaseError(f"Registre PostgreSQL ({self.location}) : {_reason(exc)}") from exc

    def _schema(self) -> str:
        """The schema where the register lives (the first of the connection's search_path)."""
        row = self.one("SELECT current_schema()")
        if row is None or row[0] is None:
            raise RegisterError(f"{self.location} : aucun schéma où créer le registre (search_path).")
        return str(row[0])

    def _grant(self, app_role: str) -> None:
        role = sql.Identifier(app_role).as_string(self._conn)
        schema = sql.Identifier(self._schema()).as_string(self._conn)
        for statement in grant_statements(role, schema):
            self._conn.execute(statement.encode())

    def _exists(self) -> bool:
        return self.has_table("entries")

    def _prepare(self, create: bool, tagged: bool, meta: bool) -> None:
        if not create and not self._exists():
            raise RegisterError(f"Registre introuvable : {self.location} (schéma absent ; voir {INIT_HINT}).")
        if not meta:
            if create:
                with self.write(), self._translated():
                    self._create_schema_if_missing()
            return
        with self.write(), self._translated():
            self._create_schema_if_missing()
            self._fill_meta(tagged)

    def _create_schema_if_missing(self) -> None:
        if self._exists():
            return
        try:
            self._create_schema()
        except psycopg.errors.InsufficientPrivilege as exc:
            raise RegisterError(
                f"Le schéma du registre est absent de {self.location} et ce rôle ne peut pas le créer : "
                f"créez-le avec le rôle propriétaire ({INIT_HINT})."
            ) from exc

    def _create_schema(self) -> None:
        for statement in schema_statements():
            self._conn.execute(statement.encode())

    def _fill_meta(self, tagged: bool) -> None:
        insert = "INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO NOTHING"
        self.run(insert, ["register_id", str(uuid.uuid4())])
        self.run(insert, ["format", str(FORMAT_VERSION)])
        if tagged:  # rows from here on carry their writer's tag (row_macs)
            newest = self.one("SELECT MAX(seq) FROM entries")
            self.run(insert, ["macs_from", str(((newest or (None,))[0] or 0) + 1)])


def _sql(text: str) -> bytes:
    """The register's SQL (`?` placeholders) in psycopg's form (`%s`)."""
    return text.replace("%", "%%").replace("?", "%s").encode()


def _reason(exc: psycopg.Error) -> str:
    """The server's primary message (never its DETAIL, which may quote a row's values); for a
    connection that failed, libpq's first line (host, port, cause: no password in it)."""
    primary = exc.diag.message_primary if isinstance(exc, psycopg.DatabaseError) else None
    if primary is None and isinstance(exc, psycopg.OperationalError):
        primary = str(exc).strip().splitlines()[0] if str(exc).strip() else None
    return primary or type(exc).__name__


def pg_dump_binary() -> str | None:
    """pg_dump on the PATH (Debian's wrapper picks the server's version), else Debian's newest."""
    found = shutil.which("pg_dump")
    if found:
        return found
    candidates = sorted(Path("/usr/lib/postgresql").glob("*/bin/pg_dump"))
    return str(candidates[-1]) if candidates else None


def dump(url: str, destination: Path, schema: str) -> None:
    """Run pg_dump on the register's schema (the password passed in the environment, never on the
    command line)."""
    binary = pg_dump_binary()
    shown = without_password(url)
    if binary is None:
        raise RegisterError(
            "pg_dump est introuvable sur cette machine (paquet postgresql-client). Lancez, depuis une "
            f"machine qui l'a : pg_dump --format=custom --file {destination} --dbname '{shown}' "
            "(mot de passe demandé, ou dans ~/.pgpass) ; restauration : pg_restore --dbname URL FICHIER."
        )
    params = conninfo_to_dict(url)
    password = params.pop("password", None)
    env = {**os.environ, **({"PGPASSWORD": str(password)} if password else {})}
    command = [binary, "--format=custom", "--schema", schema, "--file", str(destination)]
    command += ["--dbname", make_conninfo("", **params)]
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)  # noqa: S603
    if done.returncode != 0:
        raise RegisterError(f"pg_dump a échoué ({shown}) : {done.stderr.strip()[:300]}")
