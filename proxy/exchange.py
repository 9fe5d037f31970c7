"""The per-request record: who, what, which policy, what was found and decided, how it ended.

All per-request state lives here (never on shared objects), and it turns into exactly one
register entry, whatever way the request ends.
"""

from __future__ import annotations

import time
import uuid
from collections import Counter
from dataclasses import dataclass, field

from proxy.caller import Caller
from proxy.entities import EntityType
from proxy.errors import GardefouError
from proxy.register.entry import Decision, RegisterEntry


@dataclass(slots=True)
class Exchange:
    caller: Caller
    endpoint: str
    policy_sha256: str
    request_id: str = field(default_factory=lambda: new_request_id())
    started: float = field(default_factory=time.perf_counter)
    model: str = ""
    routed_model: str | None = None
    upstream: str | None = None
    stream: bool = False
    entity_counts: Counter[EntityType] = field(default_factory=Counter)
    rule_ids: list[str] = field(default_factory=list)
    headers: dict[str, str] = field(default_factory=dict)  # added to the answer (X-Gardefou-Route)
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    decision: Decision = Decision.FAILED
    status: int = 500
    error_code: str | None = None
    task: str | None = None  # background task of a chat front-end (title, tags...), None for the agent's use
    attachments: Counter[str] = field(default_factory=Counter)  # "<kind>:<treatment>" -> count
    notice: bool = False  # the AI-generated-text notice was added to the answer
    answer_suffix: str = ""  # notice / human-control reminder appended to the answer (proxy/governance)
    observed_rule_ids: list[str] = field(default_factory=list)  # observe-mode rules that would have acted
    sent: bool = False  # the request reached the upstream model

    def succeeded(self) -> None:
        self.decision, self.status, self.sent = Decision.FORWARDED, 200, True

    def failed(self, error: BaseException) -> None:
        if isinstance(error, GardefouError):
            self.decision = Decision.BLOCKED if error.policy_refusal else Decision.FAILED
            self.status, self.error_code = error.status, error.code
            self.sent = self.sent or error.sent
        else:
            self.decision, self.status, self.error_code = Decision.FAILED, 500, "internal_error"

    def client_gone(self) -> None:
        self.decision, self.status, self.error_code = Decision.FAILED, 499, "client_disconnected"

    def record_usage(self, usage: object) -> None:
        if isinstance(usage, dict):  # chat and completions name them so; the Responses API, in/output
            self.prompt_tokens = _int_or_none(usage.get("prompt_tokens", usage.get("input_tokens")))
            self.completion_tokens = _int_or_none(usage.get("completion_tokens", usage.get("output_tokens")))

    def to_entry(self) -> RegisterEntry:
        return RegisterEntry(
            request_id=self.request_id,
            user=self.caller.account,
            service=self.caller.service,
            endpoint=self.endpoint,
            model=self.model,
            routed_model=self.routed_model,
            upstream=self.upstream,
            policy_sha256=self.policy_sha256,
            decision=self.decision,
            status=self.status,
            entity_counts={str(entity): n for entity, n in self.entity_counts.items()},
            rule_ids=tuple(self.rule_ids),
            stream=self.stream,
            duration_ms=round((time.perf_counter() - self.started) * 1000),
            prompt_tokens=self.prompt_tokens,
            completion_tokens=self.completion_tokens,
            error_code=self.error_code,
            task=self.task,
            attachments=dict(self.attachments),
            notice=self.notice,
            observed_rule_ids=tuple(self.observed_rule_ids),
            sent=self.sent,
        )


def new_request_id() -> str:
    """The id of one HTTP request: in its X-Request-Id header, its error body and its register row."""
    return f"req_{uuid.uuid4().hex}"


def _int_or_none(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else None
