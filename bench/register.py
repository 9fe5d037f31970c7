"""Register figures: verification time of a 100,000-row register, append latency.

Run: .venv/bin/python bench/register.py [--rows 100000]
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "register"))

from registerkit import random_entry

from proxy.register.signing import load_signer
from proxy.register.store import Register
from proxy.register.verify import verify_register


def build(path: Path, key: Path, rows: int) -> float:
    rng = random.Random(1)
    register = Register.open(path, signing_key_path=key, checkpoint_every=100)
    started = time.perf_counter()
    for start in range(0, rows, 10_000):
        register.append_many(random_entry(rng, i) for i in range(start, min(rows, start + 10_000)))
    register.close()
    return time.perf_counter() - started


def verify_time(path: Path, key: Path) -> tuple[float, bool]:
    public = load_signer(key).public
    started = time.perf_counter()
    register = Register.open(path, readonly=True)
    report = verify_register(register, public_key=public, require_sealed=True)
    register.close()
    return time.perf_counter() - started, report.ok


def append_latency(path: Path, key: Path, count: int) -> list[float]:
    rng = random.Random(2)
    register = Register.open(path, signing_key_path=key, checkpoint_every=100)
    timings = []
    for index in range(count):
        entry = random_entry(rng, index)
        started = time.perf_counter()
        register.append(entry)
        timings.append((time.perf_counter() - started) * 1000)
    register.close()
    return timings


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=100_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path, key = Path(tmp) / "registre.sqlite", Path(tmp) / "cle.pem"
        built = build(path, key, args.rows)
        size = path.stat().st_size / 1e6
        print(f"register: {args.rows} rows built in {built:.1f} s ({size:.1f} MB)")
        seconds, ok = verify_time(path, key)
        print(
            f"verify ({args.rows} rows, chain + {args.rows // 100} signed checkpoints): "
            f"{seconds:.2f} s, ok={ok}"
        )
        timings = append_latency(path, key, 200)
        p95 = statistics.quantiles(timings, n=20)[-1]
        print(f"append (WAL, synchronous=FULL): median {statistics.median(timings):.2f} ms, p95 {p95:.2f} ms")


if __name__ == "__main__":
    main()
