"""The register writer: every request's row committed before it returns, queued rows grouped in one
transaction, a failing row failing its own request only."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
import time
from collections.abc import Iterable
from pathlib import Path

import pytest
from registerkit import EntryFactory

from proxy.register.chain import row_hash
from proxy.register.entry import RegisterEntry
from proxy.register.signing import load_signer
from proxy.register.store import Register
from proxy.register.verify import verify_register
from proxy.register.writer import RegisterWriter


class GatedRegister:
    """Stands for a Register: the first append waits for `gate`; rows with status 599 fail."""

    signer = None  # nothing to seal

    def __init__(self) -> None:
        self.gate = threading.Event()
        self.groups: list[list[str]] = []

    def append_many(self, entries: Iterable[RegisterEntry]) -> None:
        group = list(entries)
        if not self.groups and not self.gate.is_set():
            self.gate.wait(10)
        if any(entry.status == 599 for entry in group):
            raise RuntimeError("refused")
        self.groups.append([entry.request_id for entry in group])


def test_rows_are_committed_and_chained_before_append_returns(
    tmp_path: Path, entry_factory: EntryFactory
) -> None:
    register = Register.open(tmp_path / "r.sqlite", signing_key_path=tmp_path / "k.pem")
    reader = Register.open(tmp_path / "r.sqlite", readonly=True)  # sees committed rows only
    writer = RegisterWriter(register)

    async def requests() -> None:
        async def one(n: int) -> None:
            await writer.append(entry_factory(request_id=f"req-{n}"))
            assert f"req-{n}" in {row["request_id"] for row in reader.rows()}

        await asyncio.gather(*(one(n) for n in range(50)))

    asyncio.run(requests())
    writer.close()
    report = verify_register(register, public_key=load_signer(tmp_path / "k.pem").public)
    assert report.ok, report.problems
    assert register.count() == 50
    reader.close()
    register.close()


def test_rows_queued_meanwhile_share_one_transaction(entry_factory: EntryFactory) -> None:
    fake = GatedRegister()
    writer = RegisterWriter(fake)  # type: ignore[arg-type]

    async def requests() -> None:
        first = asyncio.ensure_future(writer.append(entry_factory(request_id="first")))
        await asyncio.sleep(0.05)  # the writer now holds "first" and waits at the gate
        others = [asyncio.ensure_future(writer.append(entry_factory(request_id=f"r{n}"))) for n in range(5)]
        await asyncio.sleep(0.05)
        fake.gate.set()
        await asyncio.gather(first, *others)

    asyncio.run(requests())
    writer.close()
    assert fake.groups == [["first"], [f"r{n}" for n in range(5)]]


def test_a_failing_row_fails_its_own_request_only(entry_factory: EntryFactory) -> None:
    fake = GatedRegister()
    writer = RegisterWriter(fake)  # type: ignore[arg-type]

    async def requests() -> list[BaseException | None]:
        first = asyncio.ensure_future(writer.append(entry_factory(request_id="first")))
        await asyncio.sleep(0.05)
        statuses = [200, 599, 200]
        others = [
            asyncio.ensure_future(writer.append(entry_factory(request_id=f"r{n}", status=status)))
            for n, status in enumerate(statuses)
        ]
        await asyncio.sleep(0.05)
        fake.gate.set()
        await first
        return list(await asyncio.gather(*others, return_exceptions=True))

    outcomes = asyncio.run(requests())
    writer.close()
    assert outcomes[0] is None and outcomes[2] is None
    assert isinstance(outcomes[1], RuntimeError)
    assert fake.groups == [["first"], ["r0"], ["r2"]]


def test_close_writes_what_is_queued(tmp_path: Path, entry_factory: EntryFactory) -> None:
    register = Register.open(tmp_path / "r.sqlite")
    writer = RegisterWriter(register)

    async def hand_over() -> None:
        for n in range(3):
            await writer.append(entry_factory(request_id=f"req-{n}"))

    asyncio.run(hand_over())
    writer.close()
    assert [row["request_id"] for row in register.rows()] == ["req-0", "req-1", "req-2"]
    register.close()


@pytest.mark.parametrize("count", [1, 300])
def test_groups_never_exceed_the_limit(entry_factory: EntryFactory, count: int) -> None:
    fake = GatedRegister()
    fake.gate.set()
    writer = RegisterWriter(fake)  # type: ignore[arg-type]

    async def requests() -> None:
        await asyncio.gather(*(writer.append(entry_factory(request_id=f"r{n}")) for n in range(count)))

    asyncio.run(requests())
    writer.close()
    assert sum(len(group) for group in fake.groups) == count
    assert max(len(group) for group in fake.groups) <= 256


def test_a_timer_seals_the_head_while_no_request_comes(tmp_path: Path, entry_factory: EntryFactory) -> None:
    journal = tmp_path / "hors-machine" / "flux.jsonl"
    register = Register.open(
        tmp_path / "r.sqlite", signing_key_path=tmp_path / "k.pem", checkpoint_journal=journal
    )
    writer = RegisterWriter(register, seal_interval_s=0.2)

    async def three() -> None:
        for n in range(3):
            await writer.append(entry_factory(request_id=f"req-{n}"))

    asyncio.run(three())
    assert [cp.seq for cp in register.checkpoints()] == [1]  # the first row, then not at each append...
    deadline = time.monotonic() + 5
    while len(register.checkpoints()) < 2 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert [cp.seq for cp in register.checkpoints()] == [1, 3]  # ...but by the timer, with no request
    assert time.monotonic() < deadline
    assert '"kind":"checkpoint"' in journal.read_text(encoding="utf-8")  # and off-host
    writer.close()
    register.close()


def test_a_head_written_by_another_hand_raises_an_alarm(tmp_path: Path, entry_factory: EntryFactory) -> None:
    register = Register.open(tmp_path / "r.sqlite", signing_key_path=tmp_path / "k.pem")
    writer = RegisterWriter(register, seal_interval_s=60)
    asyncio.run(writer.append(entry_factory(request_id="req-0")))
    with sqlite3.connect(tmp_path / "r.sqlite") as conn:  # the forger: a copy of the head, re-chained
        conn.execute("DROP TRIGGER entries_append_at_head")
        row = dict(zip(*_columns_and_row(conn), strict=True))
        row.update(seq=row["seq"] + 1, prev_hash=row["hash"], request_id="req-forged")
        row["hash"] = row_hash(row)
        conn.execute(f"INSERT INTO entries VALUES ({', '.join('?' for _ in row)})", list(row.values()))
    asyncio.run(writer.append(entry_factory(request_id="req-1")))  # checked before appending
    writer.close()
    assert register.alarm_count == 1
    endpoints = [row["endpoint"] for row in register.rows()]
    assert endpoints[2] == "register.alarm" and len(endpoints) == 4  # req-0, forged, alarm, req-1
    assert all(cp.seq != 2 for cp in register.checkpoints())  # the forged head was never sealed alone
    register.close()


def _columns_and_row(conn: sqlite3.Connection) -> tuple[list[str], tuple[object, ...]]:
    cursor = conn.execute("SELECT * FROM entries ORDER BY seq DESC LIMIT 1")
    return [c[0] for c in cursor.description], cursor.fetchone()
