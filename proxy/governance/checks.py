"""What the governance section must agree with on disk: the charter file it names can be read.

Checked when a policy is loaded (start-up, hot reload, `gardefou policy check`), so that a typo in
the charter's path is reported with the policy's file, line and key instead of refusing requests."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from proxy.policy.checks import Problem
from proxy.policy.schema import Policy


def charter_problems(policy: Policy, policy_path: Path) -> Iterator[Problem]:
    config = policy.governance.charter
    if config is None:
        return
    path = config.file if config.file.is_absolute() else policy_path.parent / config.file
    try:
        path.read_bytes().decode("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = "introuvable ou illisible" if isinstance(exc, OSError) else "pas en UTF-8"
        yield Problem(("governance", "charter", "file"), f"charte {path} {reason}")
