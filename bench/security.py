"""Cost of the access checks: key lookup, limiter, JSON shape checks (median of repeated runs).

Run: .venv/bin/python bench/security.py [--keys 1000]
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from proxy.keystore import KeyStore
from proxy.limits import Limiter, check_shape
from proxy.settings import LimitSettings


def per_call_us(action: Callable[[], object], calls: int, rounds: int = 5) -> float:
    timings = []
    for _ in range(rounds):
        started = time.perf_counter()
        for _ in range(calls):
            action()
        timings.append((time.perf_counter() - started) / calls * 1e6)
    return statistics.median(timings)


def keys(count: int) -> None:
    store = KeyStore(Path(tempfile.mkdtemp()) / "keys.sqlite")
    for i in range(count):
        store.create(user=f"agent{i}", service="urbanisme")
    key = store.create(user="agent.mesure", service="urbanisme").secret_key
    unknown = "gf_0123456789ab_" + "x" * 43
    print(f"clé valide ({count} clés en base) : {per_call_us(lambda: store.authenticate(key), 500):.0f} µs")
    print(f"clé inconnue : {per_call_us(lambda: store.authenticate(unknown), 500):.0f} µs")


def limiter() -> None:
    limits = Limiter(LimitSettings(user_requests_per_minute=10**6, service_requests_per_minute=10**6))
    users = iter(range(10**9))
    admit = lambda: limits.admit(f"agent{next(users) % 500}", "urbanisme").release()  # noqa: E731
    print(f"limiteur (admission + libération, 500 agents) : {per_call_us(admit, 20_000):.1f} µs")


def shape() -> None:
    settings = LimitSettings(max_messages=10_000)
    for messages in (10, 1000):
        body = {"model": "demo", "messages": [{"role": "user", "content": "x" * 1000}] * messages}
        parsed = json.loads(json.dumps(body))
        cost = per_call_us(lambda parsed=parsed: check_shape(parsed, settings), 50)
        print(f"contrôle de forme ({messages} messages) : {cost:.0f} µs")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--keys", type=int, default=1000)
    args = parser.parse_args()
    keys(args.keys)
    limiter()
    shape()


if __name__ == "__main__":
    main()
