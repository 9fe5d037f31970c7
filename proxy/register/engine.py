"""The database under the register: what the chain, the seals and the purges need from an engine.

Two engines implement it: SQLite (`sqlite_engine.py`, the embedded default, one file) and
PostgreSQL (`pg_engine.py`, shared by several instances). The register's logic (store.py,
reading.py) is written once above them, in SQL both understand, with `?` placeholders.

A write is one transaction that holds the engine's exclusive write lock from its start to its
commit (SQLite: `BEGIN IMMEDIATE`; PostgreSQL: an advisory lock taken first thing), so the head read
at its start is still the head when the rows after it are committed: one linear chain, whatever the
number of threads, processes and machines writing.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import urlsplit, urlunsplit

URL_SCHEMES = ("postgresql://", "postgres://")


class RegisterError(RuntimeError):
    """A register that cannot be opened or written as asked (French message)."""


class DatabaseError(RegisterError):
    """A database error met by an engine that wraps its driver's errors (French message)."""


class Engine(Protocol):
    """One open connection to a register's database."""

    location: str  # for messages: the file, or the URL without its password
    path: Path | None  # the SQLite file (None on PostgreSQL)
    has_rule_sql: str  # RowFilter: rows whose applied or observed rules hold `?` (twice)

    def query(self, sql: str, params: Sequence[Any] = ()) -> Iterator[dict[str, Any]]: ...
    def all(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]: ...
    def one(self, sql: str, params: Sequence[Any] = ()) -> tuple[Any, ...] | None: ...
    def run(self, sql: str, params: Sequence[Any] = ()) -> None: ...
    def scan(self, clause: str, params: Sequence[Any]) -> Iterator[dict[str, Any]]: ...
    def insert(self, table: str, row: Mapping[str, Any]) -> None: ...
    def append_row(self, row: Mapping[str, Any], mac: str | None) -> None: ...
    def delete_through(self, seq: int) -> None: ...
    def write(self) -> AbstractContextManager[None]: ...
    def savepoint(self) -> AbstractContextManager[None]: ...
    def reading(self) -> AbstractContextManager[None]: ...
    def has_table(self, name: str) -> bool: ...
    def missing_triggers(self) -> list[str]: ...
    def integrity_check(self) -> str: ...
    def backup(self, destination: Path) -> None: ...
    def close(self) -> None: ...


def is_url(target: Path | str) -> bool:
    """Whether a register location names a PostgreSQL database rather than a SQLite file."""
    return isinstance(target, str) and target.startswith(URL_SCHEMES)


def without_password(url: str) -> str:
    """The URL to show (messages, logs): the password replaced by `***`."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
    return urlunsplit(parts._replace(netloc=netloc))


def insert_sql(table: str, row: Mapping[str, Any]) -> tuple[str, list[Any]]:
    """A plain INSERT of one row (column names quoted: `user` is a keyword in PostgreSQL)."""
    columns = ", ".join(f'"{name}"' for name in row)
    marks = ", ".join("?" for _ in row)
    return f"INSERT INTO {table} ({columns}) VALUES ({marks})", list(row.values())  # noqa: S608
