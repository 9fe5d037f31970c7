"""Signed checkpoints: made every N rows and at close, verifiable with the public key only."""

from __future__ import annotations

import json
import sqlite3
import time
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from registerkit import EntryFactory

from proxy.register.journal import JournalError, read_checkpoints
from proxy.register.records import signed_message
from proxy.register.signing import KeyFileError, PublicKey, load_signer, parse_public_key
from proxy.register.store import Register, RegisterError
from proxy.register.verify import verify_register


def open_signed(tmp_path: Path, every: int = 3, interval_s: float = 3600) -> Register:
    return Register.open(
        tmp_path / "registre.sqlite",
        signing_key_path=tmp_path / "cle.pem",
        checkpoint_every=every,
        checkpoint_interval_s=interval_s,
        checkpoint_journal=tmp_path / "points.jsonl",
    )


def test_checkpoints_every_n_rows_and_at_close(tmp_path: Path, entry_factory: EntryFactory) -> None:
    register = open_signed(tmp_path, every=3)
    for index in range(7):
        register.append(entry_factory(request_id=f"r{index}"))
    # the first row is sealed at once (no checkpoint yet), then every third row
    assert [cp.seq for cp in register.checkpoints()] == [1, 3, 6]
    register.close()
    reopened = Register.open(tmp_path / "registre.sqlite", readonly=True)
    checkpoints = reopened.checkpoints()
    rows = {row["seq"]: row["hash"] for row in reopened.rows()}
    reopened.close()
    assert [cp.seq for cp in checkpoints] == [1, 3, 6, 7]
    assert all(cp.hash == rows[cp.seq] for cp in checkpoints)


def test_signatures_verify_with_the_public_key_only(tmp_path: Path, entry_factory: EntryFactory) -> None:
    register = open_signed(tmp_path)
    register.append_many(entry_factory(request_id=f"r{i}") for i in range(5))
    register.close()
    public = parse_public_key(load_signer(tmp_path / "cle.pem").public.text)
    reopened = Register.open(tmp_path / "registre.sqlite", readonly=True)
    for cp in reopened.checkpoints():
        message = signed_message("checkpoint", reopened.register_id, cp.signed_fields())
        assert public.verify(cp.signature, message)
        assert not public.verify(cp.signature, message.replace(b'"seq":', b'"seq":1'))
    report = verify_register(reopened, public_key=public)
    reopened.close()
    assert report.ok and report.signatures_checked and report.unsealed == 0


def test_another_key_is_reported(tmp_path: Path, entry_factory: EntryFactory) -> None:
    register = open_signed(tmp_path)
    register.append(entry_factory())
    register.close()
    stranger = PublicKey(Ed25519PrivateKey.generate().public_key())
    reopened = Register.open(tmp_path / "registre.sqlite", readonly=True)
    report = verify_register(reopened, public_key=stranger)
    reopened.close()
    assert not report.ok
    assert "autre clé" in report.problems[0].message


def test_journal_holds_every_checkpoint(tmp_path: Path, entry_factory: EntryFactory) -> None:
    register = open_signed(tmp_path, every=2)
    register.append_many(entry_factory(request_id=f"r{i}") for i in range(5))
    register.close()
    lines = (tmp_path / "points.jsonl").read_text(encoding="utf-8").splitlines()
    assert [json.loads(line)["seq"] for line in lines] == [2, 4, 5]
    [external] = read_checkpoints(tmp_path / "points.jsonl")
    assert len(external.checkpoints) == 3


def test_checkpoint_is_idempotent_and_needs_a_key(tmp_path: Path, entry_factory: EntryFactory) -> None:
    register = open_signed(tmp_path, every=100)
    register.append(entry_factory())  # sealed: the first row
    register.append(entry_factory())
    assert register.checkpoint() is not None
    assert register.checkpoint() is None
    register.close()
    unsigned = Register.open(tmp_path / "autre.sqlite")
    unsigned.append(entry_factory())
    with pytest.raises(RegisterError, match="clé de signature"):
        unsigned.checkpoint()
    unsigned.close()


def test_key_file_is_private_and_public_forms_parse(tmp_path: Path) -> None:
    key_path = tmp_path / "cle.pem"
    Register.open(tmp_path / "r.sqlite", signing_key_path=key_path).close()
    assert key_path.stat().st_mode & 0o077 == 0
    public = load_signer(key_path).public
    pem = public.key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode()
    assert parse_public_key(pem).key_id == public.key_id
    assert parse_public_key(public.text.removeprefix("ed25519:")).key_id == public.key_id
    with pytest.raises(KeyFileError):
        parse_public_key("ed25519:pas-une-cle")
    (tmp_path / "faux.pem").write_text("bonjour", encoding="utf-8")
    with pytest.raises(KeyFileError):
        load_signer(tmp_path / "faux.pem")


def test_a_line_cut_by_a_crash_is_ignored(tmp_path: Path, entry_factory: EntryFactory) -> None:
    register = open_signed(tmp_path, every=1)
    register.append_many(entry_factory(request_id=f"r{i}") for i in range(2))
    register.close()
    journal = tmp_path / "points.jsonl"
    journal.write_text(journal.read_text() + '{"kind": "checkpoint", "seq"', encoding="utf-8")
    [external] = read_checkpoints(journal)
    assert [cp.seq for cp in external.checkpoints] == [1, 2]
    journal.write_text('{"kind": "checkpoint"}\n', encoding="utf-8")
    with pytest.raises(JournalError, match="ligne 1"):
        read_checkpoints(journal)


def crash_before_the_seal_commits(tmp_path: Path, entry_factory: EntryFactory, seq: int) -> None:
    """Leave registre.sqlite as a kill -9 would between the journal line of the checkpoint of
    row `seq` and its commit: the rows are committed, the checkpoint is in the journal only."""
    register = open_signed(tmp_path, every=3)
    path, snapshot = tmp_path / "registre.sqlite", tmp_path / "avant-sceau.sqlite"

    def copy_when_committed(rows: list[dict[str, object]], _: object) -> None:
        if any(row["seq"] == seq for row in rows):  # rows committed, seal not yet begun
            with sqlite3.connect(path) as source, sqlite3.connect(snapshot) as target:
                source.backup(target)

    register.on_commit = copy_when_committed
    register.append_many(entry_factory(request_id=f"r{i}") for i in range(seq - 1))
    register.append(entry_factory(request_id="scellee"))
    register.close()
    snapshot.replace(path)
    for suffix in ("-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)


def verify_with_journal(tmp_path: Path) -> list[str]:
    register = Register.open(tmp_path / "registre.sqlite", readonly=True)
    try:
        key = load_signer(tmp_path / "cle.pem").public
        external = read_checkpoints(tmp_path / "points.jsonl")
        report = verify_register(register, public_key=key, external=external)
    finally:
        register.close()
    return [problem.message for problem in report.problems]


def test_a_checkpoint_lost_by_a_crash_is_recovered_from_the_journal_at_start(
    tmp_path: Path, entry_factory: EntryFactory
) -> None:
    crash_before_the_seal_commits(tmp_path, entry_factory, seq=6)
    assert verify_with_journal(tmp_path) == []  # the journal's newest line may lack its row
    register = open_signed(tmp_path, every=3)  # the restart puts it back...
    assert [cp.seq for cp in register.checkpoints()][-1] == 6
    register.append_many(entry_factory(request_id=f"apres{i}") for i in range(4))
    register.close()
    assert verify_with_journal(tmp_path) == []  # ...so later checkpoints do not make it look deleted


def test_a_journal_checkpoint_that_does_not_seal_the_file_is_not_recovered(
    tmp_path: Path, entry_factory: EntryFactory
) -> None:
    crash_before_the_seal_commits(tmp_path, entry_factory, seq=6)
    with sqlite3.connect(tmp_path / "registre.sqlite") as conn:  # an attacker, triggers dropped
        conn.execute("DROP TRIGGER entries_no_update")
        conn.execute("UPDATE entries SET hash = ? WHERE seq = 6", ["0" * 64])
    register = open_signed(tmp_path, every=3)
    assert 6 not in [cp.seq for cp in register.checkpoints()]
    register.close()
    assert any("ligne 6" in message for message in verify_with_journal(tmp_path))


def test_quiet_hours_seal_every_row_after_the_interval(tmp_path: Path, entry_factory: EntryFactory) -> None:
    register = open_signed(tmp_path, every=100, interval_s=1.0)
    for index in range(2):
        time.sleep(1.05 * index)
        register.append(entry_factory(request_id=f"r{index}"))
    register.append(entry_factory(request_id="soon-after"))  # within the interval: not yet
    assert [cp.seq for cp in register.checkpoints()] == [1, 2]
    register.close()


def test_quiet_hours_seal_sees_the_checkpoints_of_other_processes(
    tmp_path: Path, entry_factory: EntryFactory
) -> None:
    """Each instance remembers the newest checkpoint it saw; a newer one made by another process
    (worker) on the same file still counts, and an old remembered one is checked against the file."""
    first = open_signed(tmp_path, every=100, interval_s=1.0)
    second = open_signed(tmp_path, every=100, interval_s=1.0)
    first.append(entry_factory(request_id="a"))  # no checkpoint yet: sealed at once (seq 1)
    time.sleep(1.05)
    second.append(entry_factory(request_id="b"))  # seq 1 sealed over a second ago: seal seq 2
    first.append(entry_factory(request_id="c"))  # remembers seq 1 (old), the file has seq 2 (recent)
    assert [cp.seq for cp in first.checkpoints()] == [1, 2]
    time.sleep(1.05)
    first.append(entry_factory(request_id="d"))  # the file's newest is old now: seal seq 4
    assert [cp.seq for cp in second.checkpoints()] == [1, 2, 4]
    second.close()
    first.close()


def test_many_bad_signatures_do_not_hide_the_first_bad_row(
    tmp_path: Path, entry_factory: EntryFactory
) -> None:
    register = open_signed(tmp_path, every=1)
    register.append_many(entry_factory(request_id=f"r{i}") for i in range(80))
    register.close()
    conn = sqlite3.connect(tmp_path / "registre.sqlite")
    conn.execute("DROP TRIGGER entries_no_update")
    conn.execute("UPDATE entries SET status = 201 WHERE seq = 70")
    conn.commit()
    conn.close()
    stranger = PublicKey(Ed25519PrivateKey.generate().public_key())
    reopened = Register.open(tmp_path / "registre.sqlite", readonly=True)
    report = verify_register(reopened, public_key=stranger)
    reopened.close()
    assert report.problem_count > 80 and report.first_bad_seq == 70
