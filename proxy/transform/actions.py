"""What the policy may do to one kind of personal data in a request.

Defined here, below the policy: the transforms apply these actions and must not depend on the policy
that chooses them (proxy/policy/schema.py uses this enum in its rules).
"""

from __future__ import annotations

from enum import StrEnum


class Action(StrEnum):
    PSEUDONYMISE = "pseudonymise"  # reversible placeholder, restored in the answer
    MASK = "mask"  # irreversible placeholder, never restored
    BLOCK = "block"  # the request is refused
    ALLOW = "allow"  # sent as is

    @property
    def removes(self) -> bool:
        """Whether the data is kept from the model (and so counted in the register)."""
        return self is not Action.ALLOW
