"""The path of one request, top to bottom. No web-framework types here.

identify (done by the caller) -> plan -> detect -> decide -> redact -> upstream -> restore -> register
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import anyio

from proxy.errors import GardefouError, UpstreamError
from proxy.exchange import Exchange
from proxy.openai_api import sse
from proxy.openai_api.schemas import parse_chat, parse_embeddings
from proxy.openai_api.segments import TextSlot, chat_slots, embeddings_slots
from proxy.policy import engine
from proxy.policy.engine import Plan
from proxy.services import Services
from proxy.settings import UpstreamSettings
from proxy.transform.redact import redact
from proxy.transform.restore import ChunkRestorer, restore_completion
from proxy.transform.vault import Vault

ChatResult = dict[str, Any] | AsyncIterator[bytes]


async def chat_completion(services: Services, exchange: Exchange, body: Any) -> ChatResult:
    """Answer one chat completion; the exchange is recorded however it ends (streams: by the relay)."""
    relay: AsyncIterator[bytes] | None = None
    try:
        request = parse_chat(body)
        exchange.model, exchange.stream = request.model, request.stream
        plan = engine.plan(services.policy.policy, exchange.caller.service, request.model)
        vault = await _protect(services, exchange, plan, chat_slots(body))
        upstream = _route(services, exchange, plan)
        if request.stream:
            relay = await _open_stream(services, exchange, upstream, body, vault)
            return relay
        answer = await services.upstreams.complete(upstream, "/chat/completions", body)
        restore_completion(answer, vault)
        exchange.record_usage(answer.get("usage"))
        exchange.succeeded()
        return answer
    except BaseException as error:
        exchange.failed(error)
        raise
    finally:
        if relay is None:
            await services.record(exchange)


async def embeddings(services: Services, exchange: Exchange, body: Any) -> dict[str, Any]:
    """Embeddings: inputs are redacted like chat texts; nothing comes back to restore."""
    try:
        request = parse_embeddings(body)
        exchange.model = request.model
        plan = engine.plan(services.policy.policy, exchange.caller.service, request.model)
        await _protect(services, exchange, plan, embeddings_slots(body))
        upstream = _route(services, exchange, plan)
        answer = await services.upstreams.complete(upstream, "/embeddings", body)
        exchange.record_usage(answer.get("usage"))
        exchange.succeeded()
        return answer
    except BaseException as error:
        exchange.failed(error)
        raise
    finally:
        await services.record(exchange)


async def _protect(services: Services, exchange: Exchange, plan: Plan, slots: list[TextSlot]) -> Vault:
    """Detect personal data in every slot, refuse what the policy blocks, redact the rest in place."""
    findings = await services.detect([slot.text for slot in slots])
    for found in findings:
        exchange.entity_counts.update(f.entity for f in found if plan.actions[f.entity].removes)
    engine.refuse_blocked((f.entity for found in findings for f in found), plan.actions)
    vault = Vault()
    for slot, found in zip(slots, findings, strict=True):
        slot.replace(redact(slot.text, found, plan.actions, vault))
    return vault


def _route(services: Services, exchange: Exchange, plan: Plan) -> UpstreamSettings:
    upstream = services.settings.upstream_for(plan.model)
    if upstream is None:
        raise engine.model_unavailable(plan.model)
    exchange.routed_model, exchange.upstream = plan.model, upstream.name
    return upstream


async def _open_stream(
    services: Services,
    exchange: Exchange,
    upstream: UpstreamSettings,
    body: dict[str, Any],
    vault: Vault,
) -> AsyncIterator[bytes]:
    """Start the upstream stream and wait for its first event, so that a failure to start is a plain
    HTTP error; then hand over a relay that forwards the rest as it arrives."""
    events = _restored_events(services, exchange, upstream, body, vault)
    try:
        first = await anext(events)
    except StopAsyncIteration:
        raise UpstreamError(f"Le modèle amont « {upstream.name} » a renvoyé un flux vide.") from None
    return _relay(services, exchange, first, events)


async def _restored_events(
    services: Services,
    exchange: Exchange,
    upstream: UpstreamSettings,
    body: dict[str, Any],
    vault: Vault,
) -> AsyncIterator[bytes]:
    restorer = ChunkRestorer(vault)
    async with services.upstreams.stream_lines(upstream, "/chat/completions", body) as lines:
        async for payload in sse.data_payloads(lines):
            yield _restored_event(payload, restorer, exchange)


async def _relay(
    services: Services, exchange: Exchange, first: bytes, events: AsyncIterator[bytes]
) -> AsyncIterator[bytes]:
    """Forward events as they come; record in `finally`, so a client that disconnects is recorded."""
    ended = False
    try:
        yield first
        async for event in events:
            yield event
        exchange.succeeded()
        ended = True
    except GardefouError as error:
        exchange.failed(error)
        ended = True
        yield sse.error_event(error.to_openai())
    finally:
        if not ended:
            exchange.client_gone()
        with anyio.CancelScope(shield=True):
            await events.aclose()  # type: ignore[attr-defined]
            await services.record(exchange)


def _restored_event(payload: str, restorer: ChunkRestorer, exchange: Exchange) -> bytes:
    if payload == sse.DONE:
        return sse.encode(sse.DONE)
    chunk = sse.parse_chunk(payload)
    if chunk.get("usage"):
        exchange.record_usage(chunk["usage"])
    return sse.encode(restorer.restore(chunk))
