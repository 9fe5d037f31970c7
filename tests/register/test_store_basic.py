"""Appending to a real register file: rows, chain links, append-only triggers."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from registerkit import EntryFactory

from proxy.register.chain import GENESIS, row_hash
from proxy.register.schema import OPTIONAL_COLUMNS
from proxy.register.store import Register


def test_appended_rows_are_chained(tmp_path: Path, entry_factory: EntryFactory) -> None:
    register = Register.open(tmp_path / "register.sqlite")
    register.append(entry_factory(request_id="a"))
    register.append(entry_factory(request_id="b", energy_wh=1, gco2e=0.25))
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
        "DELETE FROM checkpoints",
    ],
)
def test_triggers_refuse_changes(tmp_path: Path, entry_factory: EntryFactory, statement: str) -> None:
    register = Register.open(tmp_path / "register.sqlite", signing_key_path=tmp_path / "k")
    register.append(entry_factory())
    register.close()
    conn = sqlite3.connect(tmp_path / "register.sqlite")
    with pytest.raises(sqlite3.DatabaseError, match="ajout seul"):
        conn.execute(statement)
    conn.close()


def test_wal_and_full_sync(tmp_path: Path) -> None:
    register = Register.open(tmp_path / "register.sqlite")
    conn = sqlite3.connect(tmp_path / "register.sqlite")
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    conn.close()
    register.close()


def test_free_text_cannot_be_stored(entry_factory: EntryFactory) -> None:
    entry = entry_factory(model="Jean Dupont 06 12 34 56 78")
    assert "Dupont" not in entry.model
    assert entry_factory(user="Jean Dupont\n").user == "Jean_Dupont_"
    assert len(entry_factory(service="x" * 500).service) == 128
    for field in ("request_id", "error_code", "upstream", "routed_model", "endpoint"):
        with pytest.raises(ValueError, match=field):
            entry_factory(**{field: "Jean Dupont habite 3 rue des Lilas"})
    with pytest.raises(ValueError, match="entity_counts"):
        entry_factory(entity_counts={"jean.dupont@example.fr": 1})


def test_a_register_of_the_first_format_gains_the_optional_columns(
    tmp_path: Path, entry_factory: EntryFactory
) -> None:
    """Rows written before the optional columns existed keep their hashes; new rows fill them."""
    path = tmp_path / "register.sqlite"
    register = Register.open(path)
    register.append(entry_factory(request_id="old"))
    register.close()
    with sqlite3.connect(path) as conn:  # as a first-format register: no optional column yet
        conn.executescript("".join(f"ALTER TABLE entries DROP COLUMN {name};" for name in OPTIONAL_COLUMNS))
    register = Register.open(path)
    new = entry_factory(
        request_id="new",
        task="title",
        attachments={"pdf:extracted": 1, "image:refused": 2},
        notice=True,
        observed_rule_ids=("rule-observe",),
    )
    register.append(new)
    rows = list(register.rows())
    register.close()
    assert rows[0]["task"] is None and rows[0]["attachments"] is None
    assert rows[1]["task"] == "title" and rows[1]["notice"] == 1
    assert json.loads(rows[1]["attachments"]) == {"image:refused": 2, "pdf:extracted": 1}
    assert json.loads(rows[1]["observed_rule_ids"]) == ["rule-observe"]
    assert all(row_hash(row) == row["hash"] for row in rows)
    assert rows[1]["prev_hash"] == rows[0]["hash"]
