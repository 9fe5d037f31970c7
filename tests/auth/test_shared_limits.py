"""Limits shared by every instance through a real Redis: sliding window, concurrency, outages."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import redis

from proxy.analysis.engine import Detector
from proxy.app import create_app
from proxy.errors import LimitsUnavailable, RateLimited
from proxy.keystore import KeyStore
from proxy.limits import Limiter, Slot
from proxy.limits_redis import RedisCounters
from proxy.settings import LimitSettings, load_settings
from tests.e2e.conftest import write_config
from tests.e2e.servers import serve
from tests.engines.redis_server import RedisServer, free_port, redis_server


@pytest.fixture(scope="module")
def shared_redis(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    with redis_server(tmp_path_factory.mktemp("redis")) as server:
        yield server


@pytest.fixture(autouse=True)
def empty_redis(shared_redis: RedisServer) -> None:
    redis.Redis.from_url(shared_redis.url).flushdb()


def instances(url: str, count: int, **values: Any) -> list[Limiter]:
    """`count` limiters as `count` proxy instances would build them, sharing one Redis."""
    settings = LimitSettings(backend=url, **values)
    return [Limiter(settings, shared=RedisCounters(url, 0.5, 60)) for _ in range(count)]


async def admitted(limiter: Limiter, user: str, service: str = "rh") -> Slot | None:
    try:
        return await limiter.acquire(user, service)
    except RateLimited:
        return None


async def close(limiters: list[Limiter]) -> None:
    for limiter in limiters:
        await limiter.aclose()


def test_a_user_limit_holds_across_three_instances(shared_redis: RedisServer) -> None:
    async def scenario() -> tuple[int, RateLimited]:
        limiters = instances(shared_redis.url, 3, user_requests_per_minute=7)
        passed = 0
        for attempt in range(21):  # round robin, as a load balancer would
            slot = await admitted(limiters[attempt % 3], "agent.a")
            if slot is not None:
                passed += 1
                slot.release()
        with pytest.raises(RateLimited) as refused:
            await limiters[0].acquire("agent.a", "rh")
        assert await admitted(limiters[1], "agent.b") is not None  # other agents are not affected
        await close(limiters)
        return passed, refused.value

    passed, refused = asyncio.run(scenario())
    assert passed == 7
    assert refused.status == 429 and 1 <= int(refused.headers["Retry-After"]) <= 60
    assert "réessayez" in refused.message


def test_a_service_limit_counts_all_its_agents_on_all_instances(shared_redis: RedisServer) -> None:
    async def scenario() -> list[bool]:
        limiters = instances(shared_redis.url, 2, service_requests_per_minute=4)
        results = [await admitted(limiters[i % 2], f"agent.{i}") is not None for i in range(6)]
        results.append(await admitted(limiters[0], "agent.x", "urbanisme") is not None)
        await close(limiters)
        return results

    assert asyncio.run(scenario()) == [True] * 4 + [False, False, True]


def test_concurrent_requests_are_capped_across_instances_until_released(shared_redis: RedisServer) -> None:
    async def scenario() -> None:
        first, second = instances(shared_redis.url, 2, max_concurrent_per_user=2)
        held = [await first.acquire("agent.a", "rh"), await second.acquire("agent.a", "rh")]
        with pytest.raises(RateLimited, match="simultanées"):
            await first.acquire("agent.a", "rh")
        held[0].release()
        await asyncio.sleep(0.2)  # the release is sent without making the response wait
        held.append(await second.acquire("agent.a", "rh"))
        await close([first, second])

    asyncio.run(scenario())


def test_places_of_a_killed_instance_lapse_by_themselves(shared_redis: RedisServer) -> None:
    async def scenario() -> None:
        settings = LimitSettings(backend=shared_redis.url, max_concurrent_per_user=1)
        dying = Limiter(settings, shared=RedisCounters(shared_redis.url, 0.5, running_ttl_s=3.0))
        await dying.acquire("agent.a", "rh")  # never released: the instance "dies"
        survivor = Limiter(settings, shared=RedisCounters(shared_redis.url, 0.5, 60))
        with pytest.raises(RateLimited):
            await survivor.acquire("agent.a", "rh")
        await asyncio.sleep(3.5)
        (await survivor.acquire("agent.a", "rh")).release()
        await close([dying, survivor])

    asyncio.run(scenario())


def test_redis_unavailable_refuses_by_default_or_counts_locally_if_configured() -> None:
    down = f"redis://127.0.0.1:{free_port()}/0"  # nothing listens there

    async def scenario() -> int:
        (refusing,) = instances(down, 1)
        with pytest.raises(LimitsUnavailable) as error:
            await refusing.acquire("agent.a", "rh")
        assert error.value.status == 503 and "n'a pas été transmise" in error.value.message
        (local,) = instances(down, 1, backend_unavailable="local", user_requests_per_minute=2)
        results = [await admitted(local, "agent.a") is not None for _ in range(3)]
        assert results == [True, True, False]  # still limited, per process
        await close([refusing, local])
        return local.shared_fallbacks

    assert asyncio.run(scenario()) == 3


def test_three_proxy_instances_let_through_at_most_the_per_user_limit(
    shared_redis: RedisServer,
    tmp_path: Path,
    upstream_url: str,
    detector: Detector,
) -> None:
    """Three real proxies (uvicorn on loopback) sharing one Redis and one key store, as three
    instances behind a load balancer: an agent's N per minute hold across them."""
    limit, config = 5, write_config(tmp_path, upstream_url)
    text = config.read_text(encoding="utf-8")
    config.write_text(text + f"limits:\n  backend: {shared_redis.url}\n  user_requests_per_minute: {limit}\n")
    settings = load_settings(config)
    key = KeyStore(settings.keys_path).create(user="agent.urba", service="urbanisme").secret_key
    body = {"model": "demo", "messages": [{"role": "user", "content": "Bonjour"}]}
    headers = {"Authorization": f"Bearer {key}"}
    with (
        serve(create_app(settings, detector=detector)) as first,
        serve(create_app(settings, detector=detector)) as second,
        serve(create_app(settings, detector=detector)) as third,
    ):
        urls = [f"{url}/v1/chat/completions" for url in (first, second, third)]
        statuses = [
            httpx.post(urls[i % 3], json=body, headers=headers, timeout=60).status_code
            for i in range(3 * limit)
        ]
    assert statuses.count(200) == limit
    assert statuses.count(429) == 2 * limit
