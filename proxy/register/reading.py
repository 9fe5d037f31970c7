"""Reading a register, whatever its engine: rows in chain order, pages, counts, seals and purges.

The queries `verify`, `export`, `stats`, the admin pages and the writer's head check share; the
writing side (store.py) builds on them.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from proxy.register.chain import GENESIS
from proxy.register.engine import Engine, RegisterError
from proxy.register.records import Checkpoint, Head, PurgeRecord, RetentionRecord, RowFilter

_BROWSABLE = ("service", "model", "routed_model", "endpoint", "decision", "task")


class RegisterReader:
    """The read side of an open register."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.path: Path | None = engine.path  # the SQLite file; None on PostgreSQL
        self.location = engine.location  # the file or the URL (without its password), for messages

    def rows(self, where: RowFilter | None = None) -> Iterator[dict[str, Any]]:
        """Stored rows in chain order, optionally filtered (filters are for exports, not verify)."""
        return self.engine.scan(*(where or RowFilter()).sql(self.engine.has_rule_sql))

    def page(self, where: RowFilter, *, offset: int, limit: int) -> list[dict[str, Any]]:
        """One page of the rows matching `where`, newest first (the admin's register browser)."""
        clause, params = where.sql(self.engine.has_rule_sql)
        sql = f"SELECT * FROM entries {clause} ORDER BY seq DESC LIMIT ? OFFSET ?"  # noqa: S608
        return list(self.engine.query(sql, [*params, limit, offset]))

    def count_where(self, where: RowFilter) -> int:
        clause, params = where.sql(self.engine.has_rule_sql)
        return self._number(f"SELECT COUNT(*) FROM entries {clause}", params)  # noqa: S608

    def row(self, seq: int) -> dict[str, Any] | None:
        rows = list(self.engine.query("SELECT * FROM entries WHERE seq = ?", [seq]))
        return rows[0] if rows else None

    def distinct_values(self) -> dict[str, list[str]]:
        """The values met in each browsable column, and every rule id (applied or observed): the
        choices of the register browser's filters, in one pass over the rows."""
        columns = ", ".join(_BROWSABLE)
        sql = f"SELECT DISTINCT {columns}, rule_ids, observed_rule_ids FROM entries"  # noqa: S608
        found: dict[str, set[str]] = {name: set() for name in (*_BROWSABLE, "rules")}
        for row in self.engine.all(sql):
            for name, value in zip(_BROWSABLE, row, strict=False):
                if value is not None:
                    found[name].add(str(value))
            for rules in row[len(_BROWSABLE) :]:
                found["rules"].update(json.loads(rules or "[]"))
        return {name: sorted(values) for name, values in found.items()}

    def first_and_last_ts(self) -> tuple[str | None, str | None]:
        row = self.engine.one("SELECT MIN(ts), MAX(ts) FROM entries")
        return (row[0], row[1]) if row else (None, None)

    def last_checkpoint(self) -> Checkpoint | None:
        with self.engine.reading():  # the connection is shared with the writer thread
            return self._last_checkpoint()

    def checkpoints(self) -> list[Checkpoint]:
        rows = self.engine.query("SELECT * FROM checkpoints ORDER BY id")
        return [Checkpoint.from_row(row) for row in rows]

    def purges(self) -> list[PurgeRecord]:
        return [PurgeRecord.from_row(row) for row in self.engine.query("SELECT * FROM purges ORDER BY id")]

    def retention_records(self) -> list[RetentionRecord]:
        if not self.engine.has_table("retention"):
            return []
        rows = self.engine.query("SELECT * FROM retention ORDER BY id")
        return [RetentionRecord.from_row(row) for row in rows]

    def row_macs(self) -> dict[int, str]:
        """The writers' tags of the rows not yet sealed."""
        if not self.engine.has_table("row_macs"):
            return {}
        return {int(row[0]): str(row[1]) for row in self.engine.all("SELECT seq, mac FROM row_macs")}

    def macs_from(self) -> int | None:
        """First row tagged by its writer (older registers: rows before this version are not)."""
        row = self.engine.one("SELECT value FROM meta WHERE key = 'macs_from'")
        return int(row[0]) if row is not None else None

    def meta(self) -> dict[str, str]:
        """The register's metadata: its id (bound into every signature), format, first tagged row."""
        return {str(key): str(value) for key, value in self.engine.all("SELECT key, value FROM meta")}

    def count(self) -> int:
        return self._number("SELECT COUNT(*) FROM entries")

    def head(self) -> Head:
        return self._head()

    def missing_triggers(self) -> list[str]:
        """Append-only triggers absent (dropped or disabled by someone with the rights to)."""
        return self.engine.missing_triggers()

    def integrity_check(self) -> str:
        return self.engine.integrity_check()

    def backup(self, destination: Path) -> None:
        """A consistent copy (SQLite's backup API; pg_dump on PostgreSQL)."""
        self.engine.backup(destination)

    # -- shared with the writing side ---------------------------------------------------------

    def _number(self, sql: str, params: list[Any] | None = None) -> int:
        row = self.engine.one(sql, params or [])
        return int(row[0]) if row else 0

    def _meta(self, key: str) -> str:
        row = self.engine.one("SELECT value FROM meta WHERE key = ?", [key])
        if row is None:
            raise RegisterError(f"Registre incomplet : métadonnée {key} absente.")
        return str(row[0])

    def _head(self) -> Head:
        row = self.engine.one("SELECT seq, hash FROM entries ORDER BY seq DESC LIMIT 1")
        if row is None:
            row = self.engine.one("SELECT through_seq, through_hash FROM purges ORDER BY id DESC LIMIT 1")
        return Head(0, GENESIS) if row is None else Head(int(row[0]), str(row[1]))

    def _purged_head(self) -> Head:
        row = self.engine.one("SELECT through_seq, through_hash FROM purges ORDER BY id DESC LIMIT 1")
        return Head(0, GENESIS) if row is None else Head(int(row[0]), str(row[1]))

    def _highest_checkpoint(self) -> Checkpoint | None:
        rows = list(self.engine.query("SELECT * FROM checkpoints ORDER BY seq DESC, id DESC LIMIT 1"))
        return Checkpoint.from_row(rows[0]) if rows else None

    def _last_checkpoint(self) -> Checkpoint | None:
        rows = list(self.engine.query("SELECT * FROM checkpoints ORDER BY id DESC LIMIT 1"))
        return Checkpoint.from_row(rows[0]) if rows else None
