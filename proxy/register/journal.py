"""Checkpoint files kept outside the database: one JSON line per signed checkpoint.

The store appends each new checkpoint to such a file when configured (`checkpoint_journal`);
`gardefou register checkpoint --export` writes all of them; `verify --checkpoints FILE` reads them
back, so that a register truncated together with its checkpoints table is still caught.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path

from proxy.register.records import Checkpoint, ExternalCheckpoints


class JournalError(ValueError):
    """An unreadable checkpoint file (French message)."""


def journal_lines(register_id: str, checkpoints: Iterable[Checkpoint]) -> str:
    return "".join(cp.journal_line(register_id) + "\n" for cp in checkpoints)


def append_checkpoints(path: Path, register_id: str, checkpoints: Iterable[Checkpoint]) -> None:
    text = journal_lines(register_id, checkpoints)
    if text:
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("a", encoding="utf-8") as handle:
            handle.write(text)


def read_checkpoints(path: Path) -> list[ExternalCheckpoints]:
    """Group the file's checkpoints by register id (a file may hold several registers)."""
    grouped: dict[str, list[Checkpoint]] = {}
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise JournalError(f"{path} : fichier illisible ({exc.strerror}).") from exc
    lines = text.splitlines()
    if lines and not text.endswith("\n"):
        lines.pop()  # a line cut by a crash while it was being appended
    for number, line in enumerate(lines, start=1):
        if line.strip():
            register_id, checkpoint = _parse(line, path, number)
            grouped.setdefault(register_id, []).append(checkpoint)
    return [ExternalCheckpoints(rid, tuple(cps)) for rid, cps in grouped.items()]


def _parse(line: str, path: Path, number: int) -> tuple[str, Checkpoint]:
    try:
        data = json.loads(line)
        if data.get("kind") != "checkpoint":
            raise ValueError(data.get("kind"))
        return str(data["register"]), Checkpoint.from_row(data)
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise JournalError(f"{path}, ligne {number} : point de contrôle illisible.") from exc
