"""A real PostgreSQL server on 127.0.0.1, its cluster in a temporary folder, stopped at the end.

Debian's `postgresql` package (installed by .ci/run): `initdb` then `postgres` run as the `postgres`
system user when the tests run as root (PostgreSQL refuses to run as root). Two roles are created:
the owner (creates the schema) and `gardefou_app`, which the proxy uses, with INSERT and SELECT only
on the register (and DELETE, which the triggers allow for signed purges only). Missing binaries skip
the tests on a developer's machine, never in CI (CI=true).
"""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.engines.redis_server import free_port

OWNER = "gardefou_owner"
APP = "gardefou_app"
PASSWORD = "mot-de-passe-de-test"


@dataclass
class PostgresServer:
    port: int
    database: str

    def url(self, role: str = APP, database: str | None = None) -> str:
        return f"postgresql://{role}:{PASSWORD}@127.0.0.1:{self.port}/{database or self.database}"

    def create_database(self, name: str) -> None:
        """Another database of the cluster, owned by the owner role (one per test)."""
        import psycopg  # tests only; the proxy imports psycopg in its PostgreSQL modules

        with psycopg.connect(self.url(OWNER, "postgres"), autocommit=True) as conn:
            conn.execute(f"CREATE DATABASE {name} OWNER {OWNER}".encode())


def postgres_bin() -> Path:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if not found:
        if os.environ.get("CI") == "true":
            raise AssertionError("PostgreSQL manquant en CI : .ci/run doit l'installer")
        pytest.skip("PostgreSQL absent (paquet Debian postgresql)")
    return Path(found[-1]).parent


def _as_postgres(command: list[str]) -> list[str]:
    if os.geteuid() != 0:
        return command
    runuser = shutil.which("runuser")
    assert runuser is not None
    return [runuser, "-u", "postgres", "--", *command]


@contextmanager
def postgres_server(database: str = "gardefou") -> Iterator[PostgresServer]:
    """Its own temporary folder: pytest's are private to root, and the server runs as `postgres`."""
    folder = Path(tempfile.mkdtemp(prefix="gardefou-pg-"))
    folder.chmod(0o755)
    try:
        with _cluster(folder, database) as server:
            yield server
    finally:
        shutil.rmtree(folder, ignore_errors=True)


@contextmanager
def _cluster(folder: Path, database: str) -> Iterator[PostgresServer]:
    binaries, port = postgres_bin(), free_port()
    data, sockets = folder / "data", folder / "sockets"
    sockets.mkdir()
    if os.geteuid() == 0:
        shutil.chown(folder, "postgres")
        shutil.chown(sockets, "postgres")
    password_file = folder / "password"
    password_file.write_text(PASSWORD)
    if os.geteuid() == 0:
        shutil.chown(password_file, "postgres")
    initdb = [str(binaries / "initdb"), "-D", str(data), "-U", OWNER, "--pwfile", str(password_file)]
    initdb += ["-A", "scram-sha-256", "--encoding", "UTF8", "--locale", "C"]
    done = subprocess.run(_as_postgres(initdb), capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"initdb: {done.stderr}")
    server = [str(binaries / "postgres"), "-D", str(data), "-p", str(port), "-k", str(sockets)]
    server += ["-c", "listen_addresses=127.0.0.1", "-c", "fsync=on", "-c", "max_connections=200"]
    process = subprocess.Popen(_as_postgres(server), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        _wait_ready(binaries, port, process)
        _create_database(binaries, port, database)
        yield PostgresServer(port, database)
    finally:
        _stop(binaries, data, process)


def _stop(binaries: Path, data: Path, process: subprocess.Popen[bytes]) -> None:
    """Fast shutdown: sessions still open (a test that failed midway) are ended, not waited for."""
    stop = [str(binaries / "pg_ctl"), "-D", str(data), "-m", "fast", "-w", "stop"]
    subprocess.run(_as_postgres(stop), capture_output=True, timeout=60)
    if process.poll() is None:
        process.terminate()
    process.wait(timeout=30)


def _wait_ready(binaries: Path, port: int, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError("postgres exited at start")
        ready = subprocess.run(
            [str(binaries / "pg_isready"), "-h", "127.0.0.1", "-p", str(port)], capture_output=True
        )
        if ready.returncode == 0:
            return
        time.sleep(0.2)
    raise RuntimeError("postgres did not start")


def _create_database(binaries: Path, port: int, database: str) -> None:
    env = {**os.environ, "PGPASSWORD": PASSWORD}
    psql = [str(binaries / "psql"), "-h", "127.0.0.1", "-p", str(port), "-U", OWNER, "-v", "ON_ERROR_STOP=1"]
    statements = [
        f"CREATE DATABASE {database} OWNER {OWNER}",
        f"CREATE ROLE {APP} LOGIN PASSWORD '{PASSWORD}'",
    ]
    for statement in statements:
        subprocess.run([*psql, "-d", "postgres", "-c", statement], check=True, capture_output=True, env=env)
