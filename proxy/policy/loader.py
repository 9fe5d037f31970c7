"""Load a policy file safely, check it against the running proxy, fingerprint it (sha256 of its bytes)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from proxy.config_file import ConfigFileError, line_of, load_model
from proxy.governance.checks import charter_problems
from proxy.policy.checks import PolicyContext, Problem, problems
from proxy.policy.rulebook import Rulebook
from proxy.policy.schema import Policy


@dataclass(frozen=True, slots=True)
class LoadedPolicy:
    policy: Policy
    sha256: str
    path: Path
    rulebook: Rulebook


def load_policy(path: Path, context: PolicyContext | None = None) -> LoadedPolicy:
    """Parse and validate `path`; with a context, also check it against the running proxy.

    Raises ConfigFileError naming the file, the line and the key of every problem."""
    policy, text = load_model(path, Policy)
    if context is not None:
        found = [*problems(policy, context), *charter_problems(policy, path)]  # proxy/governance
        if found:
            raise ConfigFileError(describe(path, text, found))
    hosting = context.hosting if context is not None else {}
    digest = hashlib.sha256(text.encode()).hexdigest()
    return LoadedPolicy(policy, digest, path, Rulebook.compile(policy, hosting))


def describe(path: Path, text: str, found: list[Problem]) -> str:
    lines = [f"{path} : politique incohérente avec la configuration"]
    for problem in found:
        line = line_of(text, list(problem.keys))
        where = f"ligne {line}, " if line else ""
        lines.append(f"  - {where}clé « {'.'.join(problem.keys)} » : {problem.message}")
    return "\n".join(lines)
