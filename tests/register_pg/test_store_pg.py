"""The register on a real PostgreSQL: the same rows and hashes as on SQLite, verify, purge, and
the append-only protections (privileges for the application role, triggers for every role)."""

from __future__ import annotations

import random
from datetime import UTC, datetime
from pathlib import Path

import psycopg
import pytest

from proxy.register.chain import row_hash
from proxy.register.records import TASK_NONE, RowFilter
from proxy.register.signing import load_signer
from proxy.register.store import Register, RegisterError
from proxy.register.verify import Tags, verify_register
from tests.register.registerkit import Clock, build_entry, make_sealed_register, random_entry
from tests.register_pg.conftest import Database

START = datetime(2026, 5, 4, 9, 30, tzinfo=UTC)


def fill(target: Path | str, key: Path, rows: int) -> list[dict[str, object]]:
    register = Register.open(target, signing_key_path=key, checkpoint_every=7, clock=Clock(START))
    rng = random.Random(5)
    entries = [random_entry(rng, i) for i in range(rows)]
    extras = build_entry(request_id="req-extra", task="title", attachments={"pdf:extracted": 2}, notice=True)
    register.append_many(entries[: rows // 2])
    for entry in [*entries[rows // 2 :], extras]:
        register.append(entry)
    register.close()
    reader = Register.open(target, readonly=True)
    try:
        return list(reader.rows())
    finally:
        reader.close()


def test_rows_and_hashes_are_the_same_as_on_sqlite(tmp_path: Path, database: Database) -> None:
    key = tmp_path / "cle.pem"
    on_sqlite = fill(tmp_path / "registre.sqlite", key, 60)
    on_postgres = fill(database.app_url, key, 60)
    assert [row_hash(row) for row in on_postgres] == [row["hash"] for row in on_postgres]
    assert on_postgres == on_sqlite  # every column, value and type: the same bytes are hashed


def test_verify_a_sealed_and_purged_register(tmp_path: Path, database: Database) -> None:
    sealed = make_sealed_register(tmp_path, rows=120, every=10, purge_through=30, target=database.app_url)
    register = Register.open(database.app_url, readonly=True)
    try:
        report = verify_register(
            register, public_key=sealed.public_key, tags=Tags(load_signer(sealed.key_path).mac)
        )
        purges, first = register.purges(), register.rows().__next__()["seq"]
        assert register.missing_triggers() == []
    finally:
        register.close()
    assert report.ok and report.verdict == "intègre", report.problems
    assert (
        len(purges) == 1 and first == purges[0].through_seq + 1 and report.rows == 120 - purges[0].through_seq
    )


def test_the_application_role_can_only_read_and_append(tmp_path: Path, database: Database) -> None:
    fill(database.app_url, tmp_path / "cle.pem", 10)
    with psycopg.connect(database.app_url, autocommit=True) as conn:
        for statement in (
            "UPDATE entries SET service = 'autre' WHERE seq = 3",
            "DELETE FROM entries WHERE seq = 3",
            "TRUNCATE entries",
            "DELETE FROM checkpoints",
            "UPDATE meta SET value = 'x'",
            "SELECT gardefou_purge(5)",  # no signed purge record up to row 5
            "DROP TABLE entries",
        ):
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                conn.execute(statement.encode())


def test_triggers_refuse_changes_even_to_the_owner(tmp_path: Path, database: Database) -> None:
    fill(database.app_url, tmp_path / "cle.pem", 10)
    with psycopg.connect(database.owner_url, autocommit=True) as conn:
        for statement in (
            "UPDATE entries SET service = 'autre' WHERE seq = 3",
            "DELETE FROM entries WHERE seq = 3",
            "TRUNCATE entries CASCADE",
            "UPDATE checkpoints SET seq = 1",
            "DELETE FROM meta",
            "TRUNCATE retention",
            "INSERT INTO entries SELECT * FROM entries WHERE seq = 2",  # not at the head
        ):
            with pytest.raises(psycopg.errors.InsufficientPrivilege, match="registre en ajout seul"):
                conn.execute(statement.encode())


def test_an_owner_who_disables_the_triggers_is_caught_by_verify(tmp_path: Path, database: Database) -> None:
    key = tmp_path / "cle.pem"
    fill(database.app_url, key, 30)
    with psycopg.connect(database.owner_url, autocommit=True) as conn:
        conn.execute("ALTER TABLE entries DISABLE TRIGGER entries_no_update")
        conn.execute("UPDATE entries SET service = 'rh' WHERE seq = 12 AND service <> 'rh'")
        conn.execute("UPDATE entries SET service = 'urbanisme' WHERE seq = 12 AND service = 'rh'")
        conn.execute("UPDATE entries SET duration_ms = duration_ms + 1 WHERE seq = 12")
    register = Register.open(database.app_url, readonly=True)
    try:
        report = verify_register(register, public_key=load_signer(key).public)
        disabled = register.missing_triggers()
    finally:
        register.close()
    assert not report.ok and report.first_bad_seq == 12
    assert disabled == ["entries_no_update"]


def test_a_missing_schema_is_a_clear_error(cluster_database_without_schema: str) -> None:
    with pytest.raises(RegisterError, match="init-db"):
        Register.open(cluster_database_without_schema, signing_key_path=None)
    with pytest.raises(RegisterError, match="Registre introuvable"):
        Register.open(cluster_database_without_schema, readonly=True)


def test_a_lost_connection_is_reopened_before_writing(tmp_path: Path, database: Database) -> None:
    key = tmp_path / "cle.pem"
    register = Register.open(database.app_url, signing_key_path=key, checkpoint_every=1000)
    try:
        register.append(build_entry(request_id="avant"))
        with psycopg.connect(database.owner_url, autocommit=True) as conn:  # the server drops the session
            conn.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                " WHERE application_name = 'gardefou-register' AND pid <> pg_backend_pid()"
            )
        register.append(build_entry(request_id="apres"))  # nothing was written yet: begun again
    finally:
        register.close()
    reader = Register.open(database.app_url, readonly=True)
    try:
        report = verify_register(reader, public_key=load_signer(key).public)
        assert [row["request_id"] for row in reader.rows()] == ["avant", "apres"]
    finally:
        reader.close()
    assert report.ok, report.problems


def test_browsing_and_filters_answer_as_on_sqlite(tmp_path: Path, database: Database) -> None:
    """The admin's register browser and the exports: same pages, counts and choices on both engines."""
    key = tmp_path / "cle.pem"
    fill(tmp_path / "registre.sqlite", key, 80)
    fill(database.app_url, key, 80)
    filters = [
        RowFilter(),
        RowFilter(service="rh"),
        RowFilter(rule="r-nir"),
        RowFilter(model="demo", decision="forwarded"),
        RowFilter(task=TASK_NONE),
        RowFilter(since="2026-05-04T09:30:00.000300Z", until="2026-05-04T09:30:00.000600Z"),
    ]
    answers = []
    for target in (tmp_path / "registre.sqlite", database.app_url):
        register = Register.open(target, readonly=True)
        try:
            answers.append(
                [
                    (register.count_where(f), register.page(f, offset=3, limit=5), list(register.rows(f)))
                    for f in filters
                ]
                + [register.distinct_values(), register.first_and_last_ts()]
            )
        finally:
            register.close()
    assert answers[0] == answers[1]
    assert answers[1][2][0] > 0  # the rule filter found rows (jsonb on PostgreSQL, json_each on SQLite)


def test_a_row_forged_at_the_head_raises_the_writers_alarm(tmp_path: Path, database: Database) -> None:
    """A row inserted at the head with a valid hash by someone holding database rights (not the key):
    the next append finds a head no writer made, records an alarm, and verify says altered."""
    key = tmp_path / "cle.pem"
    register = Register.open(database.app_url, signing_key_path=key, checkpoint_every=1000)
    try:
        register.append(build_entry(request_id="vraie"))
        head = register.head()
        forged = {**register.rows().__next__(), "seq": head.seq + 1, "request_id": "forgee"}
        forged["prev_hash"] = head.hash
        forged["hash"] = row_hash(forged)
        with psycopg.connect(database.app_url, autocommit=True) as conn:
            columns = ", ".join(f'"{name}"' for name in forged)
            marks = ", ".join("%s" for _ in forged)
            conn.execute(f"INSERT INTO entries ({columns}) VALUES ({marks})".encode(), list(forged.values()))
        register.append(build_entry(request_id="apres"))
        assert register.alarm_count == 1
    finally:
        register.close()
    reader = Register.open(database.app_url, readonly=True)
    try:
        report = verify_register(reader, public_key=load_signer(key).public, tags=Tags(load_signer(key).mac))
    finally:
        reader.close()
    assert not report.ok and report.alarms == 1
