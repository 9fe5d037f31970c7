"""A worker process for the concurrency test: several threads appending to one register file.

Usage: python append_worker.py REGISTER KEY PREFIX ROWS_PER_THREAD THREADS START_AT
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
    rows, threads, start_at = int(argv[3]), int(argv[4]), float(argv[5])
    register = Register.open(path, signing_key_path=key, checkpoint_every=25)
    time.sleep(max(0.0, start_at - time.time()))  # all processes start appending together

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
