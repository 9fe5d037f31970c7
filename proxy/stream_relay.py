"""A streamed answer relayed to the agent: upstream events restored as they arrive, the register row
written before the closing events reach the agent, and in `finally` for disconnects and errors.

Status, final event and register row agree: a stream that ends without its closing event (`[DONE]`
for chat completions), breaks, or carries an event that cannot be read or restored ends with an
error event, and the row says 502 (the request was sent). Text still held back to restore a
placeholder (`[PERSONNE_1` cut mid-stream) is dropped with the rest, never sent raw.

A route reads its own events through an `EventRestorer` (chat completions: `ChatEvents`).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any, Protocol

import anyio

from proxy.answer_relay import reading_answer
from proxy.errors import GardefouError, UpstreamError
from proxy.exchange import Exchange
from proxy.governance.answers import appendix_events
from proxy.openai_api import sse
from proxy.services import Services
from proxy.settings import UpstreamSettings
from proxy.transform.answers import ChunkRestorer
from proxy.transform.vault import Vault
from proxy.upstream import SENT, cut


class EventRestorer(Protocol):
    """Reads one route's upstream events and writes the agent's."""

    @property
    def complete(self) -> bool:
        """Whether the upstream has sent the event that ends a whole answer."""
        ...

    def events(self, payload: str, exchange: Exchange) -> list[bytes]:
        """The agent's events for one upstream `data:` payload (raise on a malformed one)."""
        ...

    def closing(self) -> list[bytes]:
        """The events that end a complete answer (what was held back, then the closing event)."""
        ...


class ChatEvents:
    """Chat completion chunks: restored one by one; `[DONE]` ends the answer."""

    def __init__(self, vault: Vault) -> None:
        self._chunks = ChunkRestorer(vault)
        self.complete = False

    def events(self, payload: str, exchange: Exchange) -> list[bytes]:
        if payload == sse.DONE:
            self.complete = True
            return []
        chunk = sse.parse_chunk(payload)
        if "error" in chunk:
            raise UpstreamError(f"Le modèle amont a signalé une erreur au cours du flux ; {SENT}.")
        if chunk.get("usage"):
            exchange.record_usage(chunk["usage"])
        return [sse.encode(self._chunks.restore(chunk))]

    def closing(self) -> list[bytes]:
        return sse.closing_events(self._chunks.leftover(), done=True)


class _Complete:
    """Marks, in the relayed events, the point where the upstream's answer is known to be whole."""


_COMPLETE = _Complete()
Event = bytes | _Complete


async def open_stream(
    services: Services,
    exchange: Exchange,
    upstream: UpstreamSettings,
    body: dict[str, Any],
    vault: Vault,
    *,
    path: str = "/chat/completions",
    restorer: EventRestorer | None = None,
) -> AsyncIterator[bytes]:
    """Start the upstream stream and wait for its first event, so that a failure to start is a plain
    HTTP error; then hand over a relay that forwards the rest as it arrives."""
    events = _restored_events(services, exchange, upstream, path, body, restorer or ChatEvents(vault))
    first = await anext(events)
    return _relay(services, exchange, first, events)


async def _restored_events(
    services: Services,
    exchange: Exchange,
    upstream: UpstreamSettings,
    path: str,
    body: dict[str, Any],
    restorer: EventRestorer,
) -> AsyncIterator[Event]:
    async with services.upstreams.stream_lines(upstream, path, body) as lines:
        exchange.sent = True
        async for payload in sse.data_payloads(lines):
            with reading_answer(upstream.name):
                events = restorer.events(payload, exchange)
            for event in events:
                yield event
            if restorer.complete:
                break
    if not restorer.complete:
        raise cut(upstream.name)  # what the restorer holds back is dropped with the rest
    yield _COMPLETE
    with reading_answer(upstream.name):
        closing = restorer.closing()
    for event in appendix_events(exchange, closing):  # AI notice / reminder chunk (proxy/governance)
        yield event


async def _relay(
    services: Services, exchange: Exchange, first: Event, events: AsyncIterator[Event]
) -> AsyncIterator[bytes]:
    """Forward events as they come. The row is written before the closing events reach the agent
    (a crash after a complete answer still leaves its row), and in `finally` for disconnects and
    errors."""
    recorded = ended = False
    try:
        async for event in _prepend(first, events):
            if isinstance(event, _Complete):
                exchange.succeeded()
                await services.record(exchange)
                recorded = True
            else:
                yield event
        ended = True
    except GardefouError as error:
        ended = True
        if not recorded:
            exchange.failed(error)
        yield sse.error_event(error.to_openai(exchange.request_id))
    finally:
        if not ended and not recorded:
            exchange.client_gone()
        with anyio.CancelScope(shield=True):
            await events.aclose()  # type: ignore[attr-defined]
            if not recorded:
                await services.record(exchange)


async def _prepend(first: Event, events: AsyncIterator[Event]) -> AsyncIterator[Event]:
    yield first
    async for event in events:
        yield event
