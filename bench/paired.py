"""Added latency of two checkouts of Garde-fou, paired text by text: which one is faster, to 1 ms.

    .venv/bin/python bench/paired.py CHECKOUT_A CHECKOUT_B [--texts N] [--size CHARS]

On a shared machine the CPU's speed changes from one minute to the next (bench/overhead.py prints a
reference computation that moves by a factor of two), so two runs of bench/overhead.py one after the
other cannot tell 2 ms apart. Here both checkouts serve at once (each a real `gardefou serve` with
its own virtual environment, `.venv` inside the checkout, behind the same fake upstream), and every
text is sent to A then B, or B then A, alternately: a slow minute slows both. Printed: each side's
latency percentiles and CPU per request, and the median of the differences B - A over the texts
(with their quartiles). A git worktree makes a checkout of any commit:
`git worktree add /tmp/before <commit> && ln -s "$PWD/.venv" /tmp/before/.venv`. Nothing is asserted.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx

if __package__ in (None, ""):  # run as a script (python bench/paired.py): find the repository
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.overhead import (
    Target,
    _wait_listening,
    _write_config,
    cpu_seconds,
    fake_upstream,
    free_port,
    one_prompt,
    pct,
)

WARM_UP = 30


@dataclass
class Side:
    checkout: Path
    url: str
    headers: dict[str, str]
    pid: int
    latencies: list[float] = field(default_factory=list)


@contextmanager
def serving(checkout: Path, upstream: Target) -> Iterator[Side]:
    """`gardefou serve` from `checkout`, with its own interpreter and code, until the block ends."""
    with tempfile.TemporaryDirectory(prefix="gardefou-paired-") as tmp, tempfile.TemporaryFile() as log:
        config, key = _write_config(Path(tmp), upstream.url.removesuffix("/chat/completions"), None)
        port = free_port()
        command = [str(checkout / ".venv" / "bin" / "python"), "-m", "proxy", "serve"]
        command += ["--config", str(config), "--port", str(port)]
        env = {**os.environ, "PYTHONPATH": str(checkout)}
        process = subprocess.Popen(command, cwd=tmp, env=env, stdout=log, stderr=subprocess.STDOUT)
        url = f"http://127.0.0.1:{port}/v1/chat/completions"
        try:
            _wait_listening(process, url, log)
            yield Side(checkout, url, {"Authorization": f"Bearer {key}"}, process.pid)
        finally:
            process.terminate()
            process.wait(timeout=20)


async def send(client: httpx.AsyncClient, side: Side, seed: int, size: int) -> float:
    started = time.perf_counter()
    answer = await client.post(side.url, json=one_prompt(size, seed), headers=side.headers)
    answer.raise_for_status()
    return (time.perf_counter() - started) * 1000


async def compare(sides: list[Side], texts: int, size: int) -> list[float]:
    """CPU per request of each side; each side's latencies are kept on it."""
    async with httpx.AsyncClient(timeout=60) as client:
        for seed in range(WARM_UP):
            for side in sides:
                await send(client, side, 1_000_000 + seed, size)
        before = [cpu_seconds(side.pid) for side in sides]
        for seed in range(texts):
            for side in sides if seed % 2 == 0 else sides[::-1]:
                side.latencies.append(await send(client, side, seed, size))
    return [(cpu_seconds(side.pid) - start) * 1000 / texts for side, start in zip(sides, before, strict=True)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("checkouts", nargs=2, type=Path, help="checkout A, then checkout B")
    parser.add_argument("--texts", type=int, default=500, help="texts sent to each side")
    parser.add_argument("--size", type=int, default=1000, help="characters per text")
    args = parser.parse_args()
    with ExitStack() as stack:
        upstream = stack.enter_context(fake_upstream(20, 50))
        sides = [stack.enter_context(serving(checkout.resolve(), upstream)) for checkout in args.checkouts]
        cpu = asyncio.run(compare(sides, args.texts, args.size))
    for name, side, spent in zip("AB", sides, cpu, strict=True):
        p25, p50, p90 = (pct(side.latencies, q) for q in (25, 50, 90))
        figures = f"p25 {p25:.1f}  p50 {p50:.1f}  p90 {p90:.1f} ms ; CPU {spent:.1f} ms/req."
        print(f"{name} {side.checkout} : {figures}")
    differences = [b - a for a, b in zip(sides[0].latencies, sides[1].latencies, strict=True)]
    quartiles = ", ".join(f"{pct(differences, q):+.2f}" for q in (25, 75))
    median = pct(differences, 50)
    print(f"B - A, texte par texte ({args.size} car.) : médiane {median:+.2f} ms (quartiles {quartiles})")


if __name__ == "__main__":
    main()
