"""The NER in worker processes, so that it runs beside the rest of the request on other cores.

spaCy's NER holds Python's GIL: in the server process it serialises with everything else (HTTP,
the pattern recognizers, the policy, the register). In worker processes it runs while the server
process applies the pattern recognizers to the same texts, and the NER of concurrent requests uses
every core. Each worker loads the model once, at start-up. Only texts go to the workers and only
(start, end, label) triples come back; nothing is written anywhere.

A worker that dies breaks the pool: the requests in flight fail closed (DetectionError upstream),
and the next request starts a new pool. A server that dies takes its workers with it: each worker
watches its parent and exits when it is gone.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import signal
import threading
import time
from collections.abc import Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool

from proxy.analysis.config import DetectionConfig
from proxy.analysis.ner import FrenchNer, RawEntity

log = logging.getLogger("gardefou")

_WORKER_NER: FrenchNer | None = None  # the model, in each worker process
_WARM_UP = ["M. Jean Dupont habite à Lyon."]
_PARENT_CHECK_S = 1.0


class NerProcesses:
    """`count` worker processes, each with its own `FrenchNer`."""

    def __init__(self, config: DetectionConfig, count: int) -> None:
        self._config = config
        self._count = count
        self._lock = threading.Lock()
        self._pool = self._start()

    def submit(self, texts: Sequence[str]) -> Future[list[list[RawEntity]]]:
        with self._lock:
            try:
                return self._pool.submit(_entities, list(texts))
            except BrokenProcessPool:
                log.error("NER worker process lost: starting new ones")
                self._pool.shutdown(wait=False, cancel_futures=True)
                self._pool = self._start()
                return self._pool.submit(_entities, list(texts))

    def spread(self, texts: Sequence[str]) -> list[Future[list[list[RawEntity]]]]:
        """The texts in up to `count` batches of similar length, analysed in parallel."""
        return [self.submit(batch) for batch in _balanced(texts, self._count) if batch]

    def warm_up(self) -> None:
        """Wait until every worker has loaded its model (one job each, in parallel)."""
        for future in [self.submit(_WARM_UP) for _ in range(self._count)]:
            future.result()

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)

    def _start(self) -> ProcessPoolExecutor:
        # spawn: the server process has threads (event loop, detection, register); forking it
        # would copy their locks in whatever state they are.
        return ProcessPoolExecutor(
            max_workers=self._count,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=_load,
            initargs=(self._config,),
        )


def _balanced(texts: Sequence[str], count: int) -> list[list[str]]:
    """Consecutive runs of texts, cut where the characters so far pass each 1/count share."""
    total = sum(len(text) for text in texts) or 1
    batches: list[list[str]] = [[] for _ in range(count)]
    done = 0
    for text in texts:
        batches[min(count - 1, done * count // total)].append(text)
        done += len(text)
    return batches


def _load(config: DetectionConfig) -> None:
    """Worker initializer: the server handles Ctrl-C and shuts the pool down."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    threading.Thread(target=_exit_with_parent, args=(os.getppid(),), daemon=True).start()
    global _WORKER_NER
    _WORKER_NER = FrenchNer(config)


def _exit_with_parent(parent: int) -> None:
    """A server killed outright (SIGKILL, out of memory) cannot stop its workers, which would wait
    forever holding their model: each checks that its parent is still there."""
    while os.getppid() == parent:
        time.sleep(_PARENT_CHECK_S)
    os._exit(0)


def _entities(texts: list[str]) -> list[list[RawEntity]]:
    if _WORKER_NER is None:
        raise RuntimeError("NER worker used before its model was loaded")
    return _WORKER_NER.entities(texts)
