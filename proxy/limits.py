"""Hard limits against abuse: request shape, rate per user and per service, concurrency, max_tokens.

Values come from the configuration (`limits:`); a service's own values may come from the policy:
build the limiter with `Limiter(settings.limits, quotas={"rh": Quota(requests_per_minute=30)})`.
Rates and concurrency are counted in memory, per process, unless `limits.backend` names a Redis
shared by every instance (proxy/limits_redis.py); if that Redis does not answer, the configuration
chooses between refusing (503) and counting in this process for the time being.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from proxy.errors import InvalidRequest, LimitsUnavailable, RateLimited
from proxy.limits_redis import Admission, RedisCounters, SharedLimitsUnavailable
from proxy.settings import LimitSettings

log = logging.getLogger("gardefou")


@dataclass(frozen=True, slots=True)
class Quota:
    """A service's own limits (None: the configuration's value)."""

    requests_per_minute: int | None = None
    max_tokens: int | None = None


@dataclass(slots=True)
class _Bucket:
    """A token bucket: `capacity` requests at once, refilled at capacity per minute."""

    capacity: float
    tokens: float
    updated: float

    def refill(self, now: float) -> None:
        self.tokens = min(self.capacity, self.tokens + (now - self.updated) * self.capacity / 60)
        self.updated = now

    def wait(self) -> float:
        """Seconds before one request is allowed (0: allowed now)."""
        return 0.0 if self.tokens >= 1 else (1 - self.tokens) * 60 / self.capacity


@dataclass(slots=True)
class Slot:
    """One admitted request; `release` gives back its concurrency place (idempotent)."""

    _release: Callable[[], None] | None

    def release(self) -> None:
        release, self._release = self._release, None
        if release is not None:
            release()


@dataclass
class Limiter:
    settings: LimitSettings
    quotas: Mapping[str, Quota] = field(default_factory=dict)
    clock: Callable[[], float] = time.monotonic
    _buckets: dict[tuple[str, str], _Bucket] = field(default_factory=dict)
    _running: dict[str, int] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    shared: RedisCounters | None = None  # limits.backend: a Redis shared by every instance
    shared_fallbacks: int = 0  # admissions counted locally because the shared Redis did not answer
    _on_fallback: bool = False

    async def acquire(self, user: str, service: str) -> Slot:
        """Admit one request against the shared counters if configured, else this process's."""
        if self.shared is None:
            return self.admit(user, service)
        try:
            outcome = await self.shared.admit(
                user,
                service,
                user_rate=self.user_rate(),
                service_rate=self.service_rate(service),
                max_running=self.settings.max_concurrent_per_user,
            )
        except SharedLimitsUnavailable as error:
            return self._without_shared(user, service, str(error))
        self._shared_back()
        if not isinstance(outcome, Admission):
            raise _too_many(outcome.reason, outcome.seconds)
        shared = self.shared
        return Slot(lambda: shared.release(outcome))

    def _without_shared(self, user: str, service: str, why: str) -> Slot:
        if self.settings.backend_unavailable == "refuse":
            log.error("shared limits unavailable (%s): request refused", why)
            raise LimitsUnavailable(
                "Le service de comptage des limites ne répond pas ; par sécurité, la requête n'a pas été "
                "transmise. Réessayez dans un instant ou contactez votre administrateur."
            )
        if not self._on_fallback:
            log.warning("shared limits unavailable (%s): counting in this process meanwhile", why)
            self._on_fallback = True
        self.shared_fallbacks += 1
        return self.admit(user, service)

    def _shared_back(self) -> None:
        if self._on_fallback:
            log.warning("shared limits available again")
            self._on_fallback = False

    async def aclose(self) -> None:
        if self.shared is not None:
            await self.shared.aclose()

    def admit(self, user: str, service: str) -> Slot:
        """Count one request of `user` in `service`, or raise RateLimited (429 + Retry-After)."""
        with self._lock:
            self._check_concurrency(user)
            now = self.clock()
            buckets = [self._bucket(("user", user), self.user_rate(), now)]
            buckets.append(self._bucket(("service", service), self.service_rate(service), now))
            wait = max(bucket.wait() for bucket in buckets)
            if wait > 0:
                raise _too_many("Trop de requêtes", wait)
            for bucket in buckets:
                bucket.tokens -= 1
            self._running[user] = self._running.get(user, 0) + 1
            self._prune(now)
        return Slot(lambda: self._done(user))

    def user_rate(self) -> int:
        return self.settings.user_requests_per_minute

    def service_rate(self, service: str) -> int:
        quota = self.quotas.get(service)
        own = quota.requests_per_minute if quota else None
        return own or self.settings.service_requests_per_minute

    def max_tokens(self, service: str) -> int | None:
        """The configuration's ceiling of the service's token fields (applied by `wire.clamp_tokens`)."""
        quota = self.quotas.get(service)
        return (quota.max_tokens if quota else None) or self.settings.max_tokens

    def _check_concurrency(self, user: str) -> None:
        if self._running.get(user, 0) >= self.settings.max_concurrent_per_user:
            raise _too_many("Trop de requêtes simultanées", 1.0)

    def _bucket(self, key: tuple[str, str], per_minute: int, now: float) -> _Bucket:
        bucket = self._buckets.get(key)
        if bucket is None or bucket.capacity != per_minute:
            bucket = self._buckets[key] = _Bucket(float(per_minute), float(per_minute), now)
        bucket.refill(now)
        return bucket

    def _done(self, user: str) -> None:
        with self._lock:
            left = self._running.get(user, 1) - 1
            if left > 0:
                self._running[user] = left
            else:
                self._running.pop(user, None)

    def _prune(self, now: float) -> None:
        """Forget buckets that are full again (idle callers), so memory stays bounded."""
        if len(self._buckets) < 10_000:
            return
        for key in [k for k, b in self._buckets.items() if b.tokens + (now - b.updated) >= b.capacity]:
            del self._buckets[key]


def _too_many(what: str, wait: float) -> RateLimited:
    seconds = max(1, math.ceil(wait))
    return RateLimited(
        f"{what} : réessayez dans {seconds} seconde(s). Ces limites sont fixées par votre administrateur.",
        headers={"Retry-After": str(seconds)},
    )


def check_shape(body: Any, settings: LimitSettings) -> None:
    """Refuse JSON nested deeper than allowed, and conversations with too many messages."""
    if json_depth(body) > settings.max_json_depth:
        raise InvalidRequest(
            f"Le JSON de la requête est trop imbriqué (profondeur maximale : {settings.max_json_depth})."
        )
    for name in ("messages", "input"):
        items = body.get(name) if isinstance(body, dict) else None
        if isinstance(items, list) and len(items) > settings.max_messages:
            raise InvalidRequest(
                f"Trop d'éléments dans « {name} » ({len(items)} ; maximum : {settings.max_messages})."
            )


def json_depth(value: Any) -> int:
    """Number of nested objects/arrays in a parsed JSON value (a scalar is 0), without recursion."""
    deepest = 0
    stack: list[tuple[int, Any]] = [(1, value)]
    while stack:
        depth, item = stack.pop()
        if not isinstance(item, dict | list):
            continue
        deepest = max(deepest, depth)
        children = item.values() if isinstance(item, dict) else item
        stack.extend((depth + 1, child) for child in children)
    return deepest
