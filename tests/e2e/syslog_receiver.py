"""A syslog receiver for tests, on loopback: UDP datagrams, or TCP with octet counting (RFC 6587).
Each message is parsed as RFC 5424 (`<PRI>1 TS HOST APP PROCID MSGID SD MSG`)."""

from __future__ import annotations

import json
import re
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

RFC5424 = re.compile(
    r"^<(?P<pri>\d{1,3})>1 (?P<ts>\S+) (?P<host>\S+) (?P<app>\S+) (?P<procid>\S+) (?P<msgid>\S+)"
    r" - (?P<msg>.*)$",
    re.DOTALL,
)


@dataclass(frozen=True)
class SyslogMessage:
    pri: int
    ts: str
    app: str
    msgid: str
    payload: dict[str, Any]


@dataclass
class Receiver:
    port: int
    messages: list[SyslogMessage] = field(default_factory=list)
    raw: list[bytes] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, data: bytes) -> None:
        match = RFC5424.match(data.decode("ascii"))
        assert match, data[:200]
        message = SyslogMessage(
            int(match["pri"]), match["ts"], match["app"], match["msgid"], json.loads(match["msg"])
        )
        with self.lock:
            self.raw.append(data)
            self.messages.append(message)

    def wait_for(self, count: int, timeout: float = 10.0) -> list[SyslogMessage]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                if len(self.messages) >= count:
                    return list(self.messages)
            time.sleep(0.02)
        with self.lock:
            return list(self.messages)


@contextmanager
def udp_receiver() -> Iterator[Receiver]:
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 0))
    sock.settimeout(0.1)
    receiver = Receiver(sock.getsockname()[1])
    stop = threading.Event()

    def run() -> None:
        while not stop.is_set():
            try:
                receiver.add(sock.recv(65535))
            except TimeoutError:
                continue

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    try:
        yield receiver
    finally:
        stop.set()
        thread.join(2)
        sock.close()


@contextmanager
def tcp_receiver() -> Iterator[Receiver]:
    server = socket.create_server(("127.0.0.1", 0))
    server.settimeout(0.1)
    receiver = Receiver(server.getsockname()[1])
    stop = threading.Event()

    def read_frames(conn: socket.socket) -> None:
        buffer = b""
        conn.settimeout(0.1)
        while not stop.is_set():
            try:
                chunk = conn.recv(65536)
            except TimeoutError:
                continue
            if not chunk:
                return
            buffer += chunk
            while b" " in buffer:
                length, _, rest = buffer.partition(b" ")
                if len(rest) < int(length):
                    break
                receiver.add(rest[: int(length)])
                buffer = rest[int(length) :]

    def run() -> None:
        while not stop.is_set():
            try:
                conn, _ = server.accept()
            except TimeoutError:
                continue
            threading.Thread(target=read_frames, args=(conn,), daemon=True).start()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    try:
        yield receiver
    finally:
        stop.set()
        thread.join(2)
        server.close()
