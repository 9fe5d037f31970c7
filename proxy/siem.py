"""A copy of the register for the SIEM: each row and each checkpoint as an RFC 5424 syslog message.

The register hands over what a commit made durable (`Register.on_commit`); the messages wait in a
bounded queue and one thread sends them (UDP, TCP with octet counting as RFC 6587 frames it, or a
Unix datagram socket), so a slow or absent receiver never delays a request: when the queue is full a
message is dropped, counted (`gardefou_siem_dropped_total`) and logged.

The payload is JSON: a row exactly as stored (its hash can be checked off the host), a checkpoint as
the checkpoint journal writes it. A copy kept off the host is what makes a truncated or rewritten
register evident.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import queue
import socket
import threading
import time
from collections.abc import Callable
from typing import Any

from proxy.register.records import Checkpoint
from proxy.settings import SiemSettings, SiemTransport

log = logging.getLogger("gardefou")

_INFO, _NOTICE = 6, 5
_RETRY_S = 1.0
_CLOSE_WAIT_S = 3.0
_DROP_LOG_EVERY_S = 60.0

Message = tuple[str, dict[str, Any] | Checkpoint]


class SiemExport:
    """Sends the register's rows and checkpoints to a syslog receiver, from a thread of its own."""

    def __init__(
        self,
        settings: SiemSettings,
        register_id: str,
        on_sent: Callable[[str], None] = lambda kind: None,
        on_dropped: Callable[[], None] = lambda: None,
    ) -> None:
        self._settings = settings
        self._register_id = register_id
        self._on_sent, self._on_dropped = on_sent, on_dropped
        self._header = _Header(settings)
        self._queue: queue.Queue[Message | None] = queue.Queue(settings.queue_size)
        self._link = _Link(settings)
        self._stopping = threading.Event()
        self._last_drop_log = 0.0
        self._thread = threading.Thread(target=self._run, name="gardefou-siem", daemon=True)
        self._thread.start()

    def submit(self, rows: list[dict[str, Any]], checkpoints: list[Checkpoint]) -> None:
        """Queue what a commit made durable; never waits (a full queue drops, and counts)."""
        messages: list[Message] = [("entry", row) for row in rows]
        messages += [("checkpoint", checkpoint) for checkpoint in checkpoints]
        for message in messages:
            try:
                self._queue.put_nowait(message)
            except queue.Full:
                self._dropped()

    def close(self) -> None:
        """Send what is queued (one try each, a few seconds at most), then stop."""
        self._stopping.set()
        with contextlib.suppress(queue.Full):
            self._queue.put(None, timeout=_CLOSE_WAIT_S)
        self._thread.join(_CLOSE_WAIT_S)
        self._link.close()

    def _run(self) -> None:
        while (message := self._queue.get()) is not None:
            kind, item = message
            if self._deliver(self._format(kind, item)):
                self._on_sent(kind)
            else:
                self._dropped()

    def _deliver(self, data: bytes) -> bool:
        """Send, reconnecting and retrying each second while the receiver is away (the queue fills
        meanwhile, and drops); once closing, one try only."""
        while True:
            try:
                self._link.send(data)
                return True
            except OSError as error:
                self._link.close()
                log.warning("siem: sending failed (%s), retrying", type(error).__name__)
            if self._stopping.wait(_RETRY_S):
                return False

    def _format(self, kind: str, item: dict[str, Any] | Checkpoint) -> bytes:
        if isinstance(item, Checkpoint):
            return self._header.line(_NOTICE, item.ts, "checkpoint", item.journal_line(self._register_id))
        payload = {"kind": "entry", "register": self._register_id, **item}
        text = json.dumps(payload, ensure_ascii=True, sort_keys=True, separators=(",", ":"))
        return self._header.line(_INFO, str(item["ts"]), kind, text)

    def _dropped(self) -> None:
        self._on_dropped()
        now = time.monotonic()
        if now - self._last_drop_log >= _DROP_LOG_EVERY_S:
            self._last_drop_log = now
            log.warning("siem: message dropped (queue full or receiver unreachable)")


class _Header:
    """`<PRI>1 TIMESTAMP HOSTNAME APP-NAME PROCID MSGID - ` (no structured data), RFC 5424."""

    def __init__(self, settings: SiemSettings) -> None:
        self._facility = settings.facility
        host = "".join(c for c in socket.gethostname() if "!" <= c <= "~")[:255]
        self._rest = f"{host or '-'} {settings.app_name} {os.getpid()}"

    def line(self, severity: int, ts: str, msgid: str, payload: str) -> bytes:
        pri = self._facility * 8 + severity
        return f"<{pri}>1 {ts} {self._rest} {msgid} - {payload}".encode("ascii", "replace")


class _Link:
    """One connection to the receiver, opened on first use and after a failure."""

    def __init__(self, settings: SiemSettings) -> None:
        self._settings = settings
        self._sock: socket.socket | None = None

    def send(self, data: bytes) -> None:
        if self._sock is None:
            self._sock = self._open()
        transport = self._settings.transport
        if transport is SiemTransport.TCP:
            self._sock.sendall(f"{len(data)} ".encode() + data)  # octet counting, RFC 6587
        else:
            self._sock.send(data)

    def close(self) -> None:
        if self._sock is not None:
            self._sock.close()
            self._sock = None

    def _open(self) -> socket.socket:
        settings = self._settings
        if settings.transport is SiemTransport.UNIX:
            sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
            sock.connect(str(settings.socket_path))
            return sock
        kind = socket.SOCK_STREAM if settings.transport is SiemTransport.TCP else socket.SOCK_DGRAM
        family, _, _, _, address = socket.getaddrinfo(settings.host, settings.port, type=kind)[0]
        sock = socket.socket(family, kind)
        sock.settimeout(10.0)
        sock.connect(address)
        return sock
