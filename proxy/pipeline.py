"""The path of one request, top to bottom. No web-framework types here.

identify (done by the caller) -> scan -> plan -> detect -> decide + redact -> upstream -> restore -> register

Every served route (chat completions, responses, legacy completions, embeddings) takes this path; the
wire inventory (proxy/openai_api/inventory.yaml) says where each route's texts are.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from typing import Any

import anyio
from anyio import to_thread

from proxy.answer_relay import deliverable, reading_answer
from proxy.attachments import Treatment, raw_allowed, raw_refusal, register_key
from proxy.attachments.wire import attachment_converter, forwarded_part
from proxy.errors import InvalidRequest
from proxy.exchange import Exchange
from proxy.governance.answers import annotate, append_to_completion
from proxy.openai_api.inventory import Route, routes
from proxy.openai_api.schemas import parse_chat, parse_embeddings
from proxy.openai_api.segments import Extracted, Raw, Replaced, Scanned, fill, scan
from proxy.policy import engine, wire
from proxy.policy.records import Plan, PolicyDecision
from proxy.policy.tasks import settle_task
from proxy.protection import Protected, plan, protect
from proxy.services import Services
from proxy.settings import UpstreamSettings
from proxy.stream_relay import Event, Whole, open_stream
from proxy.transform.answers import ChunkRestorer, EventRestorer, restore_completion
from proxy.transform.responses import (
    CompletionChunkRestorer,
    ResponseEventRestorer,
    restore_completion_text,
    restore_object,
)
from proxy.transform.vault import Vault

Result = dict[str, Any] | AsyncIterator[bytes]
CHAT = "chat.completions"
FORWARDED, REFUSED = Treatment.FORWARDED, Treatment.REFUSED


async def answer(services: Services, exchange: Exchange, read_body: Callable[[], Awaitable[Any]]) -> Result:
    """Answer one request of the exchange's route, from reading its body on. Its register row is
    written here however it ends (a stream's: by `_recorded_stream`), and nowhere else."""
    route = routes()[exchange.endpoint]
    relay: AsyncIterator[bytes] | None = None
    try:
        body = await read_body()  # a body refused before the pipeline is recorded all the same
        if route.name == CHAT:  # a front-end's background task (title, tags...) may go elsewhere
            exchange.task = settle_task(services.policy.current().policy, exchange.task, body)
        scanned = await _scan(services, exchange, route, body)
        _admit(services, exchange, route, body)
        planned = _plan(services, exchange, scanned, body)
        protected = await _protect(services, exchange, planned, scanned)
        upstream = _route(services, exchange, protected.decision)
        outgoing = _outgoing(services, exchange, scanned, protected, upstream)
        if route.name == CHAT:  # AI notice, human-control reminder (proxy/governance): chat answers
            annotate(exchange, planned, protected.decision)
        if exchange.stream:
            restorer = _RESTORERS[route.name](protected.vault)
            events = await open_stream(
                services, exchange, upstream, outgoing, protected.vault, path=route.path, restorer=restorer
            )
            relay = _recorded_stream(services, exchange, events)
            return relay
        result = await services.upstreams.complete(upstream, route.path, outgoing)
        with reading_answer(upstream.name):  # an answer that cannot be restored: a 502 (sent)
            _restore(route, result, protected.vault)
            append_to_completion(result, exchange.answer_suffix)
        deliverable(result, upstream.name)
        exchange.record_usage(result.get("usage"))
        exchange.succeeded()
        return result
    except BaseException as error:
        exchange.failed(error)
        raise
    finally:
        if relay is None:
            await services.record(exchange)


async def _recorded_stream(
    services: Services, exchange: Exchange, events: AsyncIterator[Event]
) -> AsyncIterator[bytes]:
    """The relay's events to the agent. The row is written once the answer is whole, before its
    closing events (a crash after a complete answer still leaves its row), or as soon as the relay
    ends otherwise (error event, cut, client gone: the relay has set the exchange's outcome)."""
    try:
        try:
            async for event in events:
                if isinstance(event, Whole):
                    break
                yield event
            else:
                await _closed(events)  # ended before the answer was whole
        except BaseException:
            await _closed(events)  # the client left: the relay notes it before the row is written
            raise
        finally:
            await services.record(exchange)
        async for event in events:  # closing events: finish reason, [DONE], notice
            if not isinstance(event, Whole):
                yield event
    finally:
        await _closed(events)


async def _closed(events: AsyncIterator[Event]) -> None:
    with anyio.CancelScope(shield=True):
        await events.aclose()  # type: ignore[attr-defined]


class _HasAttachments(Exception):
    """Raised by the first, quick scan: this body carries files, convert them off the event loop."""


def _defer(part: Mapping[str, Any], path: str) -> Extracted | Raw:
    raise _HasAttachments


async def _scan(services: Services, exchange: Exchange, route: Route, body: Any) -> Scanned:
    """The body read along the inventory. Attachment parts are converted (text extracted, or kept raw
    for the policy) in a worker thread: extraction may take seconds, the event loop goes on."""
    try:
        return scan(route, body, _defer)
    except _HasAttachments:
        rules = services.policy.current().policy.attachments_for(exchange.caller.service)
        return await to_thread.run_sync(scan, route, body, attachment_converter(rules))


def _admit(services: Services, exchange: Exchange, route: Route, body: dict[str, Any]) -> None:
    """The fields a route cannot do without; the model is recorded only if the configuration names it."""
    _SHAPES.get(route.name, lambda body: None)(body)
    for name in route.required:
        if body.get(name) in (None, "", []):
            raise InvalidRequest(f"Requête invalide : le champ « {name} » est obligatoire.")
    exchange.model = engine.known_model(services.policy.current().rulebook, body["model"])
    exchange.stream = body.get("stream") is True and route.name != wire.EMBEDDINGS


def _plan(services: Services, exchange: Exchange, scanned: Scanned, body: dict[str, Any]) -> Plan:
    """Check the request against the policy in force (model, size, limits) before reading its data."""
    loaded = services.policy.current()
    exchange.policy_sha256 = loaded.sha256
    planned = plan(loaded.rulebook, exchange.caller, scanned, body)
    exchange.rule_ids[:] = planned.rules
    if planned.refusal is not None:
        raise planned.refusal.error()
    return planned


async def _protect(services: Services, exchange: Exchange, planned: Plan, scanned: Scanned) -> Protected:
    """Detect personal data in every scanned text; the policy decides what counts, where it may go, and
    whether the request asks for a forbidden use. The rules that fired are recorded either way.

    The policy reads the texts itself (category keywords, forbidden uses asked for) in `decide`,
    after detection: run beside it in a thread of its own, it cost more (thread hand-over, contention
    for the interpreter with the detection thread) than it saved, measured with paired servers."""
    texts = scanned.values
    detected = await services.detect(texts, scope=exchange.caller.user)
    key = services.pseudonyms.key_for(exchange.caller.user)
    reversible = scanned.route.name != wire.EMBEDDINGS  # nothing comes back to restore
    protected = protect(planned, scanned, detected, key, reversible=reversible)
    decision = protected.decision
    exchange.rule_ids[:] = decision.rules
    exchange.observed_rule_ids[:] = decision.observed  # observe-mode rules: recorded, never acted upon
    exchange.entity_counts.update(protected.counts(scanned))
    exchange.attachments.update(scanned.attachments)
    if decision.refusal is not None:
        raise decision.refusal.error()
    return protected


def _route(services: Services, exchange: Exchange, decision: PolicyDecision) -> UpstreamSettings:
    upstream = services.settings.upstream_for(decision.model)
    if upstream is None:
        raise engine.model_unavailable(decision.model)
    exchange.routed_model, exchange.upstream = decision.model, upstream.name
    exchange.headers.update(wire.route_header(decision))
    return upstream


def _outgoing(
    services: Services, exchange: Exchange, scanned: Scanned, protected: Protected, upstream: UpstreamSettings
) -> dict[str, Any]:
    """The request sent upstream, built from the scanned template (the client's body is not edited)."""
    caller_key = services.pseudonyms.key_for(exchange.caller.user)

    def replace(field: Replaced) -> str:
        if field.by == "caller_hash":
            value = scanned.texts[field.index].value.encode()
            return "gf-" + hmac.new(caller_key, value, hashlib.sha256).hexdigest()[:32]
        return "gf-" + hashlib.sha256(caller_key).hexdigest()[:16]

    rules = services.policy.current().policy.attachments_for(exchange.caller.service)
    for part in scanned.raw:  # files that cannot be redacted: only where the policy lets them go
        allowed = raw_allowed(rules, part.kind, upstream.hosting.value)
        exchange.attachments[register_key(part.kind, FORWARDED if allowed else REFUSED)] += 1
        if not allowed:
            raise raw_refusal(str(part.part.get("type")), part.kind)
    outgoing: dict[str, Any] = fill(scanned.template, protected.texts, replace, forwarded_part)
    route, decision = scanned.route.name, protected.decision
    wire.apply(route, outgoing, decision)  # model, reminder
    ceiling = services.limiter.max_tokens(exchange.caller.service)  # the configuration's
    wire.clamp_tokens(route, outgoing, decision.max_tokens, ceiling)
    return outgoing


def _restore(route: Route, result: dict[str, Any], vault: Vault) -> None:
    if route.name == "chat.completions":
        restore_completion(result, vault)
    elif route.name == wire.RESPONSES:
        restore_object(result, vault)
    elif route.name == wire.COMPLETIONS:
        restore_completion_text(result, vault)


_SHAPES: dict[str, Callable[[Any], object]] = {
    "chat.completions": parse_chat,
    wire.EMBEDDINGS: parse_embeddings,
}
_RESTORERS: dict[str, Callable[[Vault], EventRestorer]] = {
    "chat.completions": ChunkRestorer,
    wire.RESPONSES: ResponseEventRestorer,
    wire.COMPLETIONS: CompletionChunkRestorer,
}
