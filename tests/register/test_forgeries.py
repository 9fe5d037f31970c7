"""The forgeries of the red-team run, each checked by `gardefou register verify` in two modes:

- by default, on the host: the local key file (signatures, writers' tags), no off-host copy;
- with off-host material only: the public key kept elsewhere (--pubkey) and the off-host stream
  (--checkpoints), without the private key (no tags).

The attacker has write access to the register file (drops the append-only triggers) and, for the
purge, reads the signing key. The writer (a `Register` opened as the server opens it) goes on working
after the forgery where a live server would. The table of results is printed (pytest -s) and
`not detected` must stay empty.
"""

from __future__ import annotations

import os
import random
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from registerkit import Clock, random_entry

from proxy.cli import main
from proxy.register.chain import row_hash
from proxy.register.records import Checkpoint, PurgeRecord, signed_message
from proxy.register.signing import load_signer
from proxy.register.store import TS_FORMAT, Register

RESULTS: dict[str, tuple[bool, bool]] = {}


@dataclass
class Scene:
    """A register as the server writes it: key outside the data directory, stream in another place."""

    db: Path
    key: Path
    stream: Path
    clock: Clock

    def open(self) -> Register:
        return Register.open(
            self.db,
            signing_key_path=self.key,
            checkpoint_every=100,
            checkpoint_journal=self.stream,
            retention_months=6,
            clock=self.clock,
        )

    def attacker(self) -> sqlite3.Connection:
        conn = sqlite3.connect(self.db)
        for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'").fetchall():
            conn.execute(f"DROP TRIGGER {name}")
        return conn

    def verdicts(self, capsys: pytest.CaptureFixture[str]) -> tuple[int, int]:
        """(exit code by default, exit code with off-host material only)."""
        default = main(["register", "verify", "--db", str(self.db), "--key", str(self.key)])
        pubkey = load_signer(self.key).public.text
        no_key = str(self.db.parent / "absente.key")
        remote = ["--pubkey", pubkey, "--checkpoints", str(self.stream)]
        off_host = main(["register", "verify", "--db", str(self.db), "--key", no_key, *remote])
        capsys.readouterr()
        return default, off_host


@pytest.fixture
def scene(tmp_path: Path) -> Iterator[Scene]:
    data, keys, remote = tmp_path / "data", tmp_path / "cles", tmp_path / "hors-machine"
    data.mkdir()
    yield Scene(
        data / "register.sqlite", keys / "signature.key", remote / "flux.jsonl", Clock(datetime.now(UTC))
    )


def fill(register: Register, rows: int, start: int = 0) -> None:
    rng = random.Random(start)
    register.append_many(random_entry(rng, i) for i in range(start, start + rows))


def record(name: str, scene: Scene, capsys: pytest.CaptureFixture[str]) -> None:
    default, off_host = scene.verdicts(capsys)
    RESULTS[name] = (default == 1, off_host == 1)
    assert default == 1 or off_host == 1, f"{name}: not detected"


# -- the forgeries -------------------------------------------------------------------------------


def test_deleting_the_rows_not_yet_sealed(scene: Scene, capsys: pytest.CaptureFixture[str]) -> None:
    register = scene.open()
    fill(register, 120)  # sealed at 100 (every 100 rows); 20 not yet sealed
    with scene.attacker() as conn:
        conn.execute("DELETE FROM entries WHERE seq > 100")
    register.checkpoint()  # the writer's timer, within a second
    fill(register, 1, start=500)
    assert register.alarm_count == 1
    register.close()
    record("suppression des lignes pas encore scellées", scene, capsys)


def test_row_inserted_at_the_head_is_not_sealed(scene: Scene, capsys: pytest.CaptureFixture[str]) -> None:
    register = scene.open()
    fill(register, 30)
    with scene.attacker() as conn:
        insert_forged(conn, head_of(conn))
    assert register.checkpoint() is None  # the head check refuses to sign it
    assert register.alarm_count == 1
    register.close()
    record("ligne insérée en tête, empreinte recalculée", scene, capsys)


def test_purge_signed_with_the_local_key_beyond_retention(
    scene: Scene, capsys: pytest.CaptureFixture[str]
) -> None:
    register = scene.open()
    fill(register, 300)
    register.close()
    with scene.attacker() as conn:
        forge_purge(conn, scene, through=200, cut=scene.clock.moment)
    record("purge signée (clé locale), lignes 1-200, coupe aujourd'hui (conservation 6 mois)", scene, capsys)


def test_purge_backdated_within_retention(scene: Scene, capsys: pytest.CaptureFixture[str]) -> None:
    register = scene.open()
    fill(register, 300)
    register.close()
    with scene.attacker() as conn:
        forge_purge(conn, scene, through=200, cut=datetime.now(UTC) - timedelta(days=200))
    record("purge signée (clé locale), coupe antidatée dans la conservation", scene, capsys)


def test_purge_with_a_forged_backdated_checkpoint(scene: Scene, capsys: pytest.CaptureFixture[str]) -> None:
    register = scene.open()
    fill(register, 300)
    register.close()
    old = datetime.now(UTC) - timedelta(days=400)
    with scene.attacker() as conn:
        forge_checkpoint(conn, scene, 200, old)
        forge_purge(conn, scene, through=200, cut=old + timedelta(days=1))
    record("purge et point de contrôle antidatés, signés (clé locale)", scene, capsys)


def test_unsealed_rows_rewritten(scene: Scene, capsys: pytest.CaptureFixture[str]) -> None:
    register = scene.open()
    fill(register, 110)
    register.close()  # the server stops (its last seal is then taken away below)
    with scene.attacker() as conn:
        conn.execute("DELETE FROM checkpoints WHERE seq > 100")
        rewrite_tail(conn, after=100)
    record("lignes non scellées réécrites (chaîne recalculée)", scene, capsys)


def test_rows_appended_while_the_server_is_stopped(scene: Scene, capsys: pytest.CaptureFixture[str]) -> None:
    register = scene.open()
    fill(register, 40)
    register.close()
    with scene.attacker() as conn:
        for _ in range(3):
            insert_forged(conn, head_of(conn))
    record("lignes ajoutées en queue, serveur arrêté", scene, capsys)


def test_last_checkpoint_deleted(scene: Scene, capsys: pytest.CaptureFixture[str]) -> None:
    register = scene.open()
    fill(register, 140)
    register.close()  # sealed at 100 and at close (140)
    with scene.attacker() as conn:
        conn.execute("DELETE FROM checkpoints WHERE seq = 140")
        conn.execute("DELETE FROM entries WHERE seq > 130")
    record("dernier point de contrôle supprimé, queue tronquée", scene, capsys)


def test_the_table(capsys: pytest.CaptureFixture[str]) -> None:
    """Run last (file order): print the table; nothing may be left undetected."""
    if len(RESULTS) < 8:
        pytest.skip("the forgery tests did not all run")  # e.g. `-k` picked a single one
    lines = ["| falsification | par défaut | avec matériel hors machine seul |", "|---|---|---|"]
    for name, (default, off_host) in RESULTS.items():
        lines.append(f"| {name} | {_yes(default)} | {_yes(off_host)} |")
    by_default = sum(default for default, _ in RESULTS.values())
    only_off = sum(off and not default for default, off in RESULTS.values())
    missed = sum(not (default or off) for default, off in RESULTS.values())
    lines.append(f"\ndétectées par défaut : {by_default} ; seulement hors machine : {only_off}")
    lines.append(f"non détectées : {missed}")
    with capsys.disabled():
        print("\n" + "\n".join(lines))
    assert missed == 0


def _yes(flag: bool) -> str:
    return "détectée" if flag else "non"


# -- an untouched register after kill -9 -----------------------------------------------------------


CRASHING_WRITER = """
import os, random, sys
from pathlib import Path
sys.path.insert(0, sys.argv[4])
from registerkit import random_entry
from proxy.register.store import Register
db, key, stream = (Path(arg) for arg in sys.argv[1:4])
register = Register.open(db, signing_key_path=key, checkpoint_journal=stream, retention_months=6)
rng = random.Random(1)
register.append_many(random_entry(rng, i) for i in range(130))
os.kill(os.getpid(), 9)
"""


def test_untouched_register_after_kill_9_is_not_yet_sealed(
    scene: Scene, capsys: pytest.CaptureFixture[str]
) -> None:
    here = str(Path(__file__).parent)
    args = [str(scene.db), str(scene.key), str(scene.stream), here]
    done = subprocess.run([sys.executable, "-c", CRASHING_WRITER, *args], check=False, env={**os.environ})
    assert done.returncode == -9
    base = ["register", "verify", "--db", str(scene.db), "--key", str(scene.key), "--strict"]
    assert main(base) == 3
    assert "PAS ENCORE SCELLÉ" in capsys.readouterr().out
    assert main([*base, "--checkpoints", str(scene.stream)]) == 3
    out = capsys.readouterr().out
    assert "PAS ENCORE SCELLÉ" in out and "ALTÉRÉ" not in out


# -- the attacker's tools ---------------------------------------------------------------------------


def head_of(conn: sqlite3.Connection) -> tuple[int, str]:
    seq, digest = conn.execute("SELECT seq, hash FROM entries ORDER BY seq DESC LIMIT 1").fetchone()
    return int(seq), str(digest)


def columns_of(conn: sqlite3.Connection, seq: int) -> dict[str, object]:
    cursor = conn.execute("SELECT * FROM entries WHERE seq = ?", [seq])
    return dict(zip([c[0] for c in cursor.description], cursor.fetchone(), strict=True))


def insert_forged(conn: sqlite3.Connection, head: tuple[int, str]) -> None:
    row = columns_of(conn, head[0])
    row.update(seq=head[0] + 1, request_id="req-forged", prev_hash=head[1], status=200)
    row["hash"] = row_hash(row)
    names = ", ".join(f'"{name}"' for name in row)
    conn.execute(f"INSERT INTO entries ({names}) VALUES ({', '.join('?' for _ in row)})", list(row.values()))


def rewrite_tail(conn: sqlite3.Connection, after: int) -> None:
    previous = str(conn.execute("SELECT hash FROM entries WHERE seq = ?", [after]).fetchone()[0])
    for (seq,) in conn.execute("SELECT seq FROM entries WHERE seq > ? ORDER BY seq", [after]).fetchall():
        row = columns_of(conn, seq)
        row.update(user="agent.autre", prev_hash=previous)
        row["hash"] = previous = row_hash(row)
        conn.execute(
            'UPDATE entries SET "user" = ?, prev_hash = ?, hash = ? WHERE seq = ?',
            [row["user"], row["prev_hash"], row["hash"], seq],
        )


def forge_checkpoint(conn: sqlite3.Connection, scene: Scene, seq: int, when: datetime) -> None:
    signer = load_signer(scene.key)
    register_id = conn.execute("SELECT value FROM meta WHERE key = 'register_id'").fetchone()[0]
    digest = conn.execute("SELECT hash FROM entries WHERE seq = ?", [seq]).fetchone()[0]
    unsigned = Checkpoint(when.strftime(TS_FORMAT), seq, digest, signer.public.key_id, "")
    cp = unsigned.signed(signer.sign(signed_message("checkpoint", register_id, unsigned.signed_fields())))
    conn.execute(
        "INSERT INTO checkpoints (ts, seq, hash, key_id, signature) VALUES (?, ?, ?, ?, ?)",
        [cp.ts, cp.seq, cp.hash, cp.key_id, cp.signature],
    )


def forge_purge(conn: sqlite3.Connection, scene: Scene, through: int, cut: datetime) -> None:
    """A purge record signed with the key the attacker read, then the rows deleted."""
    signer = load_signer(scene.key)
    register_id = conn.execute("SELECT value FROM meta WHERE key = 'register_id'").fetchone()[0]
    digest = conn.execute("SELECT hash FROM entries WHERE seq = ?", [through]).fetchone()[0]
    unsigned = PurgeRecord(
        ts=datetime.now(UTC).strftime(TS_FORMAT),
        through_seq=through,
        through_hash=digest,
        cutoff=cut.strftime(TS_FORMAT),
        retention_months=6,
        rows_deleted=through,
        key_id=signer.public.key_id,
        signature="",
    )
    message = signed_message("purge", register_id, unsigned.signed_fields())
    purge = unsigned.signed(signer.sign(message))
    conn.execute(
        "INSERT INTO purges (ts, through_seq, through_hash, cutoff, retention_months, rows_deleted, key_id,"
        " signature) VALUES (:ts, :through_seq, :through_hash, :cutoff, :retention_months, :rows_deleted,"
        " :key_id, :signature)",
        purge.to_row(),
    )
    conn.execute("DELETE FROM entries WHERE seq <= ?", [through])
