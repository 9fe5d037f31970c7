"""Table-driven: service x model x data category x forbidden use -> decision and route.

The texts go through the real detector and the pure plan/decide core, exactly as in the proxy."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from proxy.analysis.engine import Detector
from proxy.policy.loader import LoadedPolicy
from proxy.policy.simulate import caller_for, simulate
from proxy.roles import Role
from tests.policy.conftest import IBAN, NIR


@dataclass(frozen=True)
class Row:
    service: str
    model: str
    text: str
    verdict: str
    routed: str | None = None
    rules: tuple[str, ...] = ()
    refusal: str | None = None
    user: str = "agent.test"
    roles: tuple[Role, ...] = ()


PLAIN = "Rédige une invitation à la fête de la musique du quartier."
WITH_NIR = f"Vérifie le numéro de sécurité sociale {NIR} avant l'envoi."
HEALTH = "Rédige un courrier pour un agent en arrêt maladie prolongé."
WITH_IBAN = f"Le remboursement se fera sur l'IBAN {IBAN}."
SANCTION = "Décide de la sanction à appliquer pour ce dossier."
RANKING = "Classe ces candidatures de la plus à la moins pertinente."
AID = "Accorde l'allocation à la famille dont le dossier est le plus complet."

ROWS = [
    Row("redaction", "gpt-4o", PLAIN, "forward", "gpt-4o"),
    Row("redaction", "gpt-4o", WITH_NIR, "reroute", "souverain", ("category.identifiants", "route.reroute")),
    Row("redaction", "gpt-4o", HEALTH, "reroute", "local-llm", ("category.sante", "route.reroute")),
    Row("redaction", "gpt-4o", WITH_IBAN, "reroute", "souverain", ("category.bancaire", "route.reroute")),
    Row("redaction", "mistral-eu", WITH_IBAN, "forward", "mistral-eu", ("category.bancaire",)),
    Row("redaction", "mistral-eu", WITH_NIR, "reroute", "souverain", ("route.reroute",)),
    Row("redaction", "souverain", WITH_NIR + " " + HEALTH, "reroute", "local-llm", ("category.sante",)),
    Row("redaction", "souverain", WITH_NIR, "forward", "souverain", ("category.identifiants",)),
    Row("urbanisme", "souverain", HEALTH, "reroute", "local-llm", ("route.reroute",)),
    Row("urbanisme", "gpt-4o", PLAIN, "refuse", None, ("model.not_allowed",), "model_not_allowed"),
    Row("urbanisme", "gpt-4o", PLAIN, "forward", "gpt-4o", user="chef.urba"),
    Row("urbanisme", "mistral-eu", PLAIN, "forward", "mistral-eu", roles=(Role.DPO,)),
    Row("rh", "gpt-4o", HEALTH, "refuse", None, ("category.sante", "route.refuse"), "data_not_allowed"),
    Row("rh", "local-llm", WITH_NIR, "refuse", None, ("entity.NIR.block",), "personal_data_blocked"),
    Row("rh", "local-llm", RANKING, "forward", "local-llm", ("use.evaluation-personnes.warn",)),
    Row("rh", "local-llm", SANCTION, "refuse", None, ("use.decision-sanction.block",), "forbidden_use"),
    Row(
        "urbanisme",
        "souverain",
        RANKING,
        "refuse",
        None,
        ("use.evaluation-personnes.block",),
        "forbidden_use",
    ),
    Row(
        "urbanisme", "souverain", SANCTION, "refuse", None, ("use.decision-sanction.block",), "forbidden_use"
    ),
    Row("social", "local-llm", SANCTION, "forward", "local-llm", ("use.decision-sanction.warn",)),
    Row("social", "local-llm", AID, "refuse", None, ("use.attribution-aide.block",), "forbidden_use"),
    Row(
        "redaction",
        "gpt-4o",
        WITH_NIR + " " + SANCTION,
        "refuse",
        None,
        ("category.identifiants", "route.reroute", "use.decision-sanction.block"),
        "forbidden_use",
    ),
    Row("urbanisme", "souverain", "Rédige la lettre sur la sanction décidée par le maire.", "forward"),
]


@pytest.mark.parametrize("row", ROWS, ids=lambda r: f"{r.service}-{r.model}-{r.text[:25]}")
def test_decision_table(row: Row, table: LoadedPolicy, detector: Detector) -> None:
    caller = caller_for(row.service, row.user, row.roles)
    result = simulate(table.rulebook, detector, caller, row.model, row.text)
    assert result.verdict == row.verdict
    if row.routed is not None:
        assert result.model == row.routed
    assert set(row.rules) <= set(result.rules), result.rules
    kind = result.refusal.kind.value if result.refusal else None
    assert kind == row.refusal


def test_no_rule_fires_on_a_plain_request(table: LoadedPolicy, detector: Detector) -> None:
    result = simulate(table.rulebook, detector, caller_for("redaction"), "gpt-4o", PLAIN)
    assert result.rules == () and result.decision is not None and result.decision.reminder is None


def test_a_warned_use_carries_the_french_reminder(table: LoadedPolicy, detector: Detector) -> None:
    result = simulate(table.rulebook, detector, caller_for("social"), "local-llm", SANCTION)
    assert result.decision is not None and result.decision.reminder is not None
    assert "un humain décide" in result.decision.reminder
    assert "decision-sanction" in result.decision.reminder


def test_a_blocked_use_names_the_rule_and_the_human_decision(table: LoadedPolicy, detector: Detector) -> None:
    result = simulate(table.rulebook, detector, caller_for("urbanisme"), "souverain", RANKING)
    assert result.refusal is not None
    message = result.refusal.message
    assert "evaluation-personnes" in message and "un humain décide" in message
    assert "annexe III" in message  # the area is not opened for this service
    assert result.refusal.error().status == 403


def test_refusal_messages_quote_no_personal_data(table: LoadedPolicy, detector: Detector) -> None:
    result = simulate(table.rulebook, detector, caller_for("rh"), "local-llm", WITH_NIR)
    assert result.refusal is not None
    assert NIR not in result.refusal.message and "numéro de sécurité sociale" in result.refusal.message
