"""The per-service limits a policy gives the rate limiter (proxy/limits.py owns the counting)."""

from __future__ import annotations

from proxy.limits import Limiter, Quota
from proxy.policy.loader import LoadedPolicy
from proxy.policy.schema import Policy
from proxy.policy.store import PolicyStore


def service_quotas(policy: Policy) -> dict[str, Quota]:
    """Each service's requests per minute and max_tokens ceiling (defaults, then the service's own)."""
    quotas = {}
    for name, service in policy.services.items():
        limits = service.limits.over(policy.defaults.limits)
        quotas[name] = Quota(requests_per_minute=limits.requests_per_minute, max_tokens=limits.max_tokens)
    return quotas


def follow_quotas(store: PolicyStore, limiter: Limiter) -> Limiter:
    """Give the limiter the policy's quotas now and after every reload of the policy."""

    def update(loaded: LoadedPolicy) -> None:
        limiter.quotas = service_quotas(loaded.policy)

    update(store.current())
    store.subscribe(update)
    return limiter
