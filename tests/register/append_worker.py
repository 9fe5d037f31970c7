"""A worker process for the concurrency test: several threads appending to one register file.

Usage: python append_worker.py REGISTER KEY PREFIX ROWS_PER_THREAD THREADS GO_FILE

The worker opens the register, writes PREFIX.ready beside GO_FILE, then waits for GO_FILE to exist,
so that all the workers start appending together.
"""

from __future__ import annotations

import sys
import threading
import time
from pathlib import Path

from registerkit import build_entry

from proxy.register.store import Register


def main(argv: list[str]) -> None:
    path, key, prefix = Path(argv[0]), Path(argv[1]), argv[2]
    rows, threads, go = int(argv[3]), int(argv[4]), Path(argv[5])
    register = Register.open(path, signing_key_path=key, checkpoint_every=25)
    go.with_name(f"{prefix}.ready").touch()
    while not go.exists():
        time.sleep(0.005)

    def append(thread: int) -> None:
        for index in range(rows):
            register.append(build_entry(request_id=f"{prefix}-{thread}-{index}"))

    workers = [threading.Thread(target=append, args=(t,)) for t in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    register.close()


if __name__ == "__main__":
    main(sys.argv[1:])
