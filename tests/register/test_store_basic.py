"""Appending to a real register file: rows, chain links, append-only triggers."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from proxy.register.chain import GENESIS, row_hash
from proxy.register.entry import Decision, RegisterEntry
from proxy.register.store import Register


def make_entry(**changes: object) -> RegisterEntry:
    fields: dict[str, object] = {
        "request_id": "req-1",
        "user": "agent.dupont",
        "service": "urbanisme",
        "endpoint": "chat.completions",
        "model": "demo",
        "routed_model": "demo",
        "upstream": "demo",
        "policy_sha256": "ab" * 32,
        "decision": Decision.FORWARDED,
        "status": 200,
        "entity_counts": {"PERSON": 2, "EMAIL": 1},
        "rule_ids": ("redact-default",),
        "stream": False,
        "duration_ms": 42,
    }
    fields.update(changes)
    return RegisterEntry(**fields)  # type: ignore[arg-type]


def test_appended_rows_are_chained(tmp_path: Path) -> None:
    register = Register.open(tmp_path / "register.sqlite")
    register.append(make_entry(request_id="a"))
    register.append(make_entry(request_id="b", energy_wh=1, gco2e=0.25))
    rows = list(register.rows())
    register.close()
    assert [row["request_id"] for row in rows] == ["a", "b"]
    assert rows[0]["prev_hash"] == GENESIS
    assert rows[1]["prev_hash"] == rows[0]["hash"]
    assert all(row_hash(row) == row["hash"] for row in rows)
    assert rows[1]["energy_wh"] == 1.0


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE entries SET user = 'x'",
        "DELETE FROM entries WHERE seq = 1",
        "INSERT INTO entries SELECT * FROM entries WHERE seq = 1",
        "UPDATE meta SET value = 'x'",
    ],
)
def test_triggers_refuse_changes(tmp_path: Path, statement: str) -> None:
    register = Register.open(tmp_path / "register.sqlite")
    register.append(make_entry())
    register.close()
    conn = sqlite3.connect(tmp_path / "register.sqlite")
    with pytest.raises(sqlite3.DatabaseError, match="ajout seul"):
        conn.execute(statement)
    conn.close()


def test_wal_and_full_sync(tmp_path: Path) -> None:
    Register.open(tmp_path / "register.sqlite").close()
    conn = sqlite3.connect(tmp_path / "register.sqlite")
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    conn.close()


def test_free_text_model_is_not_stored(tmp_path: Path) -> None:
    entry = make_entry(model="Jean Dupont 06 12 34 56 78")
    assert "Dupont" not in entry.model
    with pytest.raises(ValueError, match="user"):
        make_entry(user="Jean Dupont")
