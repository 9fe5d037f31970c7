"""Real servers on loopback for end-to-end tests: uvicorn in a thread, on a port the OS picks."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import uvicorn

from proxy.settings import LimitSettings
from proxy.web.protocol import ServerConfig


@contextmanager
def serve(app: Any, limits: LimitSettings | None = None) -> Iterator[str]:
    """Run `app` with uvicorn on 127.0.0.1; yield its base URL; stop it on exit. With `limits`, as
    `gardefou serve` runs it (bounded connections, proxy/web/protocol.py)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    # proxy_headers=False as in `gardefou serve`: the peer address is the socket's, never a header's.
    options: dict[str, Any] = {"log_level": "warning", "lifespan": "on", "proxy_headers": False}
    config = ServerConfig(app, limits, **options) if limits else uvicorn.Config(app, **options)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    _wait_started(server)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()


def _wait_started(server: uvicorn.Server) -> None:
    deadline = time.monotonic() + 60
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("server did not start")
        time.sleep(0.02)
