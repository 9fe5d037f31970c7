"""Fixtures for the register on PostgreSQL: one real cluster for the session, a database per test.

Each database gets the schema from the owner role (`PgEngine.init_db`, as `gardefou register
init-db` does) and the application role's grants; the tests write as the application role.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import psycopg
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
    """A register of its own: a new schema of the cluster's database (a new database per test would
    make the server's final checkpoint slow), named in the URLs' search_path."""
    name = f"registre_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(cluster.url(OWNER), autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {name} AUTHORIZATION {OWNER}".encode())
        if not init:  # the application role may use the schema, not create tables in it
            conn.execute(f"GRANT USAGE ON SCHEMA {name} TO {APP}".encode())
    path = f"?options=-csearch_path%3D{name}"
    database = Database(cluster.url(OWNER) + path, cluster.url(APP) + path)
    if init:
        PgEngine.init_db(database.owner_url, APP).close()
    return database


@pytest.fixture
def database(cluster: PostgresServer) -> Database:
    return new_database(cluster)


@pytest.fixture
def cluster_database_without_schema(cluster: PostgresServer) -> str:
    """A new database where the application role may not create tables: its URL."""
    return new_database(cluster, init=False).app_url
