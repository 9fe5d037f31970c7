"""The per-request record (proxy/exchange.py): how a request ends sets the register row's decision,
status, error code and whether the request reached the model; usage figures are read defensively."""

from __future__ import annotations

import pytest

from proxy.caller import Caller
from proxy.entities import Entity
from proxy.errors import (
    DetectionUnavailable,
    GardefouError,
    PayloadTooLarge,
    PersonalDataBlocked,
    UpstreamCut,
    UpstreamUnreachable,
)
from proxy.exchange import Exchange, new_request_id
from proxy.register.entry import Decision


def _exchange() -> Exchange:
    caller = Caller(user="agent.rh", service="rh", key_id="k1")
    return Exchange(
        caller=caller, endpoint="chat.completions", policy_sha256="0" * 64, request_id=new_request_id()
    )


def test_a_success_is_forwarded_200_and_sent() -> None:
    exchange = _exchange()
    exchange.entity_counts[Entity.PERSON] += 2
    exchange.succeeded()
    entry = exchange.to_entry()
    outcome = (entry.decision, entry.status, entry.sent, entry.error_code)
    assert outcome == (Decision.FORWARDED, 200, True, None)
    assert entry.user == "agent.rh:k1" and entry.entity_counts == {"PERSON": 2}


@pytest.mark.parametrize(
    ("error", "decision", "status", "code", "sent"),
    [
        (PersonalDataBlocked("bloqué"), Decision.BLOCKED, 403, "personal_data_blocked", False),
        (DetectionUnavailable("indisponible"), Decision.FAILED, 503, "detection_unavailable", False),
        (PayloadTooLarge("corps illisible"), Decision.FAILED, 413, "payload_too_large", False),
        (UpstreamUnreachable("injoignable"), Decision.FAILED, 502, "upstream_unreachable", False),
        (UpstreamCut("coupé"), Decision.FAILED, 502, "upstream_cut", True),
        (RuntimeError("bug"), Decision.FAILED, 500, "internal_error", False),
    ],
)
def test_a_failure_is_recorded_as_what_it_was(
    error: BaseException, decision: Decision, status: int, code: str, sent: bool
) -> None:
    exchange = _exchange()
    exchange.failed(error)
    entry = exchange.to_entry()
    assert (entry.decision, entry.status, entry.error_code, entry.sent) == (decision, status, code, sent)


def test_an_error_after_sending_keeps_the_request_sent() -> None:
    exchange = _exchange()
    exchange.sent = True  # the stream had started
    exchange.failed(GardefouError("après l'envoi"))
    assert exchange.to_entry().sent is True


def test_a_client_gone_is_a_499() -> None:
    exchange = _exchange()
    exchange.client_gone()
    entry = exchange.to_entry()
    assert (entry.decision, entry.status, entry.error_code) == (Decision.FAILED, 499, "client_disconnected")


@pytest.mark.parametrize(
    ("usage", "expected"),
    [
        ({"prompt_tokens": 12, "completion_tokens": 30}, (12, 30)),
        ({"input_tokens": 7, "output_tokens": 9}, (7, 9)),  # the Responses API's names
        ({"prompt_tokens": -1, "completion_tokens": True}, (None, None)),  # nonsense is not recorded
        ("12 tokens", (None, None)),
    ],
)
def test_usage_figures_are_read_defensively(usage: object, expected: tuple[int | None, int | None]) -> None:
    exchange = _exchange()
    exchange.record_usage(usage)
    assert (exchange.prompt_tokens, exchange.completion_tokens) == expected


def test_request_ids_are_unique_and_prefixed() -> None:
    ids = {new_request_id() for _ in range(100)}
    assert len(ids) == 100 and all(i.startswith("req_") for i in ids)
