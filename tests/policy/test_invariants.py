"""Properties of the pure core over arbitrary findings: a forwarded request never sends a data category
to a hosting that may not receive it, never carries a blocked type, and names only register-safe rules."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from proxy.analysis.findings import Finding
from proxy.entities import Entity
from proxy.policy import engine
from proxy.policy.loader import LoadedPolicy
from proxy.policy.records import RequestFacts, Verdict
from proxy.policy.schema import Action
from proxy.policy.simulate import caller_for

RULE_ID = re.compile(r"^[\w.:@/+\-]{1,200}$")  # what the register accepts
WORDS = ["Bonjour", "arrêt maladie", "handicap", "décide", "la sanction", "note", "candidat", "aide", "."]


@st.composite
def requests(draw: st.DrawFn, table: LoadedPolicy) -> tuple[str, str, str, list[Finding]]:
    service = draw(st.sampled_from(sorted(table.policy.services)))
    model = draw(st.sampled_from(sorted(table.rulebook.hosting)))
    text = " ".join(draw(st.lists(st.sampled_from(WORDS), max_size=12)))
    entities = draw(
        st.lists(st.sampled_from([Entity.NIR, Entity.IBAN, Entity.PERSON, Entity.EMAIL]), max_size=4)
    )
    found = [Finding(0, 1, entity, 1.0, "test") for entity in entities]
    return service, model, text, found


def check(table: LoadedPolicy, service: str, model: str, text: str, found: list[Finding]) -> None:
    facts = RequestFacts(endpoint=engine.CHAT, model=model, input_chars=len(text), instructions=(text,))
    plan = engine.plan(table.rulebook, caller_for(service), facts)
    if plan.refusal is not None:
        assert model not in table.policy.services[service].models
        return
    decision = engine.decide(plan, [text or " "], [found])
    assert all(RULE_ID.match(rule) for rule in decision.rules)
    if decision.refusal is not None:
        assert decision.verdict is Verdict.REFUSE
        return
    hosting = table.rulebook.hosting[decision.model]
    for category in decision.categories:
        assert hosting in table.policy.categories[category].hosting
    assert all(decision.actions[e] is not Action.BLOCK for e in decision.found())
    if decision.verdict is Verdict.REROUTE:
        assert decision.model in table.policy.services[service].fallback_models
    else:
        assert decision.model == model


@settings(max_examples=300, deadline=None)
@given(data=st.data())
def test_forwarded_requests_respect_hosting_and_blocks(table: LoadedPolicy, data: st.DataObject) -> None:
    check(table, *data.draw(requests(table)))
