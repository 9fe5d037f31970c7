"""The path of one request, top to bottom. No web-framework types here.

identify (done by the caller) -> scan -> plan -> detect -> decide + redact -> upstream -> restore -> register

Every served route (chat completions, responses, legacy completions, embeddings) takes this path; the
wire inventory (proxy/openai_api/inventory.yaml) says where each route's texts are.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import AsyncIterator, Callable
from functools import partial
from typing import Any

from proxy.errors import InvalidRequest
from proxy.exchange import Exchange
from proxy.openai_api.inventory import Route, routes
from proxy.openai_api.schemas import parse_chat, parse_embeddings
from proxy.openai_api.segments import Raw, Replaced, Scanned, fill, scan
from proxy.policy import engine, wire
from proxy.policy.records import Decision, Plan
from proxy.protection import Protected, plan, protect
from proxy.services import Services
from proxy.settings import UpstreamSettings
from proxy.stream_relay import open_stream
from proxy.transform.answers import ChunkRestorer, EventRestorer, restore_completion
from proxy.transform.responses import (
    CompletionChunkRestorer,
    ResponseEventRestorer,
    restore_completion_text,
    restore_object,
)
from proxy.transform.vault import Vault

Result = dict[str, Any] | AsyncIterator[bytes]


async def answer(services: Services, exchange: Exchange, body: Any) -> Result:
    """Answer one request of the exchange's route; it is recorded however it ends (streams: by the relay)."""
    route = routes()[exchange.endpoint]
    relay: AsyncIterator[bytes] | None = None
    try:
        scanned = scan(route, body)
        _admit(services, exchange, route, body)
        planned = _plan(services, exchange, scanned, body)
        protected = await _protect(services, exchange, planned, scanned)
        upstream = _route(services, exchange, protected.decision)
        outgoing = _outgoing(services, exchange, scanned, protected, upstream)
        if exchange.stream:
            restorer = _RESTORERS[route.name](protected.vault)
            relay = await open_stream(
                services, exchange, upstream, outgoing, protected.vault, path=route.path, restorer=restorer
            )
            return relay
        result = await services.upstreams.complete(upstream, route.path, outgoing)
        _restore(route, result, protected.vault)
        exchange.record_usage(result.get("usage"))
        exchange.succeeded()
        return result
    except BaseException as error:
        exchange.failed(error)
        raise
    finally:
        if relay is None:
            await services.record(exchange)


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
    whether the request asks for a forbidden use. The rules that fired are recorded either way."""
    texts = scanned.values
    policy_matches = partial(engine.text_matches, planned, texts)  # worked out while the NER finishes
    detected = await services.detect(texts, scope=exchange.caller.user, meanwhile=policy_matches)
    key = services.pseudonyms.key_for(exchange.caller.user)
    reversible = scanned.route.name != wire.EMBEDDINGS  # nothing comes back to restore
    protected = protect(planned, scanned, detected, key, reversible=reversible)
    decision = protected.decision
    exchange.rule_ids[:] = decision.rules
    exchange.entity_counts.update(protected.counts(scanned))
    exchange.attachments.update(scanned.attachments)
    if decision.refusal is not None:
        raise decision.refusal.error()
    return protected


def _route(services: Services, exchange: Exchange, decision: Decision) -> UpstreamSettings:
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

    def raw(part: Raw) -> Any:
        raise InvalidRequest(f"La pièce jointe « {part.path} » ({part.kind}) n'est pas acceptée.")

    outgoing: dict[str, Any] = fill(scanned.template, protected.texts, replace, raw)
    wire.apply(scanned.route.name, outgoing, protected.decision)
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
