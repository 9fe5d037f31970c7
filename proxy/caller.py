"""Who is calling: the agent (or front-end) identified for one request, and their service and roles.

A leaf module: the policy reads callers without reaching the identity layer (keys, SQLite, tokens),
which builds them (proxy/auth.py).
"""

from __future__ import annotations

from dataclasses import dataclass

from proxy.roles import Role


@dataclass(frozen=True, slots=True)
class Caller:
    user: str
    service: str
    roles: frozenset[Role] = frozenset({Role.AGENT})
    key_id: str | None = None
    via: str = "key"  # key | sso | frontend | anonymous
    frontend: str | None = None  # the front-end that named the agent (via == "frontend")

    @property
    def account(self) -> str:
        """The identity recorded in the register: the agent's account, and the key it used."""
        return f"{self.user}:{self.key_id}" if self.key_id else self.user
