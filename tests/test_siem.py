"""The SIEM copy of the register, on real sockets: TCP (octet counting), a Unix datagram socket, and a
receiver that is not there (the queue is bounded: drops are counted, appending never waits)."""

from __future__ import annotations

import socket
import threading
import time
from pathlib import Path

from proxy.register.chain import row_hash
from proxy.register.store import Register
from proxy.settings import SiemSettings
from proxy.siem import SiemExport
from tests.e2e.syslog_receiver import RFC5424, tcp_receiver
from tests.register.registerkit import build_entry


def open_register(tmp_path: Path) -> Register:
    return Register.open(
        tmp_path / "register.sqlite", signing_key_path=tmp_path / "k.key", checkpoint_every=2
    )


def test_each_row_and_checkpoint_reaches_a_tcp_receiver_once_committed(tmp_path: Path) -> None:
    with tcp_receiver() as receiver:
        settings = SiemSettings(enabled=True, transport="tcp", port=receiver.port, facility=16)
        register = open_register(tmp_path)
        sent: list[str] = []
        export = SiemExport(settings, register.register_id, on_sent=sent.append)
        register.on_commit = export.submit
        for n in range(5):
            register.append(build_entry(request_id=f"req-{n}"))
        register.close()  # seals the head: one more checkpoint
        export.close()
        rows = list(Register.open(tmp_path / "register.sqlite", readonly=True).rows())
        checkpoints = Register.open(tmp_path / "register.sqlite", readonly=True).checkpoints()
        messages = receiver.wait_for(len(rows) + len(checkpoints))
    assert [m.payload["request_id"] for m in messages if m.msgid == "entry"] == [
        r["request_id"] for r in rows
    ]
    assert [m.payload["seq"] for m in messages if m.msgid == "checkpoint"] == [c.seq for c in checkpoints]
    assert len(rows) == 5 and len(checkpoints) == 4  # rows 1 (the first is sealed at once), 2, 4, 5 (close)
    assert len(messages) == 9 and sorted(sent) == ["checkpoint"] * 4 + ["entry"] * 5
    assert {m.payload["register"] for m in messages} == {register.register_id}
    entry = next(m for m in messages if m.msgid == "entry")
    stored = {k: v for k, v in entry.payload.items() if k not in ("kind", "register")}
    assert entry.pri == 16 * 8 + 6 and row_hash(stored) == entry.payload["hash"]  # checkable off the host


def test_a_unix_datagram_receiver_gets_the_messages(tmp_path: Path) -> None:
    path = tmp_path / "log.sock"
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(str(path))
    sock.settimeout(5)
    try:
        export = SiemExport(SiemSettings(enabled=True, transport="unix", socket_path=path), "reg-1")
        register = open_register(tmp_path)
        register.on_commit = export.submit
        register.append(build_entry())
        first, second = sock.recv(65535).decode(), sock.recv(65535).decode()
        export.close()
        register.close()
    finally:
        sock.close()
    assert RFC5424.match(first) and '"kind":"entry"' in first
    assert RFC5424.match(second) and '"kind":"checkpoint"' in second  # the first row is sealed at once


def test_an_absent_receiver_drops_counted_messages_and_never_delays_the_register(tmp_path: Path) -> None:
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    dropped = threading.Semaphore(0)
    settings = SiemSettings(enabled=True, transport="tcp", port=port, queue_size=2)
    export = SiemExport(settings, "reg-1", on_dropped=dropped.release)
    register = open_register(tmp_path)
    register.on_commit = export.submit
    started = time.monotonic()
    for n in range(20):
        register.append(build_entry(request_id=f"req-{n}"))
    elapsed = time.monotonic() - started
    register.close()
    export.close()
    count = 0
    while dropped.acquire(timeout=0.5):
        count += 1
    assert count >= 20 + 11 - 2 - 1  # 20 rows, 11 checkpoints (1, 2, 4... 20); 2 queued, 1 in hand
    assert elapsed < 5.0
