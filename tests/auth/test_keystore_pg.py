"""API keys in a real PostgreSQL (keys_url): hashed only, least privileges for the instances' role,
`gardefou keys init|create|list|revoke` against the URL, refused when PostgreSQL does not answer."""

from __future__ import annotations

import subprocess
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg
import pytest
import yaml

from proxy.cli import main
from proxy.errors import KeysUnavailable
from proxy.keystore_pg import TABLE, KeysSchemaMissing, PostgresKeyStore
from proxy.register.store import Register
from proxy.roles import Role
from tests.engines.postgres_server import APP, OWNER, PostgresServer, postgres_bin, postgres_server
from tests.engines.redis_server import free_port


@pytest.fixture(scope="module")
def server() -> Iterator[PostgresServer]:
    with postgres_server() as running:
        assert main(["keys", "init", "--url", running.url(OWNER), "--app-role", APP]) == 0
        yield running


@pytest.fixture
def store(server: PostgresServer) -> Iterator[PostgresKeyStore]:
    keys = PostgresKeyStore(server.url(APP), cache_s=0.5)
    yield keys
    keys.close()


def rows(server: PostgresServer) -> list[tuple[object, ...]]:
    with psycopg.connect(server.url(OWNER)) as db:
        return db.execute(f"SELECT * FROM {TABLE}").fetchall()


def test_a_key_authenticates_and_only_its_hash_is_stored(
    server: PostgresServer, store: PostgresKeyStore
) -> None:
    new = store.create(user="agent.urba", service="urbanisme")
    record = store.authenticate(new.secret_key)
    assert record is not None and record.user == "agent.urba" and record.role is Role.AGENT
    secret = new.secret_key.split("_", 2)[2]
    stored = [row for row in rows(server) if row[0] == new.record.key_id]
    assert len(stored) == 1 and secret not in repr(stored) and new.secret_key not in repr(stored)
    used = store.get(new.record.key_id)
    assert used is not None and used.last_used_at == datetime.now(UTC).date().isoformat()  # the day only


def test_wrong_unknown_expired_and_revoked_keys_are_refused(store: PostgresKeyStore) -> None:
    new = store.create(user="agent.rh", service="rh")
    key_id = new.record.key_id
    assert store.authenticate(new.secret_key[:-2] + "zz") is None
    assert store.authenticate(f"gf_{'0' * 12}_{'a' * 43}") is None
    assert store.authenticate("pas une clé") is None
    soon = store.create(user="agent.rh", service="rh", expires_at=datetime.now(UTC) + timedelta(days=1))
    assert store.authenticate(soon.secret_key, now=datetime.now(UTC) + timedelta(days=2)) is None
    assert store.revoke(key_id) and store.authenticate(new.secret_key) is None
    assert not store.revoke(key_id) and not store.revoke("'; DROP TABLE x; --")
    record = store.get(key_id)
    assert record is not None and record.state(datetime.now(UTC)) == "révoquée"


def test_the_instances_role_reads_adds_and_revokes_but_never_rewrites_or_deletes(
    server: PostgresServer, store: PostgresKeyStore
) -> None:
    new = store.create(user="agent.etat-civil", service="etat-civil")
    key_id = new.record.key_id
    store.revoke(key_id)
    forbidden = [
        (f"DELETE FROM {TABLE} WHERE key_id = %s", psycopg.errors.InsufficientPrivilege),
        (
            f"UPDATE {TABLE} SET secret_sha256 = repeat('0', 64) WHERE key_id = %s",
            psycopg.errors.InsufficientPrivilege,
        ),
        (f"UPDATE {TABLE} SET role = 'admin' WHERE key_id = %s", psycopg.errors.InsufficientPrivilege),
        (f"UPDATE {TABLE} SET revoked_at = NULL WHERE key_id = %s", psycopg.errors.RaiseException),
    ]
    for statement, error in forbidden:
        with psycopg.connect(server.url(APP), autocommit=True) as db, pytest.raises(error):
            db.execute(statement, (key_id,))  # type: ignore[arg-type]
    with (
        psycopg.connect(server.url(APP), autocommit=True) as db,
        pytest.raises(psycopg.errors.InsufficientPrivilege),
    ):
        db.execute(f"DROP TABLE {TABLE}")
    assert store.authenticate(new.secret_key) is None


def test_the_cli_manages_keys_through_the_url(
    server: PostgresServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "gardefou.yaml"
    config.write_text(yaml.safe_dump({"data_dir": str(tmp_path / "data"), "keys_url": server.url(APP)}))
    assert main(["keys", "create", "--config", str(config), "--user", "dpo.ville", "--role", "dpo"]) == 0
    secret = capsys.readouterr().out.strip()
    record = PostgresKeyStore(server.url(APP)).authenticate(secret)
    assert record is not None and record.role is Role.DPO
    assert main(["keys", "list", "--config", str(config)]) == 0
    listing = capsys.readouterr().out
    assert record.key_id in listing and secret.split("_", 2)[2] not in listing
    assert main(["keys", "revoke", "--config", str(config), record.key_id]) == 0
    assert PostgresKeyStore(server.url(APP)).authenticate(secret) is None
    assert not (tmp_path / "data" / "keys.sqlite").exists()  # nothing went to the SQLite default


def test_a_revocation_elsewhere_is_honoured_within_the_cache_delay(server: PostgresServer) -> None:
    first, second = PostgresKeyStore(server.url(APP), 0.3), PostgresKeyStore(server.url(APP), 0.3)
    new = first.create(user="agent.social", service="action-sociale")
    assert second.authenticate(new.secret_key) is not None  # created elsewhere: at once
    assert first.revoke(new.record.key_id)
    assert first.authenticate(new.secret_key) is None  # where it was revoked: at once
    revoked = datetime.now(UTC)
    while second.authenticate(new.secret_key) is not None:
        assert datetime.now(UTC) - revoked < timedelta(seconds=1)
    first.close()
    second.close()


def test_a_missing_table_or_an_unreachable_server_is_said_in_french(server: PostgresServer) -> None:
    with psycopg.connect(server.url(OWNER), autocommit=True) as db:
        db.execute("CREATE DATABASE vide")
    empty = server.url(APP).rsplit("/", 1)[0] + "/vide"
    with pytest.raises(KeysSchemaMissing, match="gardefou keys init"):
        PostgresKeyStore(empty)
    with pytest.raises(KeysUnavailable, match="ne répond pas"):
        PostgresKeyStore(f"postgresql://{APP}@127.0.0.1:{free_port()}/gardefou")


def test_once_postgresql_stops_answering_a_key_is_refused_with_a_503(
    server: PostgresServer, store: PostgresKeyStore
) -> None:
    new = store.create(user="agent.panne", service="urbanisme")
    assert store.authenticate(new.secret_key) is not None
    with psycopg.connect(server.url(OWNER), autocommit=True) as db:
        db.execute(f"ALTER ROLE {APP} NOLOGIN")
        db.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = %s", (APP,))
    try:
        time.sleep(0.6)  # past keys_cache_s: the key must be read again
        with pytest.raises(KeysUnavailable, match="ne répond pas"):
            store.authenticate(new.secret_key)
    finally:
        with psycopg.connect(server.url(OWNER), autocommit=True) as db:
            db.execute(f"ALTER ROLE {APP} LOGIN")
    assert store.authenticate(new.secret_key) is not None  # back as soon as the database is


def test_the_register_backup_carries_the_keys(server: PostgresServer, tmp_path: Path) -> None:
    assert main(["register", "init-db", "--url", server.url(OWNER), "--app-role", APP]) == 0
    config = tmp_path / "gardefou.yaml"
    config.write_text(yaml.safe_dump({"data_dir": str(tmp_path / "data"), "register_url": server.url(APP)}))
    Register.open(server.url(APP), signing_key_path=tmp_path / "cle.pem").close()  # as at first start
    archive = tmp_path / "sauvegarde.dump"
    assert main(["register", "backup", "--config", str(config), str(archive)]) == 0
    listing = subprocess.run(
        [str(postgres_bin() / "pg_restore"), "--list", str(archive)],
        capture_output=True,
        text=True,
        check=True,
    )
    assert f"TABLE DATA public {TABLE}" in listing.stdout  # one archive: the register and the keys
