"""Run `gardefou` with the network cut off: any non-loopback connection or name lookup is refused
and written to a log file (first argument). Used by the offline test as `python offline_guard.py LOG ...`."""

from __future__ import annotations

import ipaddress
import sys
from typing import Any

LOOPBACK_NAMES = {"localhost", "127.0.0.1", "::1", ""}


def _is_loopback(host: Any) -> bool:
    if isinstance(host, bytes):
        host = host.decode()
    if not isinstance(host, str) or host in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _guard(log_path: str) -> None:
    def hook(event: str, args: tuple[Any, ...]) -> None:
        host = None
        if event == "socket.connect" and isinstance(args[1], tuple):
            host = args[1][0]
        elif event == "socket.getaddrinfo":
            host = args[0]
        if host is not None and not _is_loopback(host):
            with open(log_path, "a", encoding="utf-8") as log:
                log.write(f"{event} {host}\n")
            raise OSError(f"network unreachable (offline test): {host}")

    sys.addaudithook(hook)


if __name__ == "__main__":
    _guard(sys.argv[1])
    from proxy.cli import main

    sys.exit(main(sys.argv[2:]))
