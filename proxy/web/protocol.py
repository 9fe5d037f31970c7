"""The HTTP/1.1 connection, bounded: uvicorn's httptools protocol with the limits it lacks.

- request line and headers: at most `limits.max_header_bytes` bytes and `limits.max_headers` lines
  (431), received within `limits.header_timeout_s` (408; a silent connection is just closed);
- at most `limits.max_connections_per_client` open connections per client address (429);
- every protocol-level error (malformed request line, unknown method, bad Content-Length...) answered
  in the OpenAI error shape, in French, with a request id, instead of uvicorn's plain text;
- a refusal while the client is still sending (a 413, a 431) closes gently: the answer is written,
  the sending side shut, and up to `limits.drain_bytes` of what the client still sends are read and
  dropped (for `limits.drain_timeout_s` at most), so that urllib, httpx and the openai SDK, which
  send the whole body before reading, read the refusal instead of a connection reset (as nginx does).
"""

from __future__ import annotations

import asyncio
import http
import json
from collections import Counter
from typing import Any, cast

import httptools
import uvicorn
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from proxy.errors import GardefouError, HeadersTooLarge, InvalidRequest, RequestTimeout, TooManyConnections
from proxy.exchange import new_request_id
from proxy.settings import LimitSettings

_MALFORMED = "Requête HTTP mal formée (ligne de requête, en-têtes, Content-Length ou encodage du corps)."
_PARSER_ERRORS: dict[type[Exception], str] = {
    httptools.HttpParserInvalidMethodError: "Méthode HTTP inconnue.",
    httptools.HttpParserInvalidURLError: "Adresse de la requête HTTP invalide.",
}


class ServerConfig(uvicorn.Config):
    """uvicorn's configuration plus the connection limits (kept here so worker processes get them)."""

    def __init__(self, app: Any, limits: LimitSettings, **kwargs: Any) -> None:
        super().__init__(app, http=BoundedHttpProtocol, **kwargs)
        self.limits = limits
        self.clients: Counter[str] = Counter()  # open connections per client address (this process)


class BoundedHttpProtocol(HttpToolsProtocol):
    """One client connection (see the module docstring)."""

    def __init__(self, config: uvicorn.Config, *args: Any, **kwargs: Any) -> None:
        super().__init__(config, *args, **kwargs)
        bounded = cast(ServerConfig, config)
        self.limits, self.clients = bounded.limits, bounded.clients
        self.address: str | None = None
        self.lingering = False
        self.in_head = False
        self.head_bytes = self.head_received = self.header_count = self.drain_left = 0
        self.head_timer: asyncio.TimerHandle | None = None
        self.linger_timer: asyncio.TimerHandle | None = None
        self.refusal: GardefouError | None = None

    # -- connection ----------------------------------------------------------------------------

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        address = self.client[0] if self.client else "?"
        if self.clients[address] >= self.limits.max_connections_per_client:
            self.refuse(TooManyConnections("Trop de connexions ouvertes depuis votre adresse ; réessayez."))
            return
        self.address = address
        self.clients[address] += 1
        self.head_timer = self.loop.call_later(self.limits.header_timeout_s, self.head_timed_out)

    def connection_lost(self, exc: Exception | None) -> None:
        for timer in (self.head_timer, self.linger_timer):
            if timer is not None:
                timer.cancel()
        if self.address is not None:
            self.clients[self.address] -= 1
            if self.clients[self.address] <= 0:
                del self.clients[self.address]
            self.address = None
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        if self.lingering:
            self.drain(len(data))
            return
        self._unset_keepalive_if_required()
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserUpgrade:
            self._unsupported_upgrade_warning()  # no WebSocket route here
        except httptools.HttpParserError as error:
            self.refuse(self.refusal or InvalidRequest(_PARSER_ERRORS.get(type(error), _MALFORMED)))
            return
        if self.in_head:  # the parser holds a head it has not reported yet: count what came in
            self.head_received += len(data)
            if self.over_limits():
                self.refuse(self.refusal or InvalidRequest(_MALFORMED))

    def eof_received(self) -> None:
        """The client has finished sending: once refused, close (else asyncio closes)."""
        if self.lingering:
            self.close_now()

    # -- the head of each request --------------------------------------------------------------

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self.in_head, self.head_bytes, self.head_received, self.header_count = True, 0, 0, 0
        if self.head_timer is None:
            self.head_timer = self.loop.call_later(self.limits.header_timeout_s, self.head_timed_out)

    def on_url(self, url: bytes) -> None:
        self.head_bytes += len(url)
        self.stop_if_over_limits()
        super().on_url(url)

    def on_header(self, name: bytes, value: bytes) -> None:
        self.header_count += 1
        self.head_bytes += len(name) + len(value) + 4
        self.stop_if_over_limits()
        super().on_header(name, value)

    def on_headers_complete(self) -> None:
        self.in_head = False
        if self.head_timer is not None:
            self.head_timer.cancel()
            self.head_timer = None
        super().on_headers_complete()
        if self.cycle is not None and self.cycle.scope is self.scope:
            self.cycle.transport = cast(asyncio.Transport, _GentleTransport(self.transport, self))

    def over_limits(self) -> bool:
        """Whether the head is over its limits (the refusal is then set)."""
        limits = self.limits
        size = max(self.head_bytes, self.head_received)
        if size <= limits.max_header_bytes and self.header_count <= limits.max_headers:
            return False
        self.refusal = HeadersTooLarge(
            f"En-têtes HTTP trop volumineux (au plus {limits.max_header_bytes // 1024} Kio "
            f"et {limits.max_headers} en-têtes)."
        )
        return True

    def stop_if_over_limits(self) -> None:
        """Inside the parser's callbacks: stop parsing (data_received then refuses)."""
        if self.over_limits():
            raise _HeadRefused

    def head_timed_out(self) -> None:
        self.head_timer = None
        if self.lingering or self.transport.is_closing():
            return
        if self.in_head:
            self.refuse(RequestTimeout("En-têtes de la requête reçus trop lentement ; connexion fermée."))
        elif self.cycle is None:  # connected, but nothing sent
            self.close_now()

    # -- refusing and closing --------------------------------------------------------------------

    def refuse(self, error: GardefouError) -> None:
        """Answer `error` in the OpenAI shape, then close gently."""
        if not self.transport.is_closing():
            self.transport.write(_error_response(error))
        self.linger()

    def close_gently(self) -> None:
        """Close once the response is written; if the client is still sending its body, drain first."""
        cycle = self.cycle
        if cycle is not None and cycle.more_body and self.limits.drain_bytes > 0:
            self.linger()
        else:
            self.close_now()

    def linger(self) -> None:
        if self.lingering:
            return
        self.lingering = True
        self.drain_left = self.limits.drain_bytes
        if self.transport.can_write_eof():
            self.transport.write_eof()
        self.transport.resume_reading()
        self.linger_timer = self.loop.call_later(self.limits.drain_timeout_s, self.close_now)

    def drain(self, size: int) -> None:
        self.drain_left -= size
        if self.drain_left < 0:
            self.close_now()

    def close_now(self) -> None:
        if not self.transport.is_closing():
            self.transport.close()


class _HeadRefused(Exception):
    """Stops the parser inside a callback; the refusal itself is on the protocol."""


class _GentleTransport:
    """The transport as a request/response cycle sees it: `close` goes through the gentle close."""

    def __init__(self, transport: asyncio.Transport, protocol: BoundedHttpProtocol) -> None:
        self._transport = transport
        self._protocol = protocol

    def __getattr__(self, name: str) -> Any:
        return getattr(self._transport, name)

    def close(self) -> None:
        self._protocol.close_gently()

    def is_closing(self) -> bool:
        return self._protocol.lingering or self._transport.is_closing()


def _error_response(error: GardefouError) -> bytes:
    request_id = new_request_id()
    body = json.dumps(error.to_openai(request_id), ensure_ascii=False).encode("utf-8")
    head = (
        f"HTTP/1.1 {error.status} {http.HTTPStatus(error.status).phrase}\r\n"
        "content-type: application/json\r\n"
        f"content-length: {len(body)}\r\n"
        f"x-request-id: {request_id}\r\n"
        "connection: close\r\n\r\n"
    )
    return head.encode("ascii") + body
