"""Rate and concurrency limits shared by every instance, counted in Redis (or Valkey).

With several `gardefou serve` instances behind a load balancer, limits counted per process let N
times the limit through. Here each admission is one atomic Lua script over three sorted sets:

- the requests of the user, and those of the service, in the last 60 s (a sliding-window log: at
  most N requests in any 60 s, whichever instance serves them);
- the user's requests in progress, each with an expiry, so that an instance killed mid-request
  does not hold its places forever (they lapse after `running_ttl_s`).

The clock is Redis's own (`TIME`), the same for every instance. Keys name the user and the service
by a hash only: Redis holds no account name. The only importer of `redis`.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import uuid
from dataclasses import dataclass

import redis.asyncio as aioredis
from redis.exceptions import RedisError

log = logging.getLogger("gardefou")

WINDOW_MS = 60_000
_PREFIX = "gardefou:limits:"

# KEYS: user window, service window, user running. ARGV: user limit, service limit, max running,
# running ttl (ms), member, window (ms). Returns {0, 0} (admitted) or {1|2, milliseconds to wait}.
_ADMIT = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[3], '-inf', now)
if redis.call('ZCARD', KEYS[3]) >= tonumber(ARGV[3]) then
    return {1, 1000}
end
local limits = {tonumber(ARGV[1]), tonumber(ARGV[2])}
for i = 1, 2 do
    redis.call('ZREMRANGEBYSCORE', KEYS[i], '-inf', now - tonumber(ARGV[6]))
    if redis.call('ZCARD', KEYS[i]) >= limits[i] then
        local oldest = redis.call('ZRANGE', KEYS[i], 0, 0, 'WITHSCORES')
        return {2, tonumber(oldest[2]) + tonumber(ARGV[6]) - now}
    end
end
for i = 1, 2 do
    redis.call('ZADD', KEYS[i], now, ARGV[5])
    redis.call('PEXPIRE', KEYS[i], tonumber(ARGV[6]))
end
redis.call('ZADD', KEYS[3], now + tonumber(ARGV[4]), ARGV[5])
redis.call('PEXPIRE', KEYS[3], tonumber(ARGV[4]))
return {0, 0}
"""


class SharedLimitsUnavailable(Exception):
    """Redis did not answer in time (or refused): the caller chooses to refuse or count locally."""


@dataclass(frozen=True, slots=True)
class Admission:
    """One admitted request, identified in Redis by `member` until released."""

    running_key: str
    member: str


@dataclass(frozen=True, slots=True)
class Wait:
    """Refused: `reason` (French), and the seconds before a new attempt can pass."""

    reason: str
    seconds: float


class RedisCounters:
    def __init__(self, url: str, timeout_s: float, running_ttl_s: float) -> None:
        self._redis = aioredis.Redis.from_url(
            url, socket_timeout=timeout_s, socket_connect_timeout=timeout_s, health_check_interval=30
        )
        self._admit = self._redis.register_script(_ADMIT)
        self._running_ttl_ms = int(running_ttl_s * 1000)
        self._releases: set[asyncio.Task[None]] = set()

    async def admit(
        self, user: str, service: str, *, user_rate: int, service_rate: int, max_running: int
    ) -> Admission | Wait:
        """Count one request, or say how long to wait."""
        keys = [_key("user", user), _key("service", service), _key("running", user)]
        member = uuid.uuid4().hex
        args: list[int | str] = [
            user_rate,
            service_rate,
            max_running,
            self._running_ttl_ms,
            member,
            WINDOW_MS,
        ]
        try:
            verdict, wait_ms = await self._admit(keys=keys, args=args)
        except (RedisError, OSError, TimeoutError) as error:
            raise SharedLimitsUnavailable(type(error).__name__) from error
        if int(verdict) == 1:
            return Wait("Trop de requêtes simultanées", 1.0)
        if int(verdict) == 2:
            return Wait("Trop de requêtes", max(1, int(wait_ms)) / 1000)
        return Admission(keys[2], member)

    def release(self, admission: Admission) -> None:
        """Give the place back, without making the response wait; if Redis is away, the place
        lapses by itself after `running_ttl_s`."""
        task = asyncio.get_running_loop().create_task(self._release(admission))
        self._releases.add(task)
        task.add_done_callback(self._releases.discard)

    async def _release(self, admission: Admission) -> None:
        try:
            await self._redis.zrem(admission.running_key, admission.member)
        except (RedisError, OSError, TimeoutError) as error:
            log.warning(
                "shared limits: release failed (%s); the place lapses by itself", type(error).__name__
            )

    async def aclose(self) -> None:
        if self._releases:
            await asyncio.gather(*self._releases, return_exceptions=True)
        await self._redis.aclose()


def _key(kind: str, name: str) -> str:
    digest = hashlib.sha256(f"{kind}\0{name}".encode()).hexdigest()[:32]
    return f"{_PREFIX}{kind}:{digest}"
