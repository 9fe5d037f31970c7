"""Fixtures for the register on PostgreSQL: one real cluster for the session, a database per test.

Each database gets the schema from the owner role (`PgEngine.init_db`, as `gardefou register
init-db` does) and the application role's grants; the tests write as the application role.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from proxy.register.pg_engine import PgEngine
from tests.engines.postgres_server import APP, OWNER, PostgresServer, postgres_server


@dataclass(frozen=True)
class Database:
    owner_url: str  # creates the schema, may disable triggers (an insider)
    app_url: str  # what the proxy uses: SELECT and INSERT


@pytest.fixture(scope="session")
def cluster() -> Iterator[PostgresServer]:
    with postgres_server() as server:
        yield server


def new_database(cluster: PostgresServer, init: bool = True) -> Database:
    name = f"registre_{uuid.uuid4().hex[:10]}"
    cluster.create_database(name)
    database = Database(cluster.url(OWNER, name), cluster.url(APP, name))
    if init:
        PgEngine.init_db(database.owner_url, APP).close()
    return database


@pytest.fixture
def database(cluster: PostgresServer) -> Database:
    return new_database(cluster)
