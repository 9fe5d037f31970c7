"""Retention: whole checkpointed blocks are purged, a signed record is left, the chain verifies."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from registerkit import Clock, EntryFactory

from proxy.register.retention import check_months, cutoff
from proxy.register.signing import load_signer
from proxy.register.store import Register
from proxy.register.verify import verify_register


def filled(
    tmp_path: Path, entry_factory: EntryFactory, old: int, young: int, months: int = 12, seal: bool = False
) -> tuple[Register, str]:
    """`old` rows over 3 years old, then today's `young` rows; a checkpoint every 10 rows; the
    cutoff of a `months` retention today."""
    clock = Clock(datetime.now(UTC) - timedelta(days=3 * 366))
    register = Register.open(
        tmp_path / "r.sqlite", signing_key_path=tmp_path / "k.pem", checkpoint_every=10, clock=clock
    )
    register.append_many(entry_factory(request_id=f"old{i}") for i in range(old))
    if seal:  # as the server's timer does within a second
        register.checkpoint()
    clock.moment = datetime.now(UTC)
    register.append_many(entry_factory(request_id=f"new{i}") for i in range(young))
    return register, cutoff(clock.moment, months)


def test_purge_removes_whole_blocks_only(tmp_path: Path, entry_factory: EntryFactory) -> None:
    register, limit = filled(tmp_path, entry_factory, old=25, young=8)
    record = register.purge(limit, 12)
    assert record is not None
    # rows 21..25 are old but their block (21..30) also holds young rows: kept
    assert (record.through_seq, record.rows_deleted) == (20, 20)
    assert [row["request_id"] for row in register.rows()][:5] == [f"old{i}" for i in range(20, 25)]
    assert register.purge(limit, 12) is None  # nothing more to remove
    register.close()


def test_register_verifies_after_purges(tmp_path: Path, entry_factory: EntryFactory) -> None:
    register, limit = filled(tmp_path, entry_factory, old=30, young=5, months=6)
    register.purge(limit, 6)
    register.append(entry_factory(request_id="after"))
    register.close()
    public = load_signer(tmp_path / "k.pem").public
    reopened = Register.open(tmp_path / "r.sqlite", readonly=True)
    report = verify_register(reopened, public_key=public, require_sealed=True)
    reopened.close()
    assert report.ok, report.problems
    assert (report.first_seq, report.last_seq, report.purges) == (31, 36, 1)


def test_everything_old_is_purged_and_appending_goes_on(tmp_path: Path, entry_factory: EntryFactory) -> None:
    register, limit = filled(tmp_path, entry_factory, old=13, young=0, months=36, seal=True)
    record = register.purge(limit, 36)
    assert record is not None and record.through_seq == 13  # the head was sealed first
    assert register.count() == 0
    register.append(entry_factory(request_id="next"))
    assert [row["seq"] for row in register.rows()] == [14]
    register.close()
    reopened = Register.open(tmp_path / "r.sqlite", readonly=True)
    assert verify_register(reopened, public_key=load_signer(tmp_path / "k.pem").public).ok
    reopened.close()


def test_rows_after_the_purge_record_cannot_be_deleted(tmp_path: Path, entry_factory: EntryFactory) -> None:
    register, limit = filled(tmp_path, entry_factory, old=12, young=3)
    register.purge(limit, 12)
    register.close()
    conn = sqlite3.connect(tmp_path / "r.sqlite")
    with pytest.raises(sqlite3.DatabaseError, match="ajout seul"):
        conn.execute("DELETE FROM entries WHERE seq = 11")
    with pytest.raises(sqlite3.DatabaseError, match="ajout seul"):
        conn.execute("UPDATE purges SET rows_deleted = 0")
    conn.close()


@pytest.mark.parametrize("months", [0, 5, 37, 120])
def test_retention_is_bounded(months: int) -> None:
    with pytest.raises(ValueError, match="entre 6 et 36"):
        check_months(months)


@pytest.mark.parametrize(
    ("now", "months", "expected"),
    [
        (datetime(2026, 11, 23, 5, 0, tzinfo=UTC), 12, "2025-11-23T05:00:00.000000Z"),
        (datetime(2026, 3, 31, tzinfo=UTC), 13, "2025-02-28T00:00:00.000000Z"),
        (datetime(2026, 1, 15, tzinfo=UTC), 6, "2025-07-15T00:00:00.000000Z"),
        (datetime(2028, 2, 29, tzinfo=UTC), 36, "2025-02-28T00:00:00.000000Z"),
    ],
)
def test_cutoff_counts_calendar_months(now: datetime, months: int, expected: str) -> None:
    assert cutoff(now, months) == expected
