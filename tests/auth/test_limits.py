"""The limiter: token buckets per user and per service, Retry-After, concurrency, quotas, clamps."""

from __future__ import annotations

from typing import Any

import pytest

from proxy.errors import InvalidRequest, RateLimited
from proxy.limits import Limiter, Quota, check_shape, json_depth
from proxy.settings import LimitSettings


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def limiter(clock: Clock, **values: Any) -> Limiter:
    return Limiter(LimitSettings(**values), clock=clock)


def test_a_user_over_the_rate_gets_429_with_retry_after_then_recovers() -> None:
    clock = Clock()
    limits = limiter(clock, user_requests_per_minute=3)
    for _ in range(3):
        limits.admit("a", "rh").release()
    with pytest.raises(RateLimited) as refused:
        limits.admit("a", "rh")
    assert refused.value.status == 429
    assert refused.value.headers["Retry-After"] == "20"  # one request every 20 s at 3 per minute
    limits.admit("b", "rh").release()  # other users are not affected
    clock.now += 20
    limits.admit("a", "rh").release()


def test_a_service_rate_counts_all_its_users_and_a_refusal_consumes_nothing() -> None:
    clock = Clock()
    limits = limiter(clock, service_requests_per_minute=2)
    limits.admit("a", "rh").release()
    limits.admit("b", "rh").release()
    with pytest.raises(RateLimited):
        limits.admit("c", "rh")
    limits.admit("c", "urbanisme").release()
    clock.now += 30
    limits.admit("c", "rh").release()  # the refused attempt did not use c's tokens


def test_policy_quotas_override_the_configuration_per_service() -> None:
    clock = Clock()
    limits = limiter(clock, service_requests_per_minute=100, max_tokens=1000)
    limits.quotas = {"rh": Quota(requests_per_minute=1, max_tokens=50)}
    limits.admit("a", "rh").release()
    with pytest.raises(RateLimited):
        limits.admit("b", "rh")
    assert limits.max_tokens("rh") == 50  # the service's own ceiling (applied by wire.clamp_tokens)
    assert limits.max_tokens("urbanisme") == 1000  # the configuration's


def test_concurrent_requests_per_user_are_capped_until_released() -> None:
    limits = limiter(Clock(), max_concurrent_per_user=2)
    first, second = limits.admit("a", "rh"), limits.admit("a", "rh")
    with pytest.raises(RateLimited) as refused:
        limits.admit("a", "rh")
    assert "simultanées" in refused.value.message
    limits.admit("b", "rh").release()
    first.release()
    first.release()  # idempotent: does not free a second place
    third = limits.admit("a", "rh")
    with pytest.raises(RateLimited):
        limits.admit("a", "rh")
    second.release()
    third.release()


@pytest.mark.parametrize(
    ("value", "depth"),
    [(1, 0), ("x", 0), ({}, 1), ([], 1), ({"a": [1, {"b": []}]}, 4), ([[[[[]]]]], 5)],
)
def test_json_depth(value: Any, depth: int) -> None:
    assert json_depth(value) == depth


def test_deep_json_and_long_conversations_are_refused_in_french() -> None:
    settings = LimitSettings(max_json_depth=8, max_messages=3)
    deep: Any = "x"
    for _ in range(9):
        deep = [deep]
    with pytest.raises(InvalidRequest, match="trop imbriqué"):
        check_shape({"model": "demo", "messages": deep}, settings)
    messages = [{"role": "user", "content": "x"}] * 4
    with pytest.raises(InvalidRequest, match="Trop d'éléments dans « messages »"):
        check_shape({"model": "demo", "messages": messages}, settings)
    check_shape({"model": "demo", "messages": messages[:3]}, settings)
    with pytest.raises(InvalidRequest, match="input"):
        check_shape({"model": "demo", "input": ["a", "b", "c", "d"]}, settings)


def test_json_depth_of_a_very_deep_value_does_not_recurse() -> None:
    deep: Any = []
    for _ in range(100_000):
        deep = [deep]
    assert json_depth(deep) == 100_001
