"""Three processes, each a Register with its RegisterWriter (group commit), append concurrently to
one PostgreSQL register: one linear chain, every acknowledged row present once, verified with the
shared off-host stream and the writers' tags."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

from proxy.register.journal import read_checkpoints
from proxy.register.signing import load_or_create_signer
from proxy.register.store import Register
from proxy.register.verify import Tags, verify_register
from tests.register_pg.conftest import Database

REPO = Path(__file__).resolve().parents[2]
INSTANCES, ROWS = 3, 150


def test_three_instances_make_one_chain(tmp_path: Path, database: Database) -> None:
    key, journal, go = tmp_path / "cle.pem", tmp_path / "flux.jsonl", tmp_path / "go"
    signer = load_or_create_signer(key)  # one key shared by the instances, as in a deployment
    workers = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "tests.register_pg.writer_worker",
                database.app_url,
                str(key),
                str(journal),
                f"i{n}",
                str(ROWS),
                str(go),
            ],
            cwd=REPO,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for n in range(INSTANCES)
    ]
    deadline = time.monotonic() + 120
    while len(list(tmp_path.glob("*.ready"))) < INSTANCES and time.monotonic() < deadline:
        assert all(worker.poll() is None for worker in workers), [w.communicate() for w in workers]
        time.sleep(0.01)
    go.touch()
    outputs = [worker.communicate(timeout=240) for worker in workers]
    assert [worker.returncode for worker in workers] == [0] * INSTANCES, outputs
    assert [int(out.strip()) for out, _ in outputs] == [ROWS] * INSTANCES  # every append acknowledged
    register = Register.open(database.app_url, readonly=True)
    try:
        rows = list(register.rows())
        report = verify_register(
            register, public_key=signer.public, external=read_checkpoints(journal), tags=Tags(signer.mac)
        )
    finally:
        register.close()
    expected = {f"i{n}-{i}" for n in range(INSTANCES) for i in range(ROWS)}
    assert [row["seq"] for row in rows] == list(range(1, len(expected) + 1))  # no gap, no fork
    assert sorted(row["request_id"] for row in rows) == sorted(expected)  # no loss, no duplicate
    assert report.ok and report.verdict == "intègre", report.problems
    assert report.off_host_records >= report.checkpoints > 0
