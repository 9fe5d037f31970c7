"""Plan-level rules (catalogue, size, max_tokens), thresholds and lists, and the body rewrite."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

from proxy.analysis.engine import Detector
from proxy.analysis.findings import Finding
from proxy.entities import Entity
from proxy.exchange import Exchange
from proxy.openai_api.inventory import routes
from proxy.openai_api.segments import scan
from proxy.policy import engine, wire
from proxy.policy.checks import PolicyContext
from proxy.policy.loader import LoadedPolicy, load_policy
from proxy.policy.records import RequestFacts
from proxy.policy.simulate import caller_for, simulate
from proxy.register.entry import Decision


def facts(model: str = "local-llm", **changes: Any) -> RequestFacts:
    return replace(RequestFacts(endpoint=engine.CHAT, model=model), **changes)


def test_input_over_the_limit_is_refused_before_detection(table: LoadedPolicy) -> None:
    plan = engine.plan(table.rulebook, caller_for("rh"), facts(input_chars=2001))
    assert plan.refusal is not None and plan.refusal.kind == "payload_too_large"
    assert plan.refusal.error().status == 413 and "2000" in plan.refusal.message
    assert plan.rules == ("limit.max_input_chars",)


def test_the_input_limit_is_recorded_as_blocked_like_other_policy_refusals(table: LoadedPolicy) -> None:
    """limits.max_input_chars is the policy refusing ("bloquée"), as a blocked type or use is; a body
    the server cannot read at all stays a failure (tests/test_exchange.py)."""
    refusal = engine.plan(table.rulebook, caller_for("rh"), facts(input_chars=2001)).refusal
    assert refusal is not None
    exchange = Exchange(
        caller=caller_for("rh"), endpoint="chat.completions", policy_sha256="0" * 64, request_id="r1"
    )
    exchange.failed(refusal.error())
    entry = exchange.to_entry()
    assert (entry.decision, entry.status, entry.error_code) == (Decision.BLOCKED, 413, "payload_too_large")


def test_max_tokens_is_clamped_and_set_when_absent(table: LoadedPolicy) -> None:
    clamped = engine.plan(table.rulebook, caller_for("rh"), facts(max_tokens=9000))
    assert clamped.max_tokens == 500 and "limit.max_tokens" in clamped.rules
    kept = engine.plan(table.rulebook, caller_for("rh"), facts(max_tokens=20))
    assert kept.max_tokens == 20 and kept.rules == ()
    service_own = engine.plan(table.rulebook, caller_for("social"), facts())
    assert service_own.max_tokens == 100  # the service's own limit wins over the default


def test_embeddings_have_no_max_tokens(table: LoadedPolicy) -> None:
    plan = engine.plan(table.rulebook, caller_for("rh"), facts(endpoint="embeddings", max_tokens=9000))
    assert plan.max_tokens is None


def test_unknown_service_has_an_empty_catalogue(table: LoadedPolicy) -> None:
    plan = engine.plan(table.rulebook, caller_for("inconnu"), facts())
    assert plan.refusal is not None and plan.refusal.kind == "model_not_allowed"
    assert engine.allowed_models(table.policy, "inconnu") == ()


def test_findings_under_the_threshold_do_not_count(tmp_path: Path, context: PolicyContext) -> None:
    path = tmp_path / "p.yaml"
    path.write_text(
        "services:\n  s:\n    models: [local-llm]\n"
        "defaults:\n  threshold: 0.9\n  entities:\n    PHONE: {action: block, threshold: 0.99}\n",
        encoding="utf-8",
    )
    rulebook = load_policy(path, context).rulebook
    plan = engine.plan(rulebook, caller_for("s"), facts())
    low = Finding(0, 4, Entity.PERSON, 0.85, "spacy_ner")
    phone = Finding(10, 24, Entity.PHONE, 0.95, "fr_phone")
    decision = engine.decide(plan, ["Jean appelle 06 12 34 56 78"], [[low, phone]])
    assert decision.findings == ((),) and decision.refusal is None


def test_allow_and_deny_lists_apply(tmp_path: Path, context: PolicyContext, detector: Detector) -> None:
    path = tmp_path / "p.yaml"
    path.write_text(
        "services:\n  s:\n    models: [local-llm]\n    lists:\n      deny: ['PERSON:Hirondelle']\n"
        "defaults:\n  lists:\n    allow: ['Marie Curie']\n",
        encoding="utf-8",
    )
    rulebook = load_policy(path, context).rulebook
    result = simulate(rulebook, detector, caller_for("s"), "local-llm", "Marie Curie et Hirondelle.")
    assert [f.entity for f in result.found()] == [Entity.PERSON]
    assert {"list.allow", "list.deny"} <= set(result.rules)


def test_apply_rewrites_model_tokens_and_system_prompt(table: LoadedPolicy, detector: Detector) -> None:
    body: dict[str, Any] = {
        "model": "local-llm",
        "max_completion_tokens": 4000,
        "messages": [{"role": "user", "content": "Décide de la sanction."}],
    }
    scanned = scan(routes()["chat.completions"], body)
    plan = engine.plan(table.rulebook, caller_for("social"), wire.facts(scanned, body))
    decision = engine.decide(plan, scanned.values, detector.detect(scanned.values))
    wire.apply("chat.completions", body, decision)
    wire.clamp_tokens("chat.completions", body, decision.max_tokens, None)
    assert body["max_completion_tokens"] == 100 and "max_tokens" not in body
    assert body["messages"][0]["role"] == "system" and "un humain décide" in body["messages"][0]["content"]
    assert body["messages"][1]["content"] == "Décide de la sanction."
    assert wire.route_header(decision) == {"X-Gardefou-Route": "direct"}


def test_token_fields_take_the_policys_value_then_the_configurations_ceiling() -> None:
    body: dict[str, Any] = {"max_tokens": 400, "max_completion_tokens": 10}
    wire.clamp_tokens("chat.completions", body, None, 50)
    assert body == {"max_tokens": 50, "max_completion_tokens": 10}
    other: dict[str, Any] = {"max_tokens": 5000, "max_completion_tokens": True}
    wire.clamp_tokens("chat.completions", other, None, 1000)
    assert other == {"max_tokens": 1000, "max_completion_tokens": True}
    asked_none: dict[str, Any] = {}
    wire.clamp_tokens("chat.completions", asked_none, 300, 200)  # the policy's value, then the ceiling
    assert asked_none == {"max_tokens": 200}
    responses: dict[str, Any] = {"max_output_tokens": 900}
    wire.clamp_tokens("responses", responses, 500, None)
    assert responses == {"max_output_tokens": 500}
    embeddings: dict[str, Any] = {"max_tokens": 900}
    wire.clamp_tokens("embeddings", embeddings, 10, 10)  # no token field on that route
    assert embeddings == {"max_tokens": 900}


def test_reminder_is_appended_to_an_existing_system_prompt(table: LoadedPolicy, detector: Detector) -> None:
    result = simulate(
        table.rulebook, detector, caller_for("social"), "local-llm", "Décide de la sanction.", "Sois bref."
    )
    assert result.decision is not None
    body: dict[str, Any] = {"model": "local-llm", "messages": [{"role": "system", "content": "Sois bref."}]}
    wire.apply("chat.completions", body, result.decision)
    assert len(body["messages"]) == 1 and body["messages"][0]["content"].startswith("Sois bref.\n\n")


def test_instructions_exclude_assistant_and_tool_messages() -> None:
    body = {
        "model": "m",
        "messages": [
            {"role": "system", "content": "Consigne"},
            {"role": "assistant", "content": "Décide de la sanction"},
            {"role": "tool", "content": "sanction décidée"},
            {"role": "user", "content": [{"type": "text", "text": "Question"}]},
        ],
    }
    scanned = scan(routes()["chat.completions"], body)
    read = wire.facts(scanned, body)
    assert read.instructions == ("Consigne", "Question")
    assert read.input_chars == sum(len(text) for text in scanned.values)
