"""Charter acknowledgements in a real PostgreSQL (with keys_url): an agent who accepted the charter on
one instance is let through by every instance; the instances' role may add, never rewrite or delete;
`gardefou charter stats` counts per service from there."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from proxy.cli import main
from proxy.governance.acks_pg import TABLE, PostgresAckStore, open_acks
from proxy.settings import load_settings
from tests.engines.postgres_server import APP, OWNER, PostgresServer, postgres_server

SHA = "b" * 64


@pytest.fixture(scope="module")
def server() -> Iterator[PostgresServer]:
    with postgres_server() as running:
        assert main(["keys", "init", "--url", running.url(OWNER), "--app-role", APP]) == 0
        yield running


def test_an_acknowledgement_on_one_instance_holds_on_the_others(server: PostgresServer) -> None:
    first, second = PostgresAckStore(server.url(APP)), PostgresAckStore(server.url(APP))
    try:
        assert not second.has("agent.urba", "2026-02", SHA)
        first.add("agent.urba", "urbanisme", "2026-02", SHA)
        first.add("agent.urba", "urbanisme", "2026-02", SHA)  # twice: one acknowledgement
        assert second.has("agent.urba", "2026-02", SHA)
        assert not second.has("agent.urba", "2026-03", SHA)  # a new version is a new acknowledgement
        assert not second.has("agent.rh", "2026-02", SHA)
    finally:
        first.close()
        second.close()


def test_the_instances_role_cannot_rewrite_or_delete_an_acknowledgement(server: PostgresServer) -> None:
    store = PostgresAckStore(server.url(APP))
    store.add("agent.social", "social", "2026-02", SHA)
    store.close()
    for statement in (f"UPDATE {TABLE} SET service = 'autre'", f"DELETE FROM {TABLE}", f"TRUNCATE {TABLE}"):
        with (
            psycopg.connect(server.url(APP), autocommit=True) as db,
            pytest.raises(psycopg.errors.InsufficientPrivilege),
        ):
            db.execute(statement.encode())


def test_the_configuration_puts_them_beside_the_keys_and_stats_read_them(
    server: PostgresServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "gardefou.yaml"
    config.write_text(f"data_dir: {tmp_path}\nkeys_url: {server.url(APP)}\n", encoding="utf-8")
    store = open_acks(load_settings(config))
    assert isinstance(store, PostgresAckStore)
    for user in ("agent.un", "agent.deux"):
        store.add(user, "etat-civil", "2026-02", SHA)
    store.close()
    capsys.readouterr()
    assert main(["charter", "stats", "--config", str(config), "--format", "json"]) == 0
    printed = capsys.readouterr().out
    counts = {row["service"]: row["agents"] for row in json.loads(printed)}
    assert counts["etat-civil"] == 2
    assert "agent." not in printed  # counts per service, never a list of agents
    assert not (tmp_path / "charter-acknowledgements.sqlite").exists()
