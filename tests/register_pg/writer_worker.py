"""One "instance" for the concurrency test: a Register and its RegisterWriter on a PostgreSQL URL,
many concurrent requests appending through the writer (group commit).

Usage: python -m tests.register_pg.writer_worker URL KEY JOURNAL PREFIX ROWS GO_FILE

Opens the register, writes PREFIX.ready beside GO_FILE, waits for GO_FILE, then appends ROWS
entries from ROWS concurrent tasks and prints the number acknowledged (committed).
"""

from __future__ import annotations

import asyncio
import sys
import time
from pathlib import Path

from proxy.register.store import Register
from proxy.register.writer import RegisterWriter
from tests.register.registerkit import build_entry


async def append_all(writer: RegisterWriter, prefix: str, rows: int) -> int:
    results = await asyncio.gather(
        *(writer.append(build_entry(request_id=f"{prefix}-{index}")) for index in range(rows)),
        return_exceptions=True,
    )
    failures = [result for result in results if isinstance(result, BaseException)]
    assert not failures, failures[:3]
    return len(results)


def main(argv: list[str]) -> None:
    url, key, journal, prefix, rows, go = (
        argv[0],
        Path(argv[1]),
        Path(argv[2]),
        argv[3],
        int(argv[4]),
        Path(argv[5]),
    )
    register = Register.open(url, signing_key_path=key, checkpoint_every=25, checkpoint_journal=journal)
    writer = RegisterWriter(register, seal_interval_s=0.2)
    go.with_name(f"{prefix}.ready").touch()
    while not go.exists():
        time.sleep(0.005)
    acknowledged = asyncio.run(append_all(writer, prefix, rows))
    writer.close()
    register.close()
    print(acknowledged)


if __name__ == "__main__":
    main(sys.argv[1:])
