"""Load a policy file safely and fingerprint it (sha256 of the file bytes, recorded per use)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from proxy.config_file import load_model
from proxy.policy.schema import Policy


@dataclass(frozen=True, slots=True)
class LoadedPolicy:
    policy: Policy
    sha256: str
    path: Path


def load_policy(path: Path) -> LoadedPolicy:
    policy, text = load_model(path, Policy)
    return LoadedPolicy(policy, hashlib.sha256(text.encode()).hexdigest(), path)
