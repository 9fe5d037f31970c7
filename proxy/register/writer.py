"""The server's register writer: one thread appends the rows of every request, several at a time.

A request hands its entry over and waits; the thread takes every entry queued meanwhile, appends
them in one transaction (one fsync for the group: group commit) and wakes each request once its row
is committed. A row is thus durable before its answer leaves, as with a direct `Register.append`.

Why a thread of its own: a thread-pool round trip per request cost more than handing an entry to a
waiting thread, and concurrent requests would each wait for their own fsync. The rows keep the order
of the queue; across processes (`serve --workers N`) each transaction still takes SQLite's write
lock (see store.py). Waiting uses asyncio futures: the server runs on asyncio (uvicorn).
"""

from __future__ import annotations

import asyncio
import logging
import queue
import threading
from dataclasses import dataclass

from proxy.register.entry import RegisterEntry
from proxy.register.store import Register

log = logging.getLogger(__name__)

MAX_GROUP = 256  # rows per transaction at most


@dataclass(frozen=True, slots=True)
class _Pending:
    entry: RegisterEntry
    loop: asyncio.AbstractEventLoop
    done: asyncio.Future[None]


class RegisterWriter:
    """Appends entries to `register` from one thread; `close` writes what is queued, then stops."""

    def __init__(self, register: Register) -> None:
        self._register = register
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

    def _next_group(self) -> tuple[list[_Pending], bool]:
        """Wait for one entry, then take the ones already queued behind it; True once told to stop."""
        group: list[_Pending] = []
        item = self._queue.get()
        while item is not None:
            group.append(item)
            if len(group) >= MAX_GROUP or self._queue.empty():
                return group, False
            item = self._queue.get()
        return group, True

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
        for pending in group:
            self._settle(pending, None)

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
