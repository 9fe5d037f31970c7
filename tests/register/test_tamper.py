"""More than 1,000 random tamperings of copies of a sealed register: `verify` flags every one.

The attacker has write access to the database file (drops the triggers, knows the hash algorithm)
but not the signing key, and cannot change the checkpoint file kept outside the host.
"""

from __future__ import annotations

import random
import shutil
import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from registerkit import SealedRegister, make_sealed_register

from proxy.register.chain import row_hash
from proxy.register.journal import read_checkpoints
from proxy.register.records import Checkpoint, signed_message
from proxy.register.signing import Signer, load_signer
from proxy.register.store import Register
from proxy.register.verify import Tags, VerifyReport, verify_register

ROWS, EVERY, PURGED = 120, 10, 20
PER_KIND = 60
EDITABLE = (
    "ts", "request_id", "user", "service", "endpoint", "model", "routed_model", "upstream",
    "policy_sha256", "decision", "status", "entity_counts", "rule_ids", "stream", "duration_ms",
    "prompt_tokens", "completion_tokens", "energy_wh", "gco2e", "error_code", "prev_hash", "hash",
)  # fmt: skip

CONTENT = tuple(column for column in EDITABLE if column not in ("prev_hash", "hash"))

# A tampering changes the file through `conn` and returns the first row it should be reported at
# (None when only "something is wrong" can be asserted).
Tamper = Callable[[sqlite3.Connection, random.Random], int | None]


@pytest.fixture(scope="module")
def sealed(tmp_path_factory: pytest.TempPathFactory) -> SealedRegister:
    return make_sealed_register(tmp_path_factory.mktemp("sealed"), ROWS, EVERY, PURGED)


def verify_copy(sealed: SealedRegister, copy: Path) -> VerifyReport:
    register = Register.open(copy, readonly=True)
    try:
        return verify_register(
            register,
            public_key=sealed.public_key,
            external=read_checkpoints(sealed.journal),
            tags=Tags(load_signer(sealed.key_path).mac),  # on the host: rows added at the head lack tags
        )
    finally:
        register.close()


def seqs(conn: sqlite3.Connection) -> list[int]:
    return [row[0] for row in conn.execute("SELECT seq FROM entries ORDER BY seq")]


def changed(value: object, rng: random.Random) -> object:
    if value is None:
        return rng.choice([1, "x"])
    if isinstance(value, bool | int):
        return value + rng.randint(1, 9)
    if isinstance(value, float):
        return value + 0.125
    text = str(value)
    position = rng.randrange(len(text)) if text else 0
    replacement = "0" if text[position : position + 1] != "0" else "1"
    return text[:position] + replacement + text[position + 1 :]


def edit_field(
    conn: sqlite3.Connection, rng: random.Random, columns: tuple[str, ...] = EDITABLE
) -> int | None:
    seq = rng.choice(seqs(conn))
    column = rng.choice(columns)
    old = conn.execute(f'SELECT "{column}" FROM entries WHERE seq = ?', [seq]).fetchone()[0]
    conn.execute(f'UPDATE entries SET "{column}" = ? WHERE seq = ?', [changed(old, rng), seq])
    return seq


def edit_seq(conn: sqlite3.Connection, rng: random.Random) -> int | None:
    seq = rng.choice(seqs(conn))
    conn.execute("UPDATE entries SET seq = ? WHERE seq = ?", [ROWS + rng.randint(1, 50), seq])
    return None


def delete_row(conn: sqlite3.Connection, rng: random.Random) -> int | None:
    seq = rng.choice(seqs(conn))
    conn.execute("DELETE FROM entries WHERE seq = ?", [seq])
    return seq


def delete_range(conn: sqlite3.Connection, rng: random.Random) -> int | None:
    present = seqs(conn)
    start = rng.randrange(len(present) - 1)
    stop = rng.randrange(start + 1, len(present))
    conn.execute("DELETE FROM entries WHERE seq BETWEEN ? AND ?", [present[start], present[stop]])
    return present[start]


def forged_row(conn: sqlite3.Connection, template_seq: int, seq: int, prev: str) -> dict[str, object]:
    cursor = conn.execute("SELECT * FROM entries WHERE seq = ?", [template_seq])
    row = dict(zip([c[0] for c in cursor.description], cursor.fetchone(), strict=True))
    row.update(seq=seq, request_id="req-forged", prev_hash=prev)
    row["hash"] = row_hash(row)
    return row


def insert_row(conn: sqlite3.Connection, row: dict[str, object]) -> None:
    columns = ", ".join(f'"{name}"' for name in row)
    marks = ", ".join("?" for _ in row)
    conn.execute(f"INSERT INTO entries ({columns}) VALUES ({marks})", list(row.values()))


def insert_middle(conn: sqlite3.Connection, rng: random.Random) -> int | None:
    present = seqs(conn)
    seq = rng.choice(present[1:])
    prev = conn.execute("SELECT hash FROM entries WHERE seq = ?", [seq - 1]).fetchone()[0]
    conn.execute("UPDATE entries SET seq = seq + 100000 WHERE seq >= ?", [seq])
    conn.execute("UPDATE entries SET seq = seq - 99999 WHERE seq >= 100000")
    insert_row(conn, forged_row(conn, seq + 1, seq, prev))
    return seq


def insert_tail(conn: sqlite3.Connection, rng: random.Random) -> int | None:
    head, head_hash = conn.execute("SELECT seq, hash FROM entries ORDER BY seq DESC").fetchone()
    for offset in range(rng.randint(1, 3)):
        row = forged_row(conn, rng.choice(seqs(conn)), head + 1 + offset, head_hash)
        insert_row(conn, row)
        head_hash = str(row["hash"])
    return head + 1


def swap_rows(conn: sqlite3.Connection, rng: random.Random) -> int | None:
    first, second = sorted(rng.sample(seqs(conn), 2))
    conn.execute("UPDATE entries SET seq = -1 WHERE seq = ?", [first])
    conn.execute("UPDATE entries SET seq = ? WHERE seq = ?", [first, second])
    conn.execute("UPDATE entries SET seq = ? WHERE seq = -1", [second])
    return first


def truncate_rows(conn: sqlite3.Connection, rng: random.Random) -> int | None:
    keep = rng.choice(seqs(conn)[:-1])
    conn.execute("DELETE FROM entries WHERE seq > ?", [keep])
    return keep + 1


def truncate_with_checkpoints(conn: sqlite3.Connection, rng: random.Random) -> int | None:
    keep = truncate_rows(conn, rng)
    conn.execute("DELETE FROM checkpoints WHERE seq >= ?", [keep])
    return keep


def recompute_from(conn: sqlite3.Connection, start: int) -> None:
    """Rewrite every hash from row `start` on so that the chain is valid again."""
    cursor = conn.execute("SELECT * FROM entries WHERE seq >= ? ORDER BY seq", [start - 1])
    names = [c[0] for c in cursor.description]
    rows = [dict(zip(names, values, strict=True)) for values in cursor.fetchall()]
    previous = rows[0]["hash"] if rows[0]["seq"] == start - 1 else None
    for row in rows:
        if row["seq"] < start:
            continue
        if previous is not None:
            row["prev_hash"] = previous
        row["hash"] = previous = row_hash(row)
        conn.execute(
            "UPDATE entries SET prev_hash = ?, hash = ? WHERE seq = ?",
            [row["prev_hash"], row["hash"], row["seq"]],
        )


def recompute_chain(conn: sqlite3.Connection, rng: random.Random) -> int | None:
    seq = edit_field(conn, rng, CONTENT)  # the hashes are rewritten below
    assert seq is not None
    recompute_from(conn, seq)
    return seq


def recompute_drop_checkpoints(conn: sqlite3.Connection, rng: random.Random) -> int | None:
    seq = recompute_chain(conn, rng)
    conn.execute("DELETE FROM checkpoints WHERE seq >= ?", [seq])
    return seq


def recompute_resign(conn: sqlite3.Connection, rng: random.Random) -> int | None:
    """Recompute, then re-sign every later checkpoint with a key of the attacker's own."""
    seq = recompute_chain(conn, rng)
    attacker = Signer(Ed25519PrivateKey.generate())
    register_id = conn.execute("SELECT value FROM meta WHERE key = 'register_id'").fetchone()[0]
    later = conn.execute("SELECT id, ts, seq FROM checkpoints WHERE seq >= ?", [seq]).fetchall()
    for checkpoint_id, ts, cp_seq in later:
        new_hash = conn.execute("SELECT hash FROM entries WHERE seq = ?", [cp_seq]).fetchone()
        cp = Checkpoint(ts, cp_seq, new_hash[0], attacker.public.key_id, "")
        signature = attacker.sign(signed_message("checkpoint", register_id, cp.signed_fields()))
        conn.execute(
            "UPDATE checkpoints SET hash = ?, key_id = ?, signature = ? WHERE id = ?",
            [cp.hash, cp.key_id, signature, checkpoint_id],
        )
    return seq


def forge_purge(conn: sqlite3.Connection, rng: random.Random) -> int | None:
    """Delete old rows and claim a retention purge, signed with the attacker's key."""
    present = seqs(conn)
    through = rng.choice(present[:-1])
    through_hash = conn.execute("SELECT hash FROM entries WHERE seq = ?", [through]).fetchone()[0]
    conn.execute("DELETE FROM entries WHERE seq <= ?", [through])
    attacker = Signer(Ed25519PrivateKey.generate())
    conn.execute(
        "INSERT INTO purges (ts, through_seq, through_hash, cutoff, retention_months,"
        " rows_deleted, key_id, signature) VALUES ('2026-01-01', ?, ?, '2026-01-01', 6, ?, ?, ?)",
        [through, through_hash, through, attacker.public.key_id, attacker.sign(b"x")],
    )
    return None


def edit_purge_record(conn: sqlite3.Connection, rng: random.Random) -> int | None:
    """Stretch the genuine purge record over more rows, and delete them."""
    through = rng.choice(seqs(conn)[:-1])
    conn.execute("UPDATE purges SET through_seq = ?, through_hash = ?", [through, "0" * 64])
    conn.execute("DELETE FROM entries WHERE seq <= ?", [through])
    return None


def edit_checkpoint(conn: sqlite3.Connection, rng: random.Random) -> int | None:
    column = rng.choice(("ts", "seq", "hash", "signature"))
    checkpoint_id = rng.choice([r[0] for r in conn.execute("SELECT id FROM checkpoints")])
    old = conn.execute(f"SELECT {column} FROM checkpoints WHERE id = ?", [checkpoint_id]).fetchone()
    new = changed(old[0], rng)
    conn.execute(f"UPDATE checkpoints SET {column} = ? WHERE id = ?", [new, checkpoint_id])
    return None


def delete_checkpoint(conn: sqlite3.Connection, rng: random.Random) -> int | None:
    checkpoint_id = rng.choice([r[0] for r in conn.execute("SELECT id FROM checkpoints")])
    conn.execute("DELETE FROM checkpoints WHERE id = ?", [checkpoint_id])
    return None


def edit_register_id(conn: sqlite3.Connection, rng: random.Random) -> int | None:
    recompute_chain(conn, rng)
    conn.execute("UPDATE meta SET value = ? WHERE key = 'register_id'", [f"autre-{rng.random()}"])
    return None


TAMPERINGS: dict[str, Tamper] = {
    "edit_field": edit_field,
    "edit_seq": edit_seq,
    "delete_row": delete_row,
    "delete_range": delete_range,
    "insert_middle": insert_middle,
    "insert_tail": insert_tail,
    "swap_rows": swap_rows,
    "truncate_rows": truncate_rows,
    "truncate_with_checkpoints": truncate_with_checkpoints,
    "recompute_chain": recompute_chain,
    "recompute_drop_checkpoints": recompute_drop_checkpoints,
    "recompute_resign": recompute_resign,
    "forge_purge": forge_purge,
    "edit_purge_record": edit_purge_record,
    "edit_checkpoint": edit_checkpoint,
    "delete_checkpoint": delete_checkpoint,
    "edit_register_id": edit_register_id,
}
ASSERT_LOCATION = {"edit_field", "delete_row", "swap_rows", "truncate_rows"}


def tamper_copy(sealed: SealedRegister, copy: Path, tamper: Tamper, rng: random.Random) -> int | None:
    shutil.copyfile(sealed.path, copy)
    conn = sqlite3.connect(copy, isolation_level=None)
    conn.execute("PRAGMA synchronous = OFF")
    for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'").fetchall():
        conn.execute(f'DROP TRIGGER "{name}"')
    conn.execute("BEGIN")
    expected = tamper(conn, rng)
    conn.execute("COMMIT")
    conn.close()
    return expected


def test_untampered_copy_verifies(sealed: SealedRegister, tmp_path: Path) -> None:
    copy = tmp_path / "copy.sqlite"
    shutil.copyfile(sealed.path, copy)
    report = verify_copy(sealed, copy)
    assert report.ok, report.problems
    assert (report.first_seq, report.last_seq, report.unsealed) == (PURGED + 1, ROWS, 0)
    assert report.purges == 1 and report.checkpoints >= ROWS // EVERY


@pytest.mark.parametrize("kind", sorted(TAMPERINGS))
def test_every_tampering_is_flagged(sealed: SealedRegister, tmp_path: Path, kind: str) -> None:
    rng = random.Random(f"{kind}-2026")
    for attempt in range(PER_KIND):
        copy = tmp_path / f"copy-{attempt}.sqlite"
        expected = tamper_copy(sealed, copy, TAMPERINGS[kind], rng)
        report = verify_copy(sealed, copy)
        assert not report.ok, f"{kind} #{attempt} not detected"
        if kind in ASSERT_LOCATION:
            assert report.first_bad_seq == expected, (kind, attempt, report.problems)
        if kind == "recompute_chain":  # caught at the next checkpoint, blamed on its whole block
            assert expected is not None and report.first_bad_seq is not None
            assert expected - EVERY < report.first_bad_seq <= expected
        copy.unlink()


def test_count_of_tamperings() -> None:
    assert len(TAMPERINGS) * PER_KIND >= 1000
