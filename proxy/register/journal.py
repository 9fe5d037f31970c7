"""The off-host stream: one JSON line per checkpoint, purge record, retention record and alarm.

The store writes each such record to the stream *before* committing it to the database, so a record
in the database is always in the stream too (a crash in between leaves at most the newest line in
the stream without its database row, put back by the store at its next start when it is a
checkpoint that seals the file's rows); a record forged on the host is missing there. The stream is
a file (`register_checkpoints`, to be placed off the host: network share, log collector) and,
optionally, syslog (`register_syslog`). `gardefou register checkpoint --export` writes the
database's checkpoints in the same format; `verify --checkpoints FILE` reads either back (syslog
lines too: the JSON starts at the first `{`).
"""

from __future__ import annotations

import json
import logging
import logging.handlers
import socket
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from proxy.register.records import Alarm, Checkpoint, ExternalCheckpoints, PurgeRecord, RetentionRecord

KINDS = ("checkpoint", "purge", "retention", "alarm")


class JournalError(ValueError):
    """An unreadable checkpoint file (French message)."""


def journal_lines(register_id: str, checkpoints: Iterable[Checkpoint]) -> str:
    return "".join(cp.journal_line(register_id) + "\n" for cp in checkpoints)


def append_lines(path: Path, lines: Iterable[str]) -> None:
    """Append lines and flush them to disk (raises OSError: the caller then does not commit)."""
    text = "".join(line + "\n" for line in lines)
    if not text:
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a", encoding="utf-8") as handle:
        handle.write(text)
        handle.flush()


def append_checkpoints(path: Path, register_id: str, checkpoints: Iterable[Checkpoint]) -> None:
    append_lines(path, (cp.journal_line(register_id) for cp in checkpoints))


@dataclass
class OffHostStream:
    """Where the store sends each record: the file (required to succeed) and syslog (best effort)."""

    path: Path | None = None
    syslog: str | None = None  # "/dev/log", or "host:port" (UDP)
    _logger: logging.Logger | None = field(default=None, repr=False)

    def send(self, lines: list[str]) -> None:
        if self.path is not None:
            append_lines(self.path, lines)
        if self.syslog is not None and lines:
            self._send_syslog(lines)

    def _send_syslog(self, lines: list[str]) -> None:
        try:
            logger = self._logger or self._open_syslog()
            for line in lines:
                logger.info("gardefou-register %s", line)
        except OSError as exc:
            logging.getLogger(__name__).warning("register: syslog not reached (%s)", type(exc).__name__)

    def _open_syslog(self) -> logging.Logger:
        assert self.syslog is not None
        address: str | tuple[str, int] = self.syslog
        if ":" in self.syslog and not self.syslog.startswith("/"):
            host, port = self.syslog.rsplit(":", 1)
            address = (host, int(port))
        handler = logging.handlers.SysLogHandler(address=address, socktype=socket.SOCK_DGRAM)
        logger = logging.Logger("gardefou-register-offhost")
        logger.addHandler(handler)
        self._logger = logger
        return logger


def read_checkpoints(path: Path) -> list[ExternalCheckpoints]:
    """Group the file's records by register id (a file may hold several registers)."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise JournalError(f"{path} : fichier illisible ({exc.strerror}).") from exc
    lines = text.splitlines()
    if lines and not text.endswith("\n"):
        lines.pop()  # a line cut by a crash while it was being appended
    grouped: dict[str, dict[str, list[Any]]] = {}
    for number, line in enumerate(lines, start=1):
        if "{" in line:
            register_id, kind, record = _parse(line[line.index("{") :], path, number)
            grouped.setdefault(register_id, {k: [] for k in KINDS})[kind].append(record)
    return [_external(rid, records) for rid, records in grouped.items()]


TAIL_BYTES = 1 << 16  # the newest records of a journal that may hold years of them


def newest_checkpoint(path: Path, register_id: str) -> Checkpoint | None:
    """The journal's newest checkpoint of `register_id`, read from the end of the file (None when
    there is none in its last lines; an unreadable line there raises JournalError)."""
    with path.open("rb") as handle:
        size = handle.seek(0, 2)
        handle.seek(max(0, size - TAIL_BYTES))
        tail = handle.read().decode("utf-8", errors="replace")
    lines = tail.split("\n")
    complete = lines[1:-1] if size > TAIL_BYTES else lines[:-1]  # cut at both ends: dropped
    for line in reversed(complete):
        if "{" not in line:
            continue
        line_register, _, record = _parse(line[line.index("{") :], path, 0)  # (0: counted from the end)
        if line_register == register_id and isinstance(record, Checkpoint):
            return record
    return None


def _external(register_id: str, records: dict[str, list[Any]]) -> ExternalCheckpoints:
    return ExternalCheckpoints(
        register_id,
        tuple(records["checkpoint"]),
        tuple(records["purge"]),
        tuple(records["retention"]),
        tuple(records["alarm"]),
    )


_READERS = {
    "checkpoint": Checkpoint.from_row,
    "purge": PurgeRecord.from_row,
    "retention": RetentionRecord.from_row,
    "alarm": Alarm.from_row,
}


def _parse(line: str, path: Path, number: int) -> tuple[str, str, Any]:
    try:
        data = json.loads(line)
        kind = data.get("kind")
        if kind not in _READERS:
            raise ValueError(kind)
        return str(data["register"]), kind, _READERS[kind](data)
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise JournalError(f"{path}, ligne {number} : enregistrement illisible.") from exc
