"""Hot reload: a valid new file replaces the policy; an invalid one is refused and the old one stays."""

from __future__ import annotations

import logging
import os
from pathlib import Path

import pytest

from proxy.policy.checks import PolicyContext
from proxy.policy.loader import LoadedPolicy
from proxy.policy.store import PolicyStore
from tests.policy.conftest import TABLE_POLICY


def write(path: Path, text: str, bump: int) -> None:
    path.write_text(text, encoding="utf-8")
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + bump * 1_000_000_000))


@pytest.fixture
def policy_file(tmp_path: Path) -> Path:
    path = tmp_path / "politique.yaml"
    path.write_text(TABLE_POLICY.read_text(encoding="utf-8"), encoding="utf-8")
    return path


def test_a_valid_change_is_put_in_force(policy_file: Path, context: PolicyContext) -> None:
    store = PolicyStore(policy_file, context, interval_s=0)
    seen: list[LoadedPolicy] = []
    store.subscribe(seen.append)
    before = store.sha256
    write(
        policy_file, policy_file.read_text(encoding="utf-8").replace("max_tokens: 500", "max_tokens: 400"), 1
    )
    assert store.sha256 != before and store.policy.defaults.limits.max_tokens == 400
    assert [loaded.sha256 for loaded in seen] == [store.sha256]


def test_an_invalid_change_keeps_the_previous_policy(
    policy_file: Path, context: PolicyContext, caplog: pytest.LogCaptureFixture
) -> None:
    store = PolicyStore(policy_file, context, interval_s=0)
    before = store.current()
    broken = policy_file.read_text(encoding="utf-8").replace("models: [souverain]", "models: [inconnu]")
    with caplog.at_level(logging.ERROR, logger="gardefou.policy"):
        write(policy_file, broken, 1)
        assert store.current() is before
    assert store.last_error is not None and "services.urbanisme.models.0" in store.last_error
    assert "previous policy kept" in caplog.text and "inconnu" in caplog.text
    write(policy_file, TABLE_POLICY.read_text(encoding="utf-8"), 2)  # fixed: back in force, error cleared
    assert store.current() is not before and store.last_error is None


def test_a_deleted_file_keeps_the_policy(policy_file: Path, context: PolicyContext) -> None:
    store = PolicyStore(policy_file, context, interval_s=0)
    before = store.sha256
    policy_file.unlink()
    assert store.sha256 == before and store.last_error is not None


def test_the_file_is_looked_at_once_per_interval(policy_file: Path, context: PolicyContext) -> None:
    now = [0.0]
    store = PolicyStore(policy_file, context, interval_s=5, clock=lambda: now[0])
    before = store.sha256
    write(policy_file, policy_file.read_text(encoding="utf-8") + "\n# changement\n", 1)
    now[0] = 4.0
    assert store.sha256 == before
    now[0] = 5.0
    assert store.sha256 != before
