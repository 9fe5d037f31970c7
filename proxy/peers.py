"""The connecting peer's address, checked against configured networks (the socket's address only:
X-Forwarded-For and the like never make a client look like a trusted one)."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable

from pydantic import IPvAnyNetwork


def within(peer: str | None, networks: Iterable[IPvAnyNetwork]) -> bool:
    try:
        address = ipaddress.ip_address(peer or "")
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped  # ::ffff:10.0.0.1 on a dual-stack socket is 10.0.0.1
    return any(address in network for network in networks)
