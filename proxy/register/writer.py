"""The server's register writer: one thread appends the rows of every request, several at a time,
and seals the head at least every `seal_interval_s` while rows arrive.

A request hands its entry over and waits; the thread takes every entry queued meanwhile, appends
them in one transaction (one fsync for the group: group commit) and wakes each request once its row
is committed. A row is thus durable before its answer leaves, as with a direct `Register.append`.
When rows are unsealed, the thread waits for the next entry at most until the seal is due, then
signs a checkpoint (sent off-host) from its own timer: a forgery has at most that long to land
before a signed checkpoint pins the rows, and each seal checks the head first (store.py, head.py).

Why a thread of its own: a thread-pool round trip per request cost more than handing an entry to a
waiting thread, and concurrent requests would each wait for their own fsync. The rows keep the order
of the queue; across processes (`serve --workers N`) each transaction still takes SQLite's write
lock (see store.py); across instances on PostgreSQL, the advisory write lock (pg_engine.py).
Waiting uses asyncio futures: the server runs on asyncio (uvicorn).

Seams: `after_append` (called in the thread with each committed group, e.g. an export to a SIEM);
`Register.alarm_count` (head alarms, for metrics).
"""

from __future__ import annotations

import asyncio
import logging
import queue
import sqlite3
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from proxy.register.entry import RegisterEntry
from proxy.register.store import Register, RegisterError

log = logging.getLogger(__name__)

MAX_GROUP = 256  # rows per transaction at most
DEFAULT_SEAL_INTERVAL_S = 1.0


@dataclass(frozen=True, slots=True)
class _Pending:
    entry: RegisterEntry
    loop: asyncio.AbstractEventLoop
    done: asyncio.Future[None]


class RegisterWriter:
    """Appends entries to `register` from one thread; `close` writes what is queued, then stops."""

    def __init__(
        self,
        register: Register,
        seal_interval_s: float = DEFAULT_SEAL_INTERVAL_S,
        after_append: Callable[[Sequence[RegisterEntry]], None] | None = None,
    ) -> None:
        self._register = register
        self._seal_interval_s = seal_interval_s
        self._unsealed_since: float | None = None  # monotonic time of the first unsealed append
        self.after_append = after_append
        self._queue: queue.SimpleQueue[_Pending | None] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._run, name="gardefou-register", daemon=True)
        self._thread.start()

    async def append(self, entry: RegisterEntry) -> None:
        """Return once the row is committed; raise what appending it raised."""
        loop = asyncio.get_running_loop()
        done: asyncio.Future[None] = loop.create_future()
        self._queue.put(_Pending(entry, loop, done))
        await done

    @property
    def alive(self) -> bool:
        """Whether the writing thread runs (readiness)."""
        return self._thread.is_alive()

    def close(self) -> None:
        self._queue.put(None)
        self._thread.join()

    def _run(self) -> None:
        stopping = False
        while not stopping:
            group, stopping = self._next_group()
            if group:
                self._write(group)
            if self._seal_due() or (stopping and self._unsealed_since is not None):
                self._seal()

    def _next_group(self) -> tuple[list[_Pending], bool]:
        """Wait for one entry (or for the seal to be due), then take the ones already queued behind
        it; True once told to stop."""
        group: list[_Pending] = []
        try:
            item = self._queue.get(timeout=self._wait_s())
        except queue.Empty:
            return group, False
        while item is not None:
            group.append(item)
            if len(group) >= MAX_GROUP or self._queue.empty():
                return group, False
            item = self._queue.get()
        return group, True

    def _wait_s(self) -> float | None:
        if self._unsealed_since is None or self._register.signer is None:
            return None
        return max(0.0, self._unsealed_since + self._seal_interval_s - time.monotonic())

    def _seal_due(self) -> bool:
        since = self._unsealed_since
        return since is not None and time.monotonic() - since >= self._seal_interval_s

    def _seal(self) -> None:
        self._unsealed_since = None
        if self._register.signer is None:
            return
        try:
            self._register.checkpoint()
        except (RegisterError, sqlite3.Error, OSError) as exc:  # the thread goes on appending
            log.warning("register: timed checkpoint failed (%s)", type(exc).__name__)

    def _write(self, group: list[_Pending]) -> None:
        try:
            self._register.append_many(pending.entry for pending in group)
        except Exception as error:  # handed to the waiting request(s)
            if len(group) == 1:
                self._settle(group[0], error)
            else:  # one by one: each request gets its own outcome
                for pending in group:
                    self._write([pending])
            return
        if self._unsealed_since is None:
            self._unsealed_since = time.monotonic()
        for pending in group:
            self._settle(pending, None)
        self._notify(group)

    def _notify(self, group: list[_Pending]) -> None:
        if self.after_append is None:
            return
        try:
            self.after_append([pending.entry for pending in group])
        except Exception as exc:  # an observer never breaks the register
            log.warning("register: after_append hook failed (%s)", type(exc).__name__)

    @staticmethod
    def _settle(pending: _Pending, error: BaseException | None) -> None:
        try:
            pending.loop.call_soon_threadsafe(_resolve, pending.done, error)
        except RuntimeError:  # the loop is closed: nobody is waiting any more
            log.warning("register: an append's outcome was not delivered (event loop closed)")


def _resolve(done: asyncio.Future[None], error: BaseException | None) -> None:
    if done.done():
        return
    if error is None:
        done.set_result(None)
    else:
        done.set_exception(error)
