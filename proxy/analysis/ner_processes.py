"""The NER in worker processes, so that it runs beside the rest of the request on other cores.

spaCy's NER holds Python's GIL: in the server process it serialises with everything else (HTTP,
the pattern recognizers, the policy, the register). In worker processes it runs while the server
process applies the pattern recognizers to the same texts, and the NER of concurrent requests uses
every core. Each worker loads the model once, at start-up. Only texts go to the workers and only
(start, end, label) triples come back; nothing is written anywhere.

Each worker has its own pipe, and the thread that analyses a request writes to it and reads from it
itself. (concurrent.futures' process pool relays both ways through helper threads: while the
request's thread ran the pattern recognizers, holding the GIL, the texts waited in the parent for
one of those threads, and the NER started about 5 ms late.)

A worker that overruns the deadline fails the request it held (fail closed upstream) and is replaced
at once. A worker found dead (killed, say by the kernel's out-of-memory killer, possibly just before it
was handed the texts) is replaced too, and its texts go once to another worker: a second loss fails
the request. A server that dies closes the pipes: its workers read the end of their pipe and exit.
"""

from __future__ import annotations

import contextlib
import logging
import multiprocessing
import queue
import signal
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from typing import Any

from proxy.analysis.config import DetectionConfig
from proxy.analysis.ner import ENGLISH_WARM_UP, FRENCH, BilingualNer, NerPath, NerText, RawEntity

log = logging.getLogger("gardefou")

_WARM_UP: list[NerText] = [(FRENCH, "M. Jean Dupont habite à Lyon.")]
_STOP_WAIT_S = 5.0
_HEARTBEAT_S = 0.2  # a loaded worker's thread stamps its shared clock this often (readiness)

Collect = Callable[[], list[list[RawEntity]]]


class NerWorkerError(Exception):
    """A worker failed, died or did not answer in time (it has been replaced)."""


class _WorkerLost(NerWorkerError):
    """The worker's pipe is closed: the process died."""


@dataclass(eq=False)
class _Worker:
    process: BaseProcess
    pipe: Connection
    beat: Any  # shared double: the worker's last heartbeat (time.monotonic(), system-wide)
    awaiting_reply: bool = False
    broken: bool = False


@dataclass(frozen=True, slots=True)
class NerHealth:
    """How many workers there are, how many stamped their heartbeat lately, how many were replaced."""

    workers: int
    answering: int
    restarts: int


class NerProcesses:
    """`count` worker processes, each with its own `BilingualNer`. Thread-safe: each analysis takes
    idle workers for itself and gives them back."""

    def __init__(self, config: DetectionConfig, count: int, timeout_s: float = 30.0) -> None:
        self._config = config
        self._count = count
        self._timeout_s = timeout_s
        self._context = multiprocessing.get_context("spawn")
        self._lock = threading.Lock()
        self._workers: set[_Worker] = set()
        self.path: NerPath | None = None  # as the workers report it once their model is loaded
        self._idle: queue.SimpleQueue[_Worker] = queue.SimpleQueue()
        self._restarts = 0
        for _ in range(count):
            self._idle.put(self._spawn())

    @property
    def pids(self) -> list[int]:
        with self._lock:
            return [w.process.pid for w in self._workers if w.process.pid is not None]

    def health(self, stale_s: float) -> NerHealth:
        """Workers whose heartbeat is fresher than `stale_s` answer (a stopped or still-loading one
        does not); reading it costs nothing to the workers."""
        now = time.monotonic()
        with self._lock:
            beats = [w.beat.value for w in self._workers]
            restarts = self._restarts
        answering = sum(1 for beat in beats if now - beat < stale_s)
        return NerHealth(self._count, answering, restarts)

    @contextlib.contextmanager
    def analysing(self, texts: Sequence[NerText]) -> Iterator[Collect]:
        """Send the texts to idle workers now (in up to one batch per worker, by length); the
        yielded call waits for the entities of every text, in order. However the block ends, the
        workers go back to the pool ready for other texts (or are replaced)."""
        deadline = time.monotonic() + self._timeout_s
        workers = self._acquire(deadline, wanted=min(self._count, len(texts)))
        try:
            batches = _balanced(texts, len(workers))
            busy = [(worker, batch) for worker, batch in zip(workers, batches, strict=True) if batch]
            for worker, batch in busy:
                with contextlib.suppress(_WorkerLost):  # its texts go to another worker on collect
                    self._send(worker, batch)
            yield lambda: [row for worker, batch in busy for row in self._received(worker, batch, deadline)]
        finally:
            for worker in workers:
                self._release(worker, deadline)

    def entities(self, texts: Sequence[NerText]) -> list[list[RawEntity]]:
        with self.analysing(texts) as collect:
            return collect()

    def warm_up(self) -> None:
        """Wait until every worker has loaded its models (they load in parallel)."""
        deadline = time.monotonic() + max(self._timeout_s, 300.0)
        workers = [self._idle.get() for _ in range(self._count)]
        warm_up = _WARM_UP + ([ENGLISH_WARM_UP] if self._config.english is not None else [])
        try:
            for worker in workers:
                self._send(worker, warm_up)
            for worker in workers:
                self._receive(worker, deadline)
        finally:
            for worker in workers:
                self._release(worker, deadline)

    def close(self) -> None:
        """Stop every worker: each reads the end of its pipe and exits."""
        with self._lock:
            workers, self._workers = list(self._workers), set()
        for worker in workers:
            worker.pipe.close()
        for worker in workers:
            worker.process.join(_STOP_WAIT_S)
            if worker.process.is_alive():
                worker.process.kill()

    def _spawn(self) -> _Worker:
        # spawn: the server process has threads (event loop, detection, register); forking it
        # would copy their locks in whatever state they are.
        ours, theirs = self._context.Pipe()
        beat = self._context.RawValue("d", 0.0)
        process = self._context.Process(target=_serve, args=(theirs, self._config, beat), daemon=True)
        process.start()
        theirs.close()
        worker = _Worker(process, ours, beat)
        with self._lock:
            self._workers.add(worker)
        return worker

    def _acquire(self, deadline: float, wanted: int) -> list[_Worker]:
        """One worker (waiting for it until the deadline), plus up to `wanted` - 1 already idle.
        A worker found dead while idle is replaced before it is given any texts."""
        workers: list[_Worker] = []
        while not workers and wanted > 0:
            try:
                worker = self._idle.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                raise NerWorkerError("no NER worker free in time") from None
            workers += self._alive(worker)
        with contextlib.suppress(queue.Empty):
            while len(workers) < wanted:
                workers += self._alive(self._idle.get_nowait())
        return workers

    def _alive(self, worker: _Worker) -> list[_Worker]:
        if worker.process.is_alive():
            return [worker]
        self._replace(worker)
        return []

    def _received(
        self, worker: _Worker, batch: list[NerText], deadline: float, redone: int = 0
    ) -> list[list[RawEntity]]:
        """The entities of the worker's batch. If the worker was lost, it is replaced and the batch
        goes to another one: up to `count` times, since a pool killed at once has `count` dying
        workers and then only new ones (a text that kills workers fails after count + 1)."""
        with contextlib.suppress(_WorkerLost):
            if not worker.broken:  # else lost when sent the batch
                return self._receive(worker, deadline)
        if redone == self._count:
            raise NerWorkerError("NER worker processes lost")
        self._release(worker, deadline)  # replaced now: with one worker, the new one is the other
        (other,) = self._acquire(deadline, wanted=1)
        try:
            with contextlib.suppress(_WorkerLost):
                self._send(other, batch)
            return self._received(other, batch, deadline, redone + 1)
        finally:
            self._release(other, deadline)

    def _send(self, worker: _Worker, texts: list[NerText]) -> None:
        try:
            worker.pipe.send(texts)
        except (OSError, ValueError) as error:
            raise self._lost(worker) from error
        worker.awaiting_reply = True

    def _receive(self, worker: _Worker, deadline: float) -> list[list[RawEntity]]:
        try:
            status, value = self._message(worker, deadline)
            while status == "path":  # said once by each worker when its model is loaded
                self.path = NerPath(value)
                status, value = self._message(worker, deadline)
        except (OSError, EOFError, ValueError) as error:
            raise self._lost(worker) from error
        worker.awaiting_reply = False
        if status != "ok":
            raise NerWorkerError(f"NER failed in a worker process ({value})")
        entities: list[list[RawEntity]] = value
        return entities

    def _message(self, worker: _Worker, deadline: float) -> tuple[str, Any]:
        if not worker.pipe.poll(max(0.0, deadline - time.monotonic())):
            raise self._broken(worker, "too slow")
        message: tuple[str, Any] = worker.pipe.recv()
        return message

    def _broken(self, worker: _Worker, why: str) -> NerWorkerError:
        log.error("NER worker process %s: stopping it", why)
        worker.broken = True
        worker.process.kill()
        return NerWorkerError(f"NER worker process {why}")

    def _lost(self, worker: _Worker) -> _WorkerLost:
        self._broken(worker, "lost")
        return _WorkerLost("NER worker process lost")

    def _release(self, worker: _Worker, deadline: float) -> None:
        """Back to the idle workers, its pending reply read (and dropped) first; a worker that
        cannot be trusted any more (dead, late, killed) is replaced by a new one."""
        if worker.awaiting_reply and not worker.broken:
            with contextlib.suppress(NerWorkerError):
                self._receive(worker, deadline)
        with self._lock:
            stopped = worker not in self._workers  # closed meanwhile
        if stopped:
            return
        if worker.broken or worker.awaiting_reply or not worker.process.is_alive():
            self._replace(worker)
            return
        self._idle.put(worker)

    def _replace(self, worker: _Worker) -> None:
        log.error("NER worker process lost: starting a new one")
        worker.process.kill()
        worker.pipe.close()
        worker.process.join(_STOP_WAIT_S)
        with self._lock:
            self._workers.discard(worker)
            self._restarts += 1
        self._idle.put(self._spawn())


def _balanced(texts: Sequence[NerText], count: int) -> list[list[NerText]]:
    """Consecutive runs of texts, cut where the characters so far pass each 1/count share."""
    total = sum(len(text) for _, text in texts) or 1
    batches: list[list[NerText]] = [[] for _ in range(count)]
    done = 0
    for item in texts:
        batches[min(count - 1, done * count // total)].append(item)
        done += len(item[1])
    return batches


def _serve(pipe: Connection, config: DetectionConfig, beat: Any) -> None:
    """A worker: load the model, then answer each list of texts with their entities until the
    server closes the pipe (or dies). Ctrl-C is the server's to handle."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    ner = BilingualNer(config)
    pipe.send(("path", str(ner.path)))
    threading.Thread(target=_heartbeat, args=(beat,), name="heartbeat", daemon=True).start()
    while True:
        try:
            texts = pipe.recv()
        except (EOFError, OSError):
            return
        reply: tuple[str, Any]
        try:
            reply = ("ok", ner.entities(texts))
        except Exception as error:  # the server decides (fails closed); the worker stays usable
            reply = ("error", type(error).__name__)
        try:
            pipe.send(reply)
        except OSError:
            return


def _heartbeat(beat: Any) -> None:
    """Stamp the shared clock while the process runs (and is not stopped)."""
    while True:
        beat.value = time.monotonic()
        time.sleep(_HEARTBEAT_S)
