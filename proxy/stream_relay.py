"""A streamed answer relayed to the agent: upstream events restored as they arrive, the register row
written before `[DONE]` reaches the agent, and in `finally` for disconnects and errors."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import anyio

from proxy.errors import GardefouError, UpstreamError
from proxy.exchange import Exchange
from proxy.governance.answers import appendix_events
from proxy.openai_api import sse
from proxy.services import Services
from proxy.settings import UpstreamSettings
from proxy.transform.answers import ChunkRestorer, EventRestorer
from proxy.transform.vault import Vault


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
    HTTP error; then hand over a relay that forwards the rest as it arrives. `path` and `restorer`
    say which route's events these are (chat completions by default)."""
    events = _restored_events(services, exchange, upstream, path, body, restorer or ChunkRestorer(vault))
    try:
        first = await anext(events)
    except StopAsyncIteration:
        raise UpstreamError(f"Le modèle amont « {upstream.name} » a renvoyé un flux vide.") from None
    return _relay(services, exchange, first, events)


async def _restored_events(
    services: Services,
    exchange: Exchange,
    upstream: UpstreamSettings,
    path: str,
    body: dict[str, Any],
    restorer: EventRestorer,
) -> AsyncIterator[bytes]:
    done = False
    async with services.upstreams.stream_lines(upstream, path, body) as lines:
        async for payload in sse.data_payloads(lines):
            if payload == sse.DONE:
                done = True
                break
            yield _restored_event(payload, restorer, exchange)
    closing = sse.closing_events(restorer.leftover(), done=done)
    for event in appendix_events(exchange, closing):  # AI notice / reminder chunk (proxy/governance)
        yield event


async def _relay(
    services: Services, exchange: Exchange, first: bytes, events: AsyncIterator[bytes]
) -> AsyncIterator[bytes]:
    """Forward events as they come. The row is written before `[DONE]` reaches the agent (a crash
    after a complete answer still leaves its row), and in `finally` for disconnects and errors."""
    recorded = ended = False
    try:
        async for event in _prepend(first, events):
            if event == _DONE_EVENT:
                exchange.succeeded()
                await services.record(exchange)
                recorded = True
            yield event
        exchange.succeeded()
        ended = True
    except GardefouError as error:
        exchange.failed(error)
        ended = True
        yield sse.error_event(error.to_openai())
    finally:
        if not ended and not recorded:
            exchange.client_gone()
        with anyio.CancelScope(shield=True):
            await events.aclose()  # type: ignore[attr-defined]
            if not recorded:
                await services.record(exchange)


_DONE_EVENT = sse.encode(sse.DONE)


async def _prepend(first: bytes, events: AsyncIterator[bytes]) -> AsyncIterator[bytes]:
    yield first
    async for event in events:
        yield event


def _restored_event(payload: str, restorer: EventRestorer, exchange: Exchange) -> bytes:
    chunk = sse.parse_chunk(payload)
    if chunk.get("usage"):
        exchange.record_usage(chunk["usage"])
    elif isinstance(chunk.get("response"), dict) and chunk["response"].get("usage"):
        exchange.record_usage(chunk["response"]["usage"])  # Responses API: on the last event
    return b"".join(sse.encode(event) for event in restorer.events(chunk))
