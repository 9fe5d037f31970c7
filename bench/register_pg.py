"""The register on PostgreSQL: `register migrate` of a large SQLite register, and append figures
beside SQLite's.

Run: .venv/bin/python bench/register_pg.py [--rows 100000] [--appends 300]

Builds a SQLite register with the real append path (rows in groups of 1,000, a signed checkpoint
every 100 rows, as the server's writer makes them), starts a PostgreSQL cluster on loopback (like
the tests: tests/engines/postgres_server.py), runs `gardefou register migrate` into it (copy and
verification timed), then times appends on both engines: one row per transaction (a lone request)
and groups of 8 (eight concurrent requests, group commit).
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from proxy.cli import main as gardefou
from proxy.register.pg_engine import PgEngine
from proxy.register.store import Register
from tests.engines.postgres_server import APP, OWNER, postgres_server
from tests.register.registerkit import random_entry


def build(path: Path, key: Path, rows: int) -> float:
    rng = random.Random(1)
    register = Register.open(path, signing_key_path=key, checkpoint_every=100, retention_months=12)
    started = time.perf_counter()
    for start in range(0, rows, 1000):
        register.append_many(random_entry(rng, i) for i in range(start, min(rows, start + 1000)))
    register.close()
    return time.perf_counter() - started


def appends(target: Path | str, key: Path, count: int, group: int, first: int) -> tuple[float, float]:
    """(median ms per transaction, rows per second) for `count` rows in groups of `group`."""
    rng = random.Random(first)
    register = Register.open(target, signing_key_path=key, checkpoint_every=100)
    timings = []
    started = time.perf_counter()
    for start in range(first, first + count, group):
        entries = [random_entry(rng, i) for i in range(start, start + group)]
        begun = time.perf_counter()
        register.append_many(entries)
        timings.append((time.perf_counter() - begun) * 1000)
    rate = count / (time.perf_counter() - started)
    register.close()
    return statistics.median(timings), rate


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--appends", type=int, default=300)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp, postgres_server() as server:
        path, key = Path(tmp) / "registre.sqlite", Path(tmp) / "cle.pem"
        print(f"SQLite register: {args.rows} rows built in {build(path, key, args.rows):.1f} s")
        PgEngine.init_db(server.url(OWNER), APP).close()
        url = server.url(APP)
        started = time.perf_counter()
        code = gardefou(["register", "migrate", "--from", str(path), "--to", url, "--key", str(key)])
        print(f"migrate: exit {code}, {time.perf_counter() - started:.1f} s in all")
        for name, target in (("SQLite", path), ("PostgreSQL", url)):
            for group in (1, 8):
                median, rate = appends(target, key, args.appends, group, 10_000_000 + group * 100_000)
                print(f"append {name}, {group} row(s)/transaction: median {median:.2f} ms, {rate:.0f} rows/s")


if __name__ == "__main__":
    main()
