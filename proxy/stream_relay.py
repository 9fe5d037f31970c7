"""A streamed answer relayed to the agent: upstream events restored as they arrive, and a mark
(`WHOLE`) where the answer is known to be whole, before its closing events: there the pipeline
writes the register row (the relay never writes it; proxy/pipeline.py is the one writer).

Status, final event and register row agree: a stream that ends before its end (`[DONE]`, or the
Responses API's `response.completed`), breaks, or carries an event that cannot be read or restored
ends with an error event, and the exchange says 502 (the request was sent). Text still held back to
restore a placeholder (`[PERSONNE_1` cut mid-stream) is dropped with the rest, never sent raw.
A route's events are restored by its `EventRestorer` (proxy/transform: chat chunks by default).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import anyio

from proxy.answer_relay import reading_answer
from proxy.errors import GardefouError, UpstreamError
from proxy.exchange import Exchange
from proxy.governance.answers import appendix_events
from proxy.openai_api import sse
from proxy.services import Services
from proxy.settings import UpstreamSettings
from proxy.transform.answers import ChunkRestorer, EventRestorer
from proxy.transform.vault import Vault
from proxy.upstream import SENT, cut

# Events after which the upstream's answer is whole (the Responses API sends no `[DONE]`).
_FINAL_TYPES = frozenset({"response.completed", "response.incomplete"})


class Whole:
    """Marks, in the relayed events, the point where the upstream's answer is known to be whole."""


WHOLE = Whole()
Event = bytes | Whole


@dataclass
class _End:
    done: bool = False  # `[DONE]` received
    whole: bool = False  # the answer's end received (`[DONE]` or a final event)


async def open_stream(
    services: Services,
    exchange: Exchange,
    upstream: UpstreamSettings,
    body: dict[str, Any],
    vault: Vault,
    *,
    path: str = "/chat/completions",
    restorer: EventRestorer | None = None,
) -> AsyncIterator[Event]:
    """Start the upstream stream and wait for its first event, so that a failure to start is a plain
    HTTP error; then hand over a relay that forwards the rest as it arrives. `path` and `restorer`
    say which route's events these are (chat completions by default)."""
    events = _restored_events(services, exchange, upstream, path, body, restorer or ChunkRestorer(vault))
    first = await anext(events)
    return _relay(exchange, first, events)


async def _restored_events(
    services: Services,
    exchange: Exchange,
    upstream: UpstreamSettings,
    path: str,
    body: dict[str, Any],
    restorer: EventRestorer,
) -> AsyncIterator[Event]:
    end = _End()
    async with services.upstreams.stream_lines(upstream, path, body) as lines:
        exchange.sent = True
        async for payload in sse.data_payloads(lines):
            if payload == sse.DONE:
                end.done = end.whole = True
                break
            with reading_answer(upstream.name):
                event = _restored_event(payload, restorer, exchange, end)
            yield event
    if not end.whole:
        raise cut(upstream.name)  # what the restorer holds back is dropped with the rest
    yield WHOLE
    with reading_answer(upstream.name):
        closing = sse.closing_events(restorer.leftover(), done=end.done)
    for event in appendix_events(exchange, closing):  # AI notice / reminder chunk (proxy/governance)
        yield event


async def _relay(exchange: Exchange, first: Event, events: AsyncIterator[Event]) -> AsyncIterator[Event]:
    """Forward events as they come, with the `WHOLE` mark; the exchange's outcome is set here
    (success at the mark, failure on an error event, a client gone on a disconnect)."""
    whole = ended = False
    try:
        async for event in _prepend(first, events):
            if isinstance(event, Whole):
                exchange.succeeded()
                whole = True
            yield event
        ended = True
    except GardefouError as error:
        ended = True
        if not whole:
            exchange.failed(error)
        yield sse.error_event(error.to_openai(exchange.request_id))
    finally:
        if not ended and not whole:
            exchange.client_gone()
        with anyio.CancelScope(shield=True):
            await events.aclose()  # type: ignore[attr-defined]


async def _prepend(first: Event, events: AsyncIterator[Event]) -> AsyncIterator[Event]:
    yield first
    async for event in events:
        yield event


def _restored_event(payload: str, restorer: EventRestorer, exchange: Exchange, end: _End) -> bytes:
    chunk = sse.parse_chunk(payload)
    if "error" in chunk and chunk.get("type") in (None, "error"):
        raise UpstreamError(f"Le modèle amont a signalé une erreur au cours du flux ; {SENT}.")
    if chunk.get("usage"):
        exchange.record_usage(chunk["usage"])
    elif isinstance(chunk.get("response"), dict) and chunk["response"].get("usage"):
        exchange.record_usage(chunk["response"]["usage"])  # Responses API: on the last event
    if chunk.get("type") in _FINAL_TYPES:
        end.whole = True
    return b"".join(sse.encode(event) for event in restorer.events(chunk))
