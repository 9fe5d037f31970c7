"""The path of one request, top to bottom. No web-framework types here.

identify (done by the caller) -> plan -> detect -> decide -> redact -> upstream -> restore -> register
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from functools import partial
from typing import Any

from proxy.answer_relay import deliverable, reading_answer
from proxy.exchange import Exchange
from proxy.governance.answers import annotate, append_to_completion
from proxy.openai_api.schemas import parse_chat, parse_embeddings
from proxy.openai_api.segments import TextSlot, chat_slots, embeddings_slots
from proxy.policy import engine, wire
from proxy.policy.records import Decision, Plan, RequestFacts
from proxy.policy.tasks import settle_task
from proxy.services import Services
from proxy.settings import UpstreamSettings
from proxy.stream_relay import open_stream
from proxy.transform.answers import restore_completion
from proxy.transform.placeholders import outside_placeholders
from proxy.transform.redact import irreversible, redact
from proxy.transform.vault import Vault, build_vault

ChatResult = dict[str, Any] | AsyncIterator[bytes]


async def chat_completion(services: Services, exchange: Exchange, body: Any) -> ChatResult:
    """Answer one chat completion; the exchange is recorded however it ends (streams: by the relay)."""
    relay: AsyncIterator[bytes] | None = None
    try:
        exchange.task = settle_task(services.policy.current().policy, exchange.task, body)  # title, tags...
        request = parse_chat(body)
        exchange.model, exchange.stream = request.model, request.stream
        slots = chat_slots(body)
        plan = _plan(services, exchange, wire.chat_facts(body, slots))
        decision = await _decide(services, exchange, plan, slots)
        vault = _protect(services, exchange, plan, decision, slots)
        wire.apply(body, decision)
        upstream = _route(services, exchange, decision)
        annotate(exchange, plan, decision)  # AI notice, human-control reminder (proxy/governance)
        if request.stream:
            relay = await open_stream(services, exchange, upstream, body, vault)
            return relay
        answer = await services.upstreams.complete(upstream, "/chat/completions", body)
        with reading_answer(upstream.name):  # an answer that cannot be restored: a 502 (sent)
            restore_completion(answer, vault)
            append_to_completion(answer, exchange.answer_suffix)
        deliverable(answer, upstream.name)
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
    """Embeddings: inputs are redacted like chat texts, but masked: nothing comes back to restore."""
    try:
        request = parse_embeddings(body)
        exchange.model = request.model
        slots = embeddings_slots(body)
        plan = _plan(services, exchange, wire.embeddings_facts(body, slots))
        decision = await _decide(services, exchange, plan, slots)
        _protect(services, exchange, plan, decision, slots, reversible=False)
        wire.apply(body, decision)
        upstream = _route(services, exchange, decision)
        answer = deliverable(await services.upstreams.complete(upstream, "/embeddings", body), upstream.name)
        exchange.record_usage(answer.get("usage"))
        exchange.succeeded()
        return answer
    except BaseException as error:
        exchange.failed(error)
        raise
    finally:
        await services.record(exchange)


def _plan(services: Services, exchange: Exchange, facts: RequestFacts) -> Plan:
    """Check the request against the policy in force (model, size, limits) before reading its data."""
    loaded = services.policy.current()
    exchange.policy_sha256 = loaded.sha256
    plan = engine.plan(loaded.rulebook, exchange.caller, facts)
    exchange.rule_ids[:] = plan.rules
    if plan.refusal is not None:
        raise plan.refusal.error()
    return plan


async def _decide(services: Services, exchange: Exchange, plan: Plan, slots: list[TextSlot]) -> Decision:
    """Detect personal data in every slot; the policy decides what counts, where it may go, and
    whether the request asks for a forbidden use. The rules that fired are recorded either way."""
    texts = [slot.text for slot in slots]
    policy_matches = partial(engine.text_matches, plan, texts)  # worked out while the NER finishes
    detected = await services.detect(texts, scope=exchange.caller.user, meanwhile=policy_matches)
    findings = [outside_placeholders(text, row) for text, row in zip(texts, detected, strict=True)]
    decision = engine.decide(plan, texts, findings)
    exchange.rule_ids[:] = decision.rules
    exchange.observed_rule_ids[:] = decision.observed  # observe-mode rules: recorded, never acted upon
    for found in decision.findings:
        exchange.entity_counts.update(f.entity for f in found if decision.actions[f.entity].removes)
    if decision.refusal is not None:
        raise decision.refusal.error()
    return decision


def _protect(
    services: Services,
    exchange: Exchange,
    plan: Plan,
    decision: Decision,
    slots: list[TextSlot],
    *,
    reversible: bool = True,
) -> Vault:
    """Redact every slot in place as decided. The vault is built from this request's own findings
    only: it can restore nothing else."""
    texts = [slot.text for slot in slots]
    findings = decision.findings
    actions = decision.actions if reversible else irreversible(decision.actions)
    style = plan.rulebook.policy.defaults.placeholders
    key = services.pseudonyms.key_for(exchange.caller.user)
    vault = build_vault(key, style, texts, findings, actions)
    for slot, found in zip(slots, findings, strict=True):
        slot.replace(redact(slot.text, found, actions, vault, style))
    return vault


def _route(services: Services, exchange: Exchange, decision: Decision) -> UpstreamSettings:
    upstream = services.settings.upstream_for(decision.model)
    if upstream is None:
        raise engine.model_unavailable(decision.model)
    exchange.routed_model, exchange.upstream = decision.model, upstream.name
    exchange.headers.update(wire.route_header(decision))
    return upstream
